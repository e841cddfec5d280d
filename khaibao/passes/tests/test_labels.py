"""A pass's colours in words have one owner, passes/labels.py: the issued pass, the checked pass
and the citizen's card all take their words from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone, translation

from khaibao.passes import labels, services, verify


def test_every_colour_has_its_word_and_meaning_in_the_labels_module() -> None:
    assert set(labels.COLOUR_LABELS) == set(services.COLOURS)
    assert set(labels.COLOUR_MEANINGS) == set(services.COLOURS)
    with translation.override("vi"):
        assert [labels.colour_label(c) for c in services.COLOURS] == ["Xanh", "Vàng", "Đỏ", "Xám"]
        for colour in services.COLOURS:
            with translation.override("en"):
                english = labels.colour_meaning(colour)
            assert labels.colour_meaning(colour) != english, colour
    assert labels.colour_label(None) == labels.colour_meaning(None) == ""


def test_the_services_keep_no_words_of_their_own() -> None:
    for name in ("COLOUR_LABELS", "COLOUR_MEANINGS"):
        assert not hasattr(services, name), name
    source = services.__file__
    with open(source, encoding="utf-8") as f:
        text = f.read()
    for word in ('"Green"', '"Yellow"', '"Grey"', "updated in the last 24 hours"):
        assert word not in text, word


def test_issued_and_checked_passes_take_their_words_from_the_labels_module(world: Any) -> None:
    issued = services.IssuedPass(token="t", colour=services.RED, expires_at=timezone.now() + timedelta(hours=1))
    checked = verify.PassCheck(valid=True, colour=services.GREEN)
    with translation.override("vi"):
        assert issued.colour_label == labels.colour_label("red") == "Đỏ"
        assert issued.colour_meaning == labels.colour_meaning("red")
        assert checked.colour_label == "Xanh"
    assert verify.PassCheck(valid=False, reason="expired").colour_label == ""
