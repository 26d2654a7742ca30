"""Python-Markdown's preprocessors, skipped when a post holds nothing they change.

Before parsing, Python-Markdown passes the whole post through three
preprocessors: whitespace normalising (a regular-expression substitution for
blank lines of spaces), fenced code (a search for fences) and raw HTML (an
HTML parser over the whole text). A post with no tab, no carriage return, no
line of only spaces, no fence, no `<` and no `&` comes out of them as it went
in, with two empty lines added by the first; each costs as much as parsing a
short list. Each is wrapped here: when the text lacks every string that a
change needs, the wrapper returns exactly what the preprocessor would have
(the text split into lines again); otherwise it runs Python-Markdown's own.

A preprocessor is wrapped only if its class (and for fenced code, its
expression) is the one listed here: another one is run as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markdown import util
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace, Preprocessor

if TYPE_CHECKING:
    import markdown

# Python-Markdown 3.x's expression for a fenced block: every match starts with three ` or ~.
FENCE = r"""
(?P<fence>^(?:~{3,}|`{3,}))[ ]*                          # opening fence
((\{(?P<attrs>[^\n]*)\})|                                # (optional {attrs} or
(\.?(?P<lang>[\w#.+-]*)[ ]*)?                            # optional (.)lang
(hl_lines=(?P<quot>"|')(?P<hl_lines>.*?)(?P=quot)[ ]*)?) # optional hl_lines)
\n                                                       # newline (end of opening fence)
(?P<code>.*?)(?<=\n)                                     # the code block
(?P=fence)[ ]*$                                          # closing fence
"""


class Unchanging(Preprocessor):
    """Runs `inner` only if the text holds one of `changes`, the strings any change needs.

    `tail` is what `inner` appends to an unchanged text ("\\n\\n" for whitespace normalising):
    the strings are looked for in the text with it, as `inner` sees it.
    """

    def __init__(
        self, md: markdown.Markdown, inner: Preprocessor, changes: tuple[str, ...], tail: str = ""
    ) -> None:
        super().__init__(md)
        self.inner = inner
        self.changes = changes
        self.tail = tail

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines) + self.tail
        for piece in self.changes:
            if piece in source:
                return self.inner.run(lines)
        return source.split("\n")  # what `inner` returns for a text it leaves alone


def changes_of(processor: Preprocessor) -> tuple[tuple[str, ...], str] | None:
    """What a text needs for `processor` to change it (and what it adds), or None: always run it."""
    kind = type(processor)
    if kind is NormalizeWhitespace:
        # removes STX/ETX, turns \r into \n, expands tabs, and empties lines of spaces
        # (`(?<=\n) +\n`, which needs both "\n " and " \n"; one of them is enough to run it)
        return (util.STX, util.ETX, "\r", "\t", "\n ", " \n"), "\n\n"
    if kind is FencedBlockPreprocessor and processor.FENCED_BLOCK_RE.pattern == FENCE:
        return ("```", "~~~"), ""
    if kind is HtmlBlockPreprocessor:
        # without `<` (tags, comments) or `&` (references) the parser sees only text, kept whole
        return ("<", "&"), ""
    return None


def use_skipping_preprocessors(md: markdown.Markdown) -> None:
    """Wrap each of `md`'s known preprocessors so that it runs only on text it can change."""
    for item in list(md.preprocessors._priority):
        processor = md.preprocessors[item.name]
        known = changes_of(processor)
        if known is not None:
            changes, tail = known
            wrapper = Unchanging(md, processor, changes, tail)
            md.preprocessors.register(wrapper, item.name, item.priority)
