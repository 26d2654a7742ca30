"""Errors about content, carried with the file and line they concern.

Every stage collects `ContentError`s instead of raising on the first one, so
an author sees every problem of a build at once, each as
`path:line: field: message`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
# Control characters are shown escaped, so a message never drives the terminal.
_UNPRINTABLE_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters (ESC, line breaks, ...) written as `\\x1b`."""
    text = _UNPRINTABLE_RE.sub(lambda m: repr(m.group())[1:-1], text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # a file name that is not UTF-8


@dataclass(frozen=True, order=True)
class ContentError:
    """One problem in one input file."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return printable(f"{self.path}:{self.line}: {self.field}: {self.message}")


class BuildFailed(Exception):
    """Raised once a stage has collected errors; carries all of them."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = sorted(set(errors))


class WarningsFailed(BuildFailed):
    """`--strict` was given and there were warnings."""


@contextmanager
def processing(path: str) -> Iterator[None]:
    """Name `path` on any unexpected exception raised inside, for the "internal error" line.

    The name travels as an attribute, so it survives the trip back from a
    worker process.
    """
    try:
        yield
    except Exception as exc:
        if getattr(exc, "publisher_file", None) is None:
            with suppress(AttributeError):  # an exception type without a __dict__ keeps its own words
                exc.publisher_file = path  # type: ignore[attr-defined]
        raise


def run_processing(path: str, task: Callable[[], T]) -> T:
    """`task()`, with `path` named on any unexpected exception."""
    with processing(path):
        return task()
