from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.declarations.tests.helpers import ago
from khaibao.stats.tests.helpers import declare, declare_risk, refresh, today, update


def _scenario(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, symptoms=[{"code": "fever", "onset": ago(1)}])  # Hoàn Kiếm
    declare_risk(api, world.lan, world.lan_child)  # Hoàn Kiếm
    update(api, world.lan, world.lan_parent, symptoms=["cough"])  # Hoàn Kiếm
    declare(api, world.mai, world.mai_self)  # Ba Đình
    declare(api, world.hung, world.hung_self)  # Sài Gòn, TP.HCM
    declare(api, world.hoa, world.hoa_self, symptoms=[{"code": "headache", "onset": ago(0)}])  # Bến Thành
    update(api, world.hoa, world.hoa_self, symptoms=["headache"], feeling="unwell")
    refresh()


def _summary(api: Any, who: Any, query: str = "") -> Any:
    return api.as_(who).get(f"/stats/summary{query}")


def _today_point(body: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in body["series"] if p["day"] == today().isoformat())


def test_it_sums_the_jurisdiction_of_each_official(world, api):
    _scenario(world, api)

    national = _summary(api, world.national).json()
    hanoi = _summary(api, world.province).json()
    hcmc = _summary(api, world.province_hcm).json()
    ward = _summary(api, world.ward_official).json()

    assert national["totals"] == {"declarations": 5, "risk_declarations": 1, "daily_updates": 2}
    assert hanoi["totals"] == {"declarations": 3, "risk_declarations": 1, "daily_updates": 1}
    assert hcmc["totals"] == {"declarations": 2, "risk_declarations": 0, "daily_updates": 1}
    assert ward["totals"] == {"declarations": 2, "risk_declarations": 1, "daily_updates": 1}
    assert _today_point(hanoi) == {"day": today().isoformat(), "declarations": 3, "risk_declarations": 1, "daily_updates": 1}

    # Hà Nội never sees TP.HCM's headaches, TP.HCM never sees Hà Nội's fever and cough.
    assert {s["code"] for s in hanoi["top_symptoms"]} == {"fever", "cough"}
    assert hcmc["top_symptoms"] == [{"code": "headache", "label": "Đau đầu", "count": 2}]  # the name beside the code (issue 17)
    assert set(hcmc["symptom_trends"]) == {"headache"}
    people = {name: sum(body["current"]["people_by_level"].values()) for name, body in
              {"national": national, "hanoi": hanoi, "hcmc": hcmc, "ward": ward}.items()}
    assert people == {"national": 6, "hanoi": 4, "hcmc": 2, "ward": 3}
    assert national["current"]["day"] == today().isoformat()


def test_it_shows_the_ward_official_only_their_ward(world, api):
    declare(api, world.mai, world.mai_self)  # Ba Đình, same province, other ward
    refresh()
    body = _summary(api, world.ward_official).json()
    assert body["totals"]["declarations"] == 0
    assert sum(body["current"]["people_by_level"].values()) == 0
    rows = api.as_(world.ward_official).get("/stats/by-area").json()["rows"]
    assert [r["code"] for r in rows] == [world.hoan_kiem.code]
    assert rows[0]["declarations"] == 0


def test_it_lists_areas_per_ward_or_per_province(world, api):
    _scenario(world, api)
    hanoi = api.as_(world.province).get(f"/stats/by-area?date={today().isoformat()}")
    assert hanoi.status_code == 200, hanoi.content
    body = hanoi.json()
    assert body["level"] == "ward"
    assert body["date"] == today().isoformat()
    by_code = {r["code"]: r for r in body["rows"]}
    assert world.sai_gon.code not in by_code
    assert world.ben_thanh.code not in by_code
    assert by_code[world.hoan_kiem.code]["declarations"] == 2
    assert by_code[world.ba_dinh.code]["declarations"] == 1
    assert by_code[world.ba_dinh.code]["name"] == world.ba_dinh.name
    assert sum(r["declarations"] for r in body["rows"]) == 3  # every other Hà Nội ward is there with zeros

    hcmc = {r["code"]: r for r in api.as_(world.province_hcm).get("/stats/by-area").json()["rows"]}
    assert world.hoan_kiem.code not in hcmc
    assert world.ba_dinh.code not in hcmc
    assert hcmc[world.ben_thanh.code]["daily_updates"] == 1

    national = api.as_(world.national).get("/stats/by-area").json()
    assert national["level"] == "province"
    provinces = {r["code"]: r for r in national["rows"]}
    assert len(provinces) == 34
    assert provinces[world.hanoi.code]["declarations"] == 3
    assert provinces[world.hcmc.code]["declarations"] == 2


