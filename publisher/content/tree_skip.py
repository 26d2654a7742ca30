"""Two of Python-Markdown's tree passes, skipped when the tree holds nothing for them.

After parsing, the attribute-list pass looks at the text of every element
for `{: …}` (a regular-expression search on each, after asking whether the
element is block-level), and the table-of-contents pass walks the tree
joining the text under every element to find a paragraph that is only its
marker (`[TOC]`). A post with neither spends a tenth of its conversion on
the two. Each is given a first pass that only reads each element's text
(and tail) for the one string every match contains, `{` or the marker; only
if one holds it does Python-Markdown's own code run, so the tree is the same.

A pass is changed only if its class and (for attribute lists) expression are
the ones listed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markdown.extensions.attr_list import AttrListTreeprocessor
from markdown.extensions.toc import TocTreeprocessor

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    import markdown

# Every expression of the attribute-list pass starts with this one, which needs a `{`.
ATTR_BASE = r"\{\:?[ ]*([^\}\n ][^\n]*)\}"


def _texts_hold(root: Element, piece: str, tails: bool) -> bool:
    """Whether the text (or, with `tails`, the tail) of `root` or an element below it holds `piece`."""
    for element in root.iter():
        text = element.text
        if text and piece in text:
            return True
        if tails:
            text = element.tail
            if text and piece in text:
                return True
    return False


class QuickAttrList(AttrListTreeprocessor):
    """Assigns `{: …}` attributes only if some text or tail holds a `{`.

    Every expression the pass searches with (`BASE_RE` after a prefix) needs a `{` in the text or
    tail it searches, and it searches nothing else.
    """

    def run(self, doc: Element) -> None:
        if _texts_hold(doc, "{", tails=True):
            super().run(doc)


class QuickToc(TocTreeprocessor):
    """Looks for the marker paragraph only if some element's text holds the marker.

    The marker is replaced only in an element whose own text, stripped, is the marker.
    """

    def replace_marker(self, root: Element, elem: Element) -> None:
        if _texts_hold(root, self.marker, tails=False):
            super().replace_marker(root, elem)


def use_quick_tree_passes(md: markdown.Markdown) -> None:
    """Give `md`'s attribute-list and table-of-contents passes their cheap first look."""
    for processor in md.treeprocessors:
        if type(processor) is AttrListTreeprocessor and processor.BASE_RE == ATTR_BASE:
            processor.__class__ = QuickAttrList
        elif type(processor) is TocTreeprocessor:
            processor.__class__ = QuickToc
