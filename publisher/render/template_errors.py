"""Template mistakes reported like content errors: `path:line: template: message`.

A publication's own templates are content too: a typo in one must not end
the build with a traceback. Jinja marks its frames with the template's file
name, so the line is found in the traceback, also in a worker process,
where the error becomes a value that crosses back to the main process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from jinja2 import TemplateError, TemplateSyntaxError

from publisher.errors import ContentError

T = TypeVar("T")


TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".css")


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost frame of `exc`'s traceback that runs template code."""
    found = None
    trace = exc.__traceback__
    while trace is not None:
        name = trace.tb_frame.f_code.co_filename
        if name.endswith(TEMPLATE_SUFFIXES):
            found = (name, trace.tb_lineno)
        trace = trace.tb_next
    return found


def template_error(exc: Exception, root: Path) -> ContentError:
    """Where in which template `exc` happened, and what it says."""
    path, line = "(templates)", 1
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        path, line = exc.filename, exc.lineno or 1
    else:
        path, line = _template_frame(exc) or (path, line)
    with contextlib.suppress(ValueError):  # a packaged default keeps its full path
        path = Path(path).resolve().relative_to(root.resolve()).as_posix()
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, RecursionError):
        message = "RecursionError: a macro, include or block calls itself without end"
    return ContentError(path, line, "template", message)


def _call(render: Callable[[], T], root: Path) -> T | ContentError:
    try:
        return render()
    except TemplateError as exc:
        return template_error(exc, root)
    except Exception as exc:  # `{{ 1 // 0 }}`, a macro calling itself: the template's own code failed
        if _template_frame(exc) is None:
            raise
        return template_error(exc, root)


def template_file_errors(root: Path, dirs: list[Path], static: str) -> list[ContentError]:
    """Template files that are not UTF-8, and static files that link out of their folder.

    Jinja would stop on the first with a bare `UnicodeDecodeError`; a link
    out of `templates/` would copy a file from anywhere into the site.
    """
    errors = []
    for folder in dirs:
        for file in sorted(folder.rglob("*")):
            shown = _shown(file, root)
            if file.is_symlink() and not file.resolve().is_relative_to(folder.resolve()):
                message = "is a link to a file outside the templates folder; copy the file in instead"
                errors.append(ContentError(shown, 1, "template", message))
                continue
            if not file.is_file() or file.relative_to(folder).parts[0] == static:
                continue
            raw = file.read_bytes()
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                byte = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
                message = f"is not valid UTF-8 ({byte}); save it as UTF-8"
                errors.append(ContentError(shown, line, "template", message))
    return errors


def _shown(file: Path, root: Path) -> str:
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.as_posix()


def guarded(render: Callable[[], T], root: Path) -> Callable[[], T | ContentError]:
    """`render`, returning a template problem as a `ContentError` instead of raising it."""
    return partial(_call, render, root)
