"""Python-Markdown's inline pass, without trying patterns that cannot match.

Python-Markdown tries each of its fifteen inline patterns (links, emphasis,
code, entities…) on every run of text, one regular-expression search per
pattern, even on text holding none of the characters the pattern starts
with; on posts of many short list items that is a third of the conversion.
This pass skips a pattern when the text lacks every string its expression
requires (no `[` in the text: no link can match), and otherwise runs
Python-Markdown's own code, so the HTML is exactly what it would be.

A pattern is skipped only if its expression is one listed here, character
for character: should a Python-Markdown release change a pattern, or an
extension add one, it is tried as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markdown import util
from markdown.treeprocessors import InlineProcessor

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    import markdown
    from markdown import inlinepatterns

# Each inline expression of Python-Markdown 3.x (with footnotes), and strings one of which any match
# of it contains.
LINK = r"(?<!\!)\["
IMAGE = r"\!\["
HTML = (
    r"""(<(\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>]++))?+)*+"""
    r"""\s*+/?|!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]|!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)"""
)
REQUIRED: dict[str, tuple[str, ...]] = {
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": ("`",),  # code
    r"\\(.)": ("\\",),  # backslash escape
    r"\[\^([^\]]*)\]": ("[^",),  # footnote reference
    LINK: ("[",),  # links, reference links
    IMAGE: ("![",),  # images
    r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>": ("<",),  # <https://…>
    r"<([^<> !]+@[^@<> ]+)>": ("<",),  # <name@example.org>
    r"  \n": ("  \n",),  # hard line break
    HTML: ("<",),  # raw HTML
    r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)": ("&",),  # entities
    r"\*|_": ("*", "_"),  # emphasis
}


class SkippingInlineProcessor(InlineProcessor):
    """`InlineProcessor` with a cheap test before each pattern's search."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self._patterns: list[inlinepatterns.Pattern] = []
        self._required: list[tuple[str, ...] | None] = []

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        self._patterns = list(self.inlinePatterns)
        self._required = [REQUIRED.get(pattern.compiled_re.pattern) for pattern in self._patterns]
        return super().run(tree, ancestors)

    # Replaces InlineProcessor.__handleInline (a name-mangled method, hence the spelling).
    def _InlineProcessor__handleInline(self, data: str, index: int = 0) -> str:  # noqa: N802
        if isinstance(data, util.AtomicString):
            return data
        patterns, required = self._patterns, self._required
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start = 0
        count = len(patterns)
        while index < count:
            needed = required[index]
            if needed is not None:
                for piece in needed:  # a loop, not any(): this runs for every pattern and text
                    if piece in data:
                        break
                else:
                    index += 1  # what a search that found nothing would have done
                    start = 0
                    continue
            data, matched, start = apply(patterns[index], data, index, start)
            if not matched:
                index += 1
        return data


def use_skipping_inline(md: markdown.Markdown) -> None:
    """Put the skipping pass in place of Python-Markdown's own, if this version has the hook."""
    if hasattr(InlineProcessor, "_InlineProcessor__applyPattern") and hasattr(
        InlineProcessor, "_InlineProcessor__handleInline"
    ):
        md.treeprocessors.register(SkippingInlineProcessor(md), "inline", 20)
