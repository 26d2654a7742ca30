"""Turn pydantic validation errors into author-facing `ContentError`s.

Config and front matter are both validated by pydantic models; this module
owns the wording, so a typo'd key reads "unknown field" and not pydantic's
internal phrasing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from publisher.errors import ContentError

Loc = tuple[str | int, ...]


# C0 and C1 control characters other than tab, line feed and carriage return:
# XML (feeds) cannot hold them, HTML forbids them and a terminal obeys them.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# What ends a line for Python's str.splitlines(), which the email package uses.
LINE_BREAK_RE = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}


def code_point(char: str) -> str:
    """`U+000A (LINE FEED)`: a character named so that it can be found."""
    name = CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def no_control_characters(value: str) -> str:
    """Text with no control character; tabs and line breaks are allowed."""
    found = CONTROL_RE.search(value)
    if found:
        raise ValueError(f"contains the control character {code_point(found.group())}; remove it")
    return value


def one_line(value: str) -> str:
    """Text that may reach an email header: no control character and no line break."""
    no_control_characters(value)
    found = LINE_BREAK_RE.search(value) or re.search("\t", value)
    if found:
        raise ValueError(f"must be one line: it contains {code_point(found.group())}")
    return value


def _walk_text(value: object) -> object:
    if isinstance(value, str):
        no_control_characters(value)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk_text(item)
    return value


class StrictModel(BaseModel):
    """A model that rejects unknown keys, does not coerce types and holds no control characters."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        return _walk_text(value)


PLAIN_WORDS = {
    "list_type": "must be a list: [a, b], or one `- item` per line",
    "bool_type": "must be true or false",
    "string_type": "must be text (quote it if it looks like a number, date or true/false)",
    "int_type": "must be a whole number",
    "model_type": "must be a table of keys",
}


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys that the (nested) model at `loc` accepts, for "unknown field"."""
    current: object = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
        while get_args(current) and not (isinstance(current, type) and issubclass(current, BaseModel)):
            current = next(
                (a for a in get_args(current) if isinstance(a, type) and issubclass(a, BaseModel)),
                get_args(current)[0],
            )
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def describe(error: dict, allowed: list[str]) -> str:
    """Say what is wrong in one short sentence."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (allowed: " + ", ".join(allowed) + ")"
    if kind == "missing":
        return "required field is missing"
    if kind in PLAIN_WORDS:
        return PLAIN_WORDS[kind]
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message[:1].lower() + message[1:]


def field_name(loc: Loc) -> str:
    """`("sections", 1, "name")` -> `sections[1].name`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(file)"


def to_content_errors(
    exc: ValidationError,
    path: str,
    line_of: Callable[[Loc], int],
    model: type[BaseModel],
) -> list[ContentError]:
    """Map every pydantic error to `path:line: field: message`."""
    errors = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        allowed = allowed_keys(model, loc[:-1])
        errors.append(ContentError(path, line_of(loc), field_name(loc), describe(error, allowed)))
    return errors
