"""Python-Markdown's block parser, without tests that cannot pass.

For every block of a post Python-Markdown asks each block processor in turn
whether the block is its kind (a table, a heading, a quote…), most of them
with a regular-expression search over the whole block, although a block
holding no `#` cannot be a heading and one holding no `>` cannot be a quote.
On posts of long paragraphs and list items (each item is parsed as blocks of
its own) those searches are a third of the conversion. This parser first
asks whether the block holds any of the strings every match needs, and only
then runs the processor's own `test` (and `run`); a processor skipped is one
whose `test` would have said no, or whose `run` would have found nothing and
left the blocks as they were, so the tree is exactly Python-Markdown's.

A processor is checked only if its class and expression are listed here,
character for character: should a Python-Markdown release change one, or an
extension add a processor, it is tested as usual.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from markdown.blockparser import BlockParser
from markdown.blockprocessors import (
    BlockProcessor,
    BlockQuoteProcessor,
    HashHeaderProcessor,
    HRProcessor,
    ReferenceProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.extensions.tables import TableProcessor

if TYPE_CHECKING:
    from collections.abc import Iterable
    from xml.etree.ElementTree import Element, ElementTree

    import markdown


class Needs(NamedTuple):
    """A block can match only if it starts with one of `starts`, holds one of `holds`, or `lines`
    (a search far cheaper than the processor's) finds a later line that starts as a match would."""

    starts: tuple[str, ...]
    holds: tuple[str, ...]
    lines: re.Pattern[str] | None = None

    def admits(self, block: str) -> bool:
        """False only if no match can be in `block` (the parser inlines this for speed)."""
        return (
            block.startswith(self.starts)
            or any(piece in block for piece in self.holds)
            or (self.lines is not None and self.lines.search(block) is not None)
        )


# A rule's line is up to three spaces, then three `-`, `_` or `*` (the same one), each after
# at most two spaces: "---", "- - -", " ***"… A bold lead ("**Lead.**") or a list item ("- x")
# starts otherwise, so is not tested.
_RULE_STARTS = tuple(
    " " * indent + mark + " " * gap + mark + " " * gap2 + mark
    for indent in range(4)
    for mark in "-_*"
    for gap in range(3)
    for gap2 in range(3)
)
_RULE_LINE = re.compile(r"\n[ ]{0,3}(?:-[ ]{0,2}-[ ]{0,2}-|_[ ]{0,2}_[ ]{0,2}_|\*[ ]{0,2}\*[ ]{0,2}\*)")


# (class, its expression) -> what any block it accepts contains. `test` of the footnote and
# reference processors always says yes; their `run` searches and, finding nothing, puts the block
# back unchanged and returns False, which is what skipping them does.
KNOWN: dict[tuple[type[BlockProcessor], str], Needs] = {
    # r'(?:^|\n)(?P<level>#{1,6})…': a `#` at the start of a line
    (
        HashHeaderProcessor,
        r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)",
    ): Needs(("#",), ("\n#",)),
    # matched at the start: the first line, a newline, then `=` or `-`
    (SetextHeaderProcessor, r"^.*?\n(?:=+|-+)[ ]*(\n|$)"): Needs((), ("\n=", "\n-")),
    # a line that starts as a rule does
    (
        HRProcessor,
        r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))"
        r"(?P=atomicgroup)[ ]*$",
    ): Needs(_RULE_STARTS, (), _RULE_LINE),
    # a `>` at the start of a line, after up to three spaces
    (BlockQuoteProcessor, r"(^|\n)[ ]{0,3}>[ ]?(.*)"): Needs((), (">",)),
    # `[^label]:`
    (FootnoteBlockProcessor, r"^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$"): Needs((), ("[^",)),
    # `[label]: url`
    (
        ReferenceProcessor,
        r"^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?"
        r"""((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$""",
    ): Needs((), ("]:",)),
}

# A table's first line needs a `|`: without one it is a single cell and no border. The test splits
# lines rather than searching, so it is listed by class and the expressions it uses.
TABLE_EXPRESSIONS = (r"(?:(\\\\)|(\\`+)|(`+)|(\\\|)|(\|))", r"(?<!\\)(?:\\\\)*\|$")
TABLE_NEEDS = Needs((), ("|",))


def needs_of(processor: BlockProcessor) -> Needs | None:
    """What a block must hold for `processor` to take it, or None: always ask the processor."""
    kind = type(processor)
    if kind is TableProcessor:
        expressions = (processor.RE_CODE_PIPES.pattern, processor.RE_END_BORDER.pattern)
        return TABLE_NEEDS if expressions == TABLE_EXPRESSIONS else None
    expression = getattr(processor, "SEARCH_RE", None) or getattr(processor, "RE", None)
    pattern = getattr(expression, "pattern", None)
    return KNOWN.get((kind, pattern)) if isinstance(pattern, str) else None


class SkippingBlockParser(BlockParser):
    """`BlockParser` with a substring test before each processor's own."""

    _checked: list[tuple[BlockProcessor, Needs | None]] | None = None

    def parseDocument(self, lines: Iterable[str]) -> ElementTree:  # noqa: N802 (Markdown's API)
        self._checked = [(processor, needs_of(processor)) for processor in self.blockprocessors]
        return super().parseDocument(lines)

    def parseBlocks(self, parent: Element, blocks: list[str]) -> None:  # noqa: N802 (Markdown's API)
        """Python-Markdown's loop, skipping a processor whose needs the block lacks."""
        checked = self._checked
        if checked is None:
            checked = self._checked = [(p, needs_of(p)) for p in self.blockprocessors]
        while blocks:
            for processor, needs in checked:
                block = blocks[0]
                if needs is not None and not block.startswith(needs.starts):
                    for piece in needs.holds:
                        if piece in block:
                            break
                    else:
                        if needs.lines is None or needs.lines.search(block) is None:
                            continue  # what a test (or run) that found nothing would have done
                if processor.test(parent, block) and processor.run(parent, blocks) is not False:
                    break  # run returns True or None


def use_skipping_blocks(md: markdown.Markdown) -> None:
    """Make `md`'s block parser skip processors that cannot take a block."""
    if type(md.parser) is BlockParser:
        md.parser.__class__ = SkippingBlockParser
