"""A page or filter parameter that is not an id is never a server error (core/params.py).

"²" is a digit to str.isdigit() and not to int(); "٣" is one to both, but not the 3 it looks
like to a database; a 20-digit number overflows a bigint. Each page and endpoint that reads such
a parameter by hand ignores it, or answers 400 where it already did for letters.
"""

from __future__ import annotations

from typing import Any

import pytest

BAD = ["²", "٣", "１", "0", "9" * 19, "9" * 20, "abc"]

# (role, face, path): the value goes in place of {v}; {unit_a} is organisation A's unit.
ROUTES = [
    ("citizen_owner", "web", "/notifications/?before={v}"),
    ("province_official", "web", "/staff/exports/?before={v}"),
    ("province_official", "api", "/exports?before={v}"),
    ("dpo", "web", "/staff/audit/?before={v}"),
    ("dpo", "web", "/staff/audit/?actor={v}"),
    ("dpo", "api", "/audit?actor={v}"),
    ("province_official", "web", "/staff/id-reviews/?after={v}-1"),
    ("province_official", "web", "/staff/id-reviews/?after=1-{v}"),
    ("national", "web", "/staff/break-glass/review/?before={v}"),
    ("citizen_owner", "web", "/checkins/?done={v}"),
]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(("role", "face", "path"), ROUTES)
def test_it_never_fails_on_a_bad_number(sec: Any, role: str, face: str, path: str, value: str) -> None:
    url = path.format(v=value, unit_a=sec.ids["unit_a"])
    client = sec.web(role) if face == "web" else sec.api(role)
    resp = client.get(url)
    assert resp.status_code in (200, 400), (url, resp.status_code)


@pytest.mark.parametrize("value", BAD)
def test_it_never_fails_on_a_bad_campaign_to_remind(sec: Any, value: str) -> None:
    resp = sec.web("org_admin_a").post(f"/staff/compliance/{sec.ids['unit_a']}/remind/", {"campaign": value})
    # Read as no campaign chosen, as letters are: the newest campaign (a redirect), or none (404).
    assert resp.status_code in (302, 404), resp.status_code
