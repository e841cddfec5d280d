"""The check of a page's element ids (browser walk findings 6 and 12): every id is its own, every
`<label for>` and every `aria-describedby` names exactly one element of the page."""

from __future__ import annotations

import re
from collections import Counter

_ID = re.compile(r'\sid="([^"]+)"')
_FOR = re.compile(r'<label[^>]*\sfor="([^"]+)"')
_DESCRIBED = re.compile(r'aria-describedby="([^"]+)"')


def assert_ids_sound(html: str, where: str = "") -> None:
    ids = Counter(_ID.findall(html))
    duplicates = [i for i, n in ids.items() if n > 1]
    assert duplicates == [], f"duplicate ids on {where}: {duplicates}"
    for target in _FOR.findall(html):
        assert ids[target] == 1, f"{where}: label for={target} points at no element"
    for named in _DESCRIBED.findall(html):
        for target in named.split():
            assert ids[target] == 1, f"{where}: aria-describedby names {target}, which is not on the page"
