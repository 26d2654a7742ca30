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


def template_error(exc: TemplateError, root: Path) -> ContentError:
    """Where in which template `exc` happened, and what it says."""
    path, line = "(templates)", 1
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        path, line = exc.filename, exc.lineno or 1
    else:
        trace = exc.__traceback__
        while trace is not None:
            name = trace.tb_frame.f_code.co_filename
            if name.endswith((".html", ".xml", ".txt", ".css")):
                path, line = name, trace.tb_lineno
            trace = trace.tb_next
    with contextlib.suppress(ValueError):  # a packaged default keeps its full path
        path = Path(path).resolve().relative_to(root.resolve()).as_posix()
    return ContentError(path, line, "template", f"{type(exc).__name__}: {exc}")


def _call(render: Callable[[], T], root: Path) -> T | ContentError:
    try:
        return render()
    except TemplateError as exc:
        return template_error(exc, root)


def guarded(render: Callable[[], T], root: Path) -> Callable[[], T | ContentError]:
    """`render`, returning a template problem as a `ContentError` instead of raising it."""
    return partial(_call, render, root)
