"""A NUL character in an organisation admin's text — the unit search of the API and of the
console, a roster's unit cell — is refused as the user's mistake (a 400, a row error), never
passed to the database: PostgreSQL refuses NUL in any text, even a query's parameter, so it was
a 500 there (security review, finding 3). SQLite takes NUL, so these tests assert the refusal
itself, which holds on both."""

from __future__ import annotations

from typing import Any

from khaibao.orgs.models import Member
from khaibao.orgs.tests.helpers import console, csv_file, upload

INVALID_EN = "This text contains an invalid character. Please type it again."


def test_the_api_unit_search_refuses_a_nul(world: Any, api: Any, units: Any) -> None:
    client = api.as_(world.org_admin)
    assert client.get("/orgs?q=DCS").status_code == 200

    resp = client.get("/orgs?q=a%00b", headers={"Accept-Language": "en"})

    assert resp.status_code == 400, resp.content
    assert INVALID_EN in resp.content.decode()


def test_the_console_unit_search_refuses_a_nul(world: Any, units: Any) -> None:
    page = console(world.org_admin)
    assert page.get("/staff/orgs/", {"q": "DCS"}).status_code == 200

    resp = page.get("/staff/orgs/", {"q": "a\x00b"})

    assert resp.status_code == 400
    assert "Văn bản có ký tự không hợp lệ" in resp.content.decode()


def test_a_roster_unit_cell_with_a_nul_is_a_row_error(world: Any, api: Any, units: Any, hn_admin: Any) -> None:
    client = api.as_(hn_admin)
    rows = [
        ["Nguyễn Văn Một", "0911111111", "X\x00Y", "khác"],
        ["Nguyễn Văn Hai", "0911111112", "DCS-HK", "khác"],
    ]

    resp = upload(client, units["hn"].pk, csv_file(rows))

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["created"], body["errors"]) == (1, 1)
    (error,) = body["error_rows"]
    assert error["row"] == 2
    assert "ký tự không hợp lệ" in error["reason"]
    assert Member.objects.filter(unit=units["hk"], full_name="Nguyễn Văn Hai").exists()
    assert not Member.objects.filter(full_name="Nguyễn Văn Một").exists()
