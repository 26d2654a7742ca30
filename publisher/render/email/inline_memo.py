"""Premailer's work on a post body, done once per element shape.

The body stylesheet's rules are `.post-body <tag or class> ...` selectors, so
which rules reach an element depends only on the tags and classes of the
element and its ancestors, and on the attributes premailer merges with
(style, align, ...). Premailer runs on a specimen of each distinct shape; the
attributes it produced are then copied onto every element of that shape.
A stylesheet with any other kind of selector (ids, attributes,
pseudo-classes, sibling combinators) is inlined element by element instead.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from premailer import Premailer

# Selectors made of tags, classes, descendant and child combinators only.
SIMPLE_SELECTORS = re.compile(r"^[\s\w.,>*-]*$")
# Attributes premailer reads or writes besides class; everything else is content.
STYLE_ATTRIBUTES = ("class", "style", "align", "bgcolor", "valign", "width", "height", "border")

Chain = tuple[tuple[str, ...], ...]  # (tag, classes...) of the element and its ancestors, outermost first
Attributes = tuple[tuple[str, str], ...]
Shape = tuple[Chain, Attributes]


def simple_stylesheet(css: str) -> bool:
    """True when every selector in `css` can be matched by tags and classes alone."""
    selectors = re.sub(r"\{[^{}]*\}", "", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    return bool(SIMPLE_SELECTORS.match(selectors))


class ShapeInliner:
    """Inline a body with premailer, reusing results for repeated element shapes."""

    def __init__(self, inliner: Premailer, css: str) -> None:
        self.inliner = inliner
        self.enabled = simple_stylesheet(css)
        self.memo: dict[tuple[int, Attributes], dict[str, str]] = {}
        # Each chain of (tag, classes...) links gets a number once: the memo is keyed by
        # (number, own attributes), not by a tuple of tuples hashed anew for every element.
        self.chains: list[Chain] = [()]
        self.chain_numbers: dict[tuple[int, tuple[str, ...]], int] = {}

    def transform(self, root: lxml.html.HtmlElement) -> None:
        if not self.enabled:
            self.inliner.transform(root)
            return
        shapes: list[tuple[lxml.html.HtmlElement, tuple[int, Attributes]]] = []
        self._collect(root, 0, shapes)
        for element, key in shapes:
            attributes = self.memo.get(key)
            if attributes is None:
                number, own = key
                attributes = self.memo[key] = self._specimen(root, (self.chains[number], own))
            if attributes:  # lxml's own update: element.set in order, without lxml.html's Python wrapper
                element.attrib.update(attributes)

    def _collect(
        self,
        element: lxml.html.HtmlElement,
        chain: int,
        out: list[tuple[lxml.html.HtmlElement, tuple[int, Attributes]]],
    ) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            names = child.keys()
            if names:  # as `child.get(name) is not None` for each name, asking lxml once
                classes = child.get("class")
                link = (tag, *sorted(classes.split())) if classes else (tag,)
                own = tuple((name, child.get(name)) for name in STYLE_ATTRIBUTES if name in names)
            else:
                link, own = (tag,), ()
            here = self.chain_numbers.get((chain, link))
            if here is None:
                here = self.chain_numbers[chain, link] = len(self.chains)
                self.chains.append((*self.chains[chain], link))
            out.append((child, (here, own)))
            self._collect(child, here, out)

    def _specimen(self, root: lxml.html.HtmlElement, shape: Shape) -> dict[str, str]:
        """Run premailer on the smallest tree of this shape; return what it set on the element."""
        chain, own = shape
        top = lxml.html.Element(root.tag, {k: v for k, v in root.attrib.items() if k in STYLE_ATTRIBUTES})
        parent = top
        for tag, *classes in chain[:-1]:
            parent = etree.SubElement(parent, tag, {"class": " ".join(classes)} if classes else {})
        element = etree.SubElement(parent, chain[-1][0], dict(own))
        before = dict(element.attrib)
        self.inliner.transform(top)
        return {name: value for name, value in element.attrib.items() if before.get(name) != value}
