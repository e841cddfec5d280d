"""GET /api/v1/triage: membership, order, filters, keyset pagination, jurisdiction, query count."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.cases.tests.helpers import declare, risk_declare


def ids(resp: Any) -> list[int]:
    assert resp.status_code == 200, resp.content
    return [item["person_id"] for item in resp.json()["items"]]


@pytest.fixture
def queue_world(world: Any, api: Any) -> Any:
    """Hà Nội: Lan medium, her father Bình (71) medium, Nam high, Mai (Ba Đình) urgent,
    An low (not queued), Ông Tư a low risk-factor declaration. TP.HCM: Hùng high, Hoa medium."""
    declare(api, world.lan, world.lan_self, "medium")
    declare(api, world.lan, world.lan_parent, "medium")
    declare(api, world.lan, world.lan_child, "low")
    declare(api, world.nam, world.nam_self, "high")
    declare(api, world.mai, world.mai_self, "urgent")
    risk_declare(api, world.volunteer, world.ong_tu)
    declare(api, world.hung, world.hung_self, "high")
    declare(api, world.hoa, world.hoa_self, "medium")
    return world


def test_it_lists_the_jurisdiction_in_priority_order(queue_world: Any, api: Any) -> None:
    w = queue_world
    resp = api.as_(w.province).get("/triage", headers={"Accept-Language": "en"})
    # urgent, high, then medium with the person aged 65+ first, then the low risk-factor declaration
    assert ids(resp) == [w.mai_self.id, w.nam_self.id, w.lan_parent.id, w.lan_self.id, w.ong_tu.id]
    first = resp.json()["items"][0]
    assert first["level"] == "urgent"
    assert first["colour"] == "red"
    assert first["reasons"] == ["level"]
    assert resp.json()["items"][-1]["reasons"] == ["risk_declaration"]
    assert "lost to follow-up" in resp.json()["lost_to_followup_rule"]


def test_it_never_shows_another_province(queue_world: Any, api: Any) -> None:
    w = queue_world
    hanoi = {w.mai_self.id, w.nam_self.id, w.lan_parent.id, w.lan_self.id, w.ong_tu.id}
    hcmc = {w.hung_self.id, w.hoa_self.id}
    assert set(ids(api.as_(w.province).get("/triage"))) == hanoi
    assert set(ids(api.as_(w.province_hcm).get("/triage"))) == hcmc
    assert set(ids(api.as_(w.national).get("/triage"))) == hanoi | hcmc
    # a ward official sees their own ward only (Hoàn Kiếm: not Mai of Ba Đình)
    assert set(ids(api.as_(w.ward_official).get("/triage"))) == hanoi - {w.mai_self.id}
    # even when asking for another ward by filter
    assert ids(api.as_(w.ward_official).get(f"/triage?ward={w.ba_dinh.code}")) == []
    assert ids(api.as_(w.province).get(f"/triage?ward={w.sai_gon.code}")) == []
    assert ids(api.as_(w.province_hcm).get(f"/triage?ward={w.hoan_kiem.code}")) == []


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin", "dpo"])
def test_it_refuses_everyone_but_officials(world: Any, api: Any, who: str) -> None:
    resp = api.as_(getattr(world, who)).get("/triage")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "officials_only"


def test_it_filters_by_ward_level_reason(queue_world: Any, api: Any) -> None:
    w = queue_world
    official = api.as_(w.province)
    assert ids(official.get(f"/triage?ward={w.ba_dinh.code}")) == [w.mai_self.id]
    assert ids(official.get("/triage?level=medium")) == [w.lan_parent.id, w.lan_self.id]
    assert ids(official.get("/triage?reason=risk_declaration")) == [w.ong_tu.id]
    assert ids(official.get("/triage?reason=missed_updates")) == []


def test_it_filters_by_follow_up_and_assignee(queue_world: Any, api: Any) -> None:
    w = queue_world
    official = api.as_(w.province)
    assert official.post(f"/cases/{w.lan_self.id}/assign", {}).status_code == 200
    assert official.post(f"/cases/{w.nam_self.id}/actions", {"kind": "called_not_reached"}).status_code == 201
    assert set(ids(official.get("/triage?followup=open"))) == {w.lan_self.id, w.nam_self.id}
    assert ids(official.get("/triage?followup=assigned")) == [w.lan_self.id]
    assert w.lan_self.id not in ids(official.get("/triage?followup=unassigned"))
    assert w.nam_self.id in ids(official.get("/triage?followup=unassigned"))
    assert set(ids(official.get("/triage?followup=none"))) == {w.mai_self.id, w.lan_parent.id, w.ong_tu.id}
    assert ids(official.get("/triage?assigned=me")) == [w.lan_self.id]
    assert ids(official.get(f"/triage?assigned={w.province.pk}")) == [w.lan_self.id]
    assert ids(official.get(f"/triage?assigned={w.ward_official.pk}")) == []
    item = official.get("/triage?assigned=me").json()["items"][0]
    assert item["follow_up"]["assigned_to"]["id"] == w.province.pk


def test_it_filters_by_date_range_and_missed_days(queue_world: Any, api: Any) -> None:
    from django.utils import timezone

    w = queue_world
    official = api.as_(w.province)
    today = timezone.localdate()
    assert len(ids(official.get(f"/triage?since_from={today}&since_to={today}"))) == 5
    assert ids(official.get(f"/triage?since_to={today.replace(year=today.year - 1)}")) == []
    assert ids(official.get("/triage?min_missed=1")) == []
    assert len(ids(official.get("/triage?min_missed=0"))) == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("level=severe", "level"),
        ("reason=nope", "reason"),
        ("followup=maybe", "followup"),
        ("ward=abc", "ward"),
        ("min_missed=-1", "min_missed"),
        ("since_from=yesterday", "since_from"),
        ("since_from=2026-02-10&since_to=2026-02-01", "since_to"),
        ("cursor=not-a-cursor", "cursor"),
        ("limit=101", "limit"),
        ("limit=0", "limit"),
    ],
)
def test_it_refuses_bad_filters_field_by_field(world: Any, api: Any, query: str, field: str) -> None:
    resp = api.as_(world.province).get(f"/triage?{query}")
    assert resp.status_code == 400
    assert field in resp.json()["error"]["fields"]


def test_it_pages_with_a_stable_keyset_cursor(queue_world: Any, api: Any) -> None:
    w = queue_world
    official = api.as_(w.national)
    everyone = ids(official.get("/triage?limit=100"))
    assert len(everyone) == 7
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        resp = official.get("/triage?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += ids(resp)
        pages += 1
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            break
        if pages == 2:
            # a new person entering the queue ahead of the cursor does not shift later pages
            declare(api, w.hung, w.hung_spouse, "urgent")
    assert pages == 4
    assert seen == everyone


def test_it_answers_the_queue_in_a_bounded_number_of_queries(
    queue_world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    w = queue_world
    client = api.as_(w.national)
    client.post(f"/cases/{w.lan_self.id}/assign", {})
    client.post(f"/cases/{w.hung_self.id}/assign", {"assignee_id": w.province_hcm.pk})
    # token lookup + last-used stamp, the rows, their open cases
    with django_assert_max_num_queries(6):
        resp = client.get("/triage?limit=100")
    assert len(resp.json()["items"]) == 7


def test_it_moves_a_person_to_the_queue_of_their_new_ward(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    resp = api.as_(world.lan).patch(f"/people/{world.lan_self.id}", {"ward_code": world.sai_gon.code})
    assert resp.status_code == 200
    assert ids(api.as_(world.province).get("/triage")) == []
    assert ids(api.as_(world.province_hcm).get("/triage")) == [world.lan_self.id]
