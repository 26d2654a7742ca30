"""Python-Markdown's list of block-level tag names, answering `in` from a set.

`Markdown.is_block_level(tag)` is `tag in md.block_level_elements`, a list of
59 names searched from the front: about a microsecond for `li` or `strong`,
asked a few hundred times per post (the inline pass, the line-break pass).
This list holds the same names in the same order and answers `in` from a set
of them, kept up to date by every method that changes the list, so every
answer is the list's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex

import markdown


class BlockLevelNames(list[str]):
    """A list whose membership test is a set lookup (the list's own test for an unhashable name)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(names)
        self._names: frozenset[str] | None = None
        self._changed()

    def _changed(self) -> None:
        try:
            self._names = frozenset(self)
        except TypeError:  # an unhashable item: fall back to searching the list
            self._names = None

    def __contains__(self, name: object) -> bool:
        names = self._names
        if names is not None:
            try:
                return name in names
            except TypeError:  # an unhashable name is equal to no string: ask the list
                pass
        return super().__contains__(name)

    def append(self, name: str) -> None:
        super().append(name)
        self._changed()

    def extend(self, names: Iterable[str]) -> None:
        super().extend(names)
        self._changed()

    def insert(self, index: SupportsIndex, name: str) -> None:
        super().insert(index, name)
        self._changed()

    def remove(self, name: str) -> None:
        super().remove(name)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> str:
        name = super().pop(index)
        self._changed()
        return name

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:  # list's overloads, both kinds
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, names: Iterable[str]) -> BlockLevelNames:  # type: ignore[override,misc]
        super().__iadd__(names)
        self._changed()
        return self

    def __imul__(self, times: SupportsIndex) -> BlockLevelNames:  # type: ignore[override,misc]
        super().__imul__(times)
        self._changed()
        return self


def use_block_level_set(md: markdown.Markdown) -> None:
    """Give `md` the same block-level names in a list that looks them up in a set."""
    md.block_level_elements = BlockLevelNames(md.block_level_elements)
