from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khaibao.declarations.tests.helpers import ago
from khaibao.stats.tests.helpers import declare, declare_risk, official_client, refresh, today, update

URL = "/staff/stats/"
RAW_TABLES = ("monitoring_", "declarations_", "people_person", "cases_")


def _scenario(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, symptoms=[{"code": "fever", "onset": ago(1)}])
    declare_risk(api, world.lan, world.lan_child)
    update(api, world.lan, world.lan_parent, symptoms=["cough"])
    declare(api, world.hung, world.hung_self, symptoms=[{"code": "headache", "onset": ago(0)}])
    refresh()


def _cell(html: str, name: str) -> list[str]:
    match = re.search(rf"<th scope=\"row\">{re.escape(name)}</th>(.*?)</tr>", html, re.S)
    assert match, name
    return re.findall(r"<td>(\d+)</td>", match.group(1))


def test_it_shows_charts_levels_and_the_ward_table(world, api):
    _scenario(world, api)
    resp = official_client(world.province).get(URL)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count("<svg") >= 3  # activity, levels, symptoms
    assert "<script" not in html.split("<main", 1)[1]  # charts need no JavaScript
    for word in ("Low", "green", "Medium", "yellow", "High", "orange", "Urgent", "red"):
        assert word in html
    assert "Fever" in html
    assert "Cough" in html
    assert "Headache" not in html  # TP.HCM's symptom
    assert _cell(html, world.hoan_kiem.name)[:2] == ["2", "1"]  # declarations, daily updates
    assert world.ba_dinh.name not in html  # nothing to report: left out of the table
    assert "other wards had nothing to report" in html
    assert world.sai_gon.name not in html
    assert world.ben_thanh.name not in html


def test_it_keeps_tp_hcm_and_ha_noi_apart(world, api):
    _scenario(world, api)
    html = official_client(world.province_hcm).get(URL).content.decode()
    assert "Headache" in html
    assert "Fever" not in html
    assert _cell(html, world.sai_gon.name)[:2] == ["1", "0"]
    assert world.hoan_kiem.name not in html

    ward = official_client(world.ward_official).get(URL).content.decode()
    assert _cell(ward, world.hoan_kiem.name)[:2] == ["2", "1"]
    assert world.ba_dinh.name not in ward


def test_it_shows_provinces_to_a_national_official(world, api):
    _scenario(world, api)
    html = official_client(world.national).get(URL).content.decode()
    assert "By province" in html
    assert _cell(html, world.hanoi.name)[:2] == ["2", "1"]
    assert _cell(html, world.hcmc.name)[:2] == ["1", "0"]


def test_it_shows_the_lag(world, api, time_machine):
    time_machine.move_to(today().isoformat() + "T09:00:00+07:00", tick=False)
    client = official_client(world.ward_official)
    assert "have not been computed yet" in client.get(URL).content.decode()
    refresh()
    time_machine.shift(17)
    assert "Updated 17 seconds ago." in client.get(URL).content.decode()
    time_machine.shift(120)
    assert "out of date" in client.get(URL).content.decode()


def test_it_has_an_empty_state(world):
    refresh()
    resp = official_client(world.ward_official).get(URL)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "No declarations, daily updates or follow-up actions" in html
    assert "<svg" not in html


def test_it_escapes_names_in_charts_and_tables(world, api, monkeypatch):
    from khaibao.declarations import labels

    monkeypatch.setitem(labels.SYMPTOM_LABELS, "fever", "<b>Fever</b>")
    _scenario(world, api)
    html = official_client(world.province).get(URL).content.decode()
    assert "<b>Fever</b>" not in html
    assert "&lt;b&gt;Fever&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [("?from=2026-03-10&to=2026-03-01", "on or before"), ("?from=2024-01-01&to=2025-06-01", "at most 366"),
     ("?from=nonsense", "valid date")],
)
def test_it_explains_a_bad_range(world, query, message):
    resp = official_client(world.province).get(URL + query)
    assert resp.status_code == 400
    assert message in resp.content.decode()


def test_it_shows_the_range_asked_for(world, api):
    _scenario(world, api)
    html = official_client(world.province).get(f"{URL}?from={ago(2)}&to={ago(1)}").content.decode()
    assert "No declarations, daily updates or follow-up actions" in html  # the activity is today


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin", "dpo"])
def test_it_is_for_officials_only(world, who):
    client = Client()
    client.force_login(getattr(world, who))
    resp = client.get(URL)
    assert resp.status_code in (302, 403)
    if resp.status_code == 302:
        assert not resp["Location"].startswith(URL)


def test_it_sends_strangers_to_sign_in(world):
    resp = Client().get(URL)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/staff/sign-in/")


def test_it_is_linked_from_the_console_home(world):
    assert URL in official_client(world.ward_official).get("/staff/").content.decode()


def _page_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("who", ["national", "province", "ward_official"])
def test_it_never_counts_raw_rows_and_its_queries_do_not_grow_with_people(world, api, who):
    _scenario(world, api)
    client = official_client(getattr(world, who))
    client.get(URL)
    before = _page_queries(client)
    for i in range(4):
        resp = api.as_(world.lan).post("/people", {
            "full_name": f"Người Thử {chr(0x41 + i % 26)}", "birth_year": 2020, "sex": "female", "relation": "child",
            "ward_code": world.hoan_kiem.code,
        })
        assert resp.status_code == 201, resp.content
        person = SimpleNamespace(id=resp.json()["id"])
        declare(api, world.lan, person, symptoms=[{"code": "cough", "onset": ago(0)}])
        update(api, world.lan, person, symptoms=["cough"])
    refresh()
    after = _page_queries(client)
    assert len(after) == len(before) <= 14, after
    touched = [q for q in after if any(f'"{t}' in q for t in RAW_TABLES)]
    assert not touched, touched
