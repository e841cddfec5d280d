"""An ID number is ASCII digits: the same number in other digits ("١٢…", "１２…") is refused, not
stored under another blind index where the duplicate check would not find it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from khaibao.people.validators import clean_id_number


def test_it_keeps_a_cccd_and_a_cmnd() -> None:
    assert clean_id_number(" 001 090 012 345 ") == "001090012345"
    assert clean_id_number("012345678") == "012345678"


@pytest.mark.parametrize("value", [
    "٠٠١٠٩٠٠١٢٣٤٥",  # Arabic-Indic
    "００１０９００１２３４５",  # full-width
    "০১২৩৪৫৬৭৮",  # Bengali, 9 digits
    "00109001234²",
])
def test_it_refuses_other_digits(value: str) -> None:
    with pytest.raises(ValidationError):
        clean_id_number(value)
