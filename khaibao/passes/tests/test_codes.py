"""Short pass codes (passes/services.py `_new_code`): ten letters of the 32-letter alphabet, each
drawn uniformly, so that a code carries 50 random bits."""

from __future__ import annotations

from collections import Counter

from khaibao.passes.services import CODE_ALPHABET, CODE_LENGTH, _new_code
from khaibao.passes.verify import normalise_code


def test_a_code_is_ten_letters_of_the_alphabet_and_reads_back_as_itself() -> None:
    for _ in range(200):
        code = _new_code()
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
        assert normalise_code(code) == code


def test_every_letter_is_drawn_about_as_often() -> None:
    # The draw takes a random byte's low five bits: right only for an alphabet of exactly 32.
    assert len(CODE_ALPHABET) == 32
    counts = Counter("".join(_new_code() for _ in range(3200)))
    assert set(counts) == set(CODE_ALPHABET)
    # 1,000 draws per letter expected; a biased draw (say, half the letters twice as likely) is far out.
    assert min(counts.values()) > 800
    assert max(counts.values()) < 1200
