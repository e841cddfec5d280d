"""The travel index of a declaration: what the zone warning job may know of sealed answers.

A declaration's answers are sealed (issue 18), but the warning job must find, among the
declarations of the last weeks, those whose travel went through a zone's wards or province.
`travel_index` holds one blind index (HMAC under BLIND_INDEX_KEY, core/crypto.py) per ward and per
province travelled through, so the job asks the database "which declarations carry one of these
indexes" and decrypts only those to compare the dates. Without the key the indexes say only that
two declarations named the same place, not which place; countries are not indexed (no job looks
them up). Recomputed by `rotate_keys --blind-index` (settings.BLIND_INDEXES, khaibao/wiring.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from khaibao.core.crypto import blind_index

# Short enough to keep the column small, long enough that 3,300 wards and 34 provinces never collide.
_LENGTH = 20


def ward_key(code: int) -> str:
    return blind_index(f"w{int(code)}", purpose="travel")[:_LENGTH]


def province_key(code: int) -> str:
    return blind_index(f"p{int(code)}", purpose="travel")[:_LENGTH]


def travel_index(answers: dict[str, Any] | None) -> list[str]:
    """The blind indexes of the wards and provinces in `answers["travel"]`, sorted, no repeats."""
    keys: set[str] = set()
    for entry in (answers or {}).get("travel") or []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("ward_code"), int):
            keys.add(ward_key(entry["ward_code"]))
        if isinstance(entry.get("province_code"), int):
            keys.add(province_key(entry["province_code"]))
    return sorted(keys)


def place_keys(*, ward_codes: Iterable[int], province_code: int | None) -> list[str]:
    """The indexes a zone's wards and province are looked up by."""
    keys = [ward_key(code) for code in ward_codes]
    if province_code is not None:
        keys.append(province_key(province_code))
    return keys
