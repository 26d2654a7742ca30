"""The build's shortcuts give exactly the bytes of the straightforward way.

Each shortcut taken for speed (cards drawn on a shared frame, inline Markdown
patterns skipped when their text cannot match) is compared here with the
plain computation it replaces, on generated input.
"""

from __future__ import annotations

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from publisher.render import social
from publisher.render.social import CardText, _palette, _png, draw_card, social_card

STATIC = [REPO / "templates/static"]


def whole_card(text: CardText) -> bytes:
    return _png(draw_card(text, STATIC).quantize(palette=_palette(), dither=Image.Dither.NONE))


TITLES = st.text(
    alphabet=st.characters(categories=["L", "M", "N", "P", "Zs"], exclude_characters="\x00"), max_size=300
)


@settings(max_examples=25, deadline=None)
@given(TITLES, st.sampled_from(["Insight", "Playbook", "Ånalysis", ""]))
def test_a_card_drawn_on_the_shared_frame_is_the_card_drawn_whole(title: str, section: str) -> None:
    text = CardText("The Civic Ledger", section, title, "civicledger.example")
    assert social_card(text, STATIC) == whole_card(text)


def test_a_title_that_reaches_into_the_frame_is_drawn_whole_and_still_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moved up into the section label, the title overlaps it: drawing order matters there."""
    text = CardText("The Civic Ledger", "Insight", "A title of some length", "civicledger.example")
    usual = social_card(text, STATIC)
    monkeypatch.setattr(social, "TITLE_TOP", 130)
    drawn_whole: list[CardText] = []
    monkeypatch.setattr(social, "draw_card", lambda *args: drawn_whole.append(args[0]) or draw_card(*args))
    card = social_card(text, STATIC)
    assert drawn_whole == [text]
    monkeypatch.undo()
    monkeypatch.setattr(social, "TITLE_TOP", 130)
    assert card == whole_card(text)
    assert card != usual
