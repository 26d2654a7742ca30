"""Errors about content, carried with the file and line they concern.

Every stage collects `ContentError`s instead of raising on the first one, so
an author sees every problem of a build at once, each as
`path:line: field: message`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ContentError:
    """One problem in one input file."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class BuildFailed(Exception):
    """Raised once a stage has collected errors; carries all of them."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = sorted(set(errors))


class WarningsFailed(BuildFailed):
    """`--strict` was given and there were warnings."""
