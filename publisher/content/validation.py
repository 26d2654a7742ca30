"""Turn pydantic validation errors into author-facing `ContentError`s.

Config and front matter are both validated by pydantic models; this module
owns the wording, so a typo'd key reads "unknown field" and not pydantic's
internal phrasing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from publisher.errors import ContentError

Loc = tuple[str | int, ...]


class StrictModel(BaseModel):
    """A model that rejects unknown keys and does not coerce types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


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
