"""A number read by hand from a page's query string or form (core/params.py)."""

from __future__ import annotations

import pytest

from khaibao.core.params import ID_MAX, positive_id


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 1), ("42", 42), ("007", 7), (str(ID_MAX), ID_MAX),
])
def test_it_reads_an_id(value: str, expected: int) -> None:
    assert positive_id(value) == expected


@pytest.mark.parametrize("value", [
    None, "", "0", "-1", "+1", " 1", "1 ", "1_000", "1.0", "abc",
    "²", "1²", "①", "٣", "３", "১",  # digits to str.isdigit(), not to a database id
    str(ID_MAX + 1), "9" * 19, "9" * 20, "1" * 400,
])
def test_it_refuses_anything_else(value: str | None) -> None:
    assert positive_id(value) is None