def test_it_counts_follow_up_outcomes(world, api):
    declare_risk(api, world.lan, world.lan_child)
    for body in ({"kind": "called_reached"}, {"kind": "test_result", "test_result": "negative", "test_date": ago(0)}):
        resp = api.as_(world.ward_official).post(f"/cases/{world.lan_child.id}/actions", body)
        assert resp.status_code == 201, resp.content
    refresh()
    assert _summary(api, world.province).json()["outcomes"] == {"called_reached": 1, "test_result_negative": 1}
    assert _summary(api, world.province_hcm).json()["outcomes"] == {}


def test_it_reports_the_lag(world, api, time_machine):
    time_machine.move_to(today().isoformat() + "T10:00:00+07:00", tick=False)
    never = _summary(api, world.national).json()
    assert never["refreshed_at"] is None
    assert never["lag_seconds"] is None
    refresh()
    time_machine.shift(42)
    body = _summary(api, world.national).json()
    assert body["lag_seconds"] == 42
    assert body["refreshed_at"].startswith(today().isoformat())
    assert api.as_(world.national).get("/stats/by-area").json()["lag_seconds"] == 42


def test_it_defaults_to_the_last_14_days(world, api):
    body = _summary(api, world.national).json()
    assert body["to"] == today().isoformat()
    assert body["from"] == (today() - timedelta(days=13)).isoformat()
    assert len(body["series"]) == 14
    assert all(p["declarations"] == 0 for p in body["series"])


def test_it_accepts_a_range_of_366_days(world, api):
    start = today() - timedelta(days=365)
    body = _summary(api, world.national, f"?from={start.isoformat()}&to={today().isoformat()}").json()
    assert len(body["series"]) == 366


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2026-03-10&to=2026-03-09", "from"),
        ("?from=2024-01-01&to=2025-01-01", "to"),  # 367 days
        ("?from=yesterday", "from"),
        ("?to=2026-13-01", "to"),
        ("?from=2026-02-30", "from"),
    ],
)
def test_it_refuses_a_bad_range_with_field_errors(world, api, query, field):
    resp = _summary(api, world.national, query)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]


def test_it_refuses_a_bad_by_area_date(world, api):
    resp = api.as_(world.national).get("/stats/by-area?date=soon")
    assert resp.status_code == 400
    assert "date" in resp.json()["error"]["fields"]


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin", "dpo"])
def test_it_is_for_officials_only(world, api, who):
    client = api.as_(getattr(world, who))
    for path in ("/stats/summary", "/stats/by-area"):
        resp = client.get(path)
        assert resp.status_code == 403, (path, resp.content)
        assert resp.json()["error"]["code"] == "forbidden"


def test_it_needs_a_token(world, api):
    assert api.get("/stats/summary").status_code == 401


def _api_queries(client: Any, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_it_runs_a_bounded_number_of_queries_whatever_the_number_of_people(world, api):
    _scenario(world, api)
    client = api.as_(world.province)
    client.get("/stats/summary")  # the token's first use is stamped once
    before = {p: _api_queries(client, p) for p in ("/stats/summary", "/stats/by-area")}

    for i in range(4):
        resp = api.as_(world.lan).post("/people", {
            "full_name": f"Người Thử {chr(0x41 + i % 26)}", "birth_year": 2020, "sex": "male", "relation": "child",
            "ward_code": world.ba_dinh.code,
        })
        assert resp.status_code == 201, resp.content
        declare(api, world.lan, SimpleNamespace(id=resp.json()["id"]))
    refresh()
    assert _summary(api, world.province).json()["totals"]["declarations"] == 7
    for path, queries in before.items():
        after = _api_queries(client, path)
        assert len(after) == len(queries) <= 8, (path, after)
        assert not any("monitoring_" in q or "declarations_" in q or "people_person" in q for q in after)
