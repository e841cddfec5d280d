from __future__ import annotations

from typing import Any

import pytest

from khaibao.audit.models import AuditEvent
from khaibao.news.models import Announcement
from khaibao.news.tests.helpers import item, publish


def test_it_lets_a_national_official_publish_for_the_country_and_any_province(world: Any, api: Any) -> None:
    country = publish(api, world.national)
    hcm = publish(api, world.national, province=world.hcmc.pk)
    assert country["province"] is None
    assert hcm["province"] == {"code": world.hcmc.pk, "name": world.hcmc.name}
    assert AuditEvent.objects.filter(action="news.create").count() == 2


def test_it_lets_a_province_official_publish_for_their_province(world: Any, api: Any) -> None:
    out = publish(api, world.province, province=world.hanoi.pk)
    assert out["province"]["code"] == world.hanoi.pk
    event = AuditEvent.objects.get(action="news.create")
    assert event.actor_id == world.province.pk
    assert event.object_id == str(out["id"])


@pytest.mark.parametrize("province", ["other", None])
def test_it_refuses_a_province_official_another_audience(world: Any, api: Any, province: str | None) -> None:
    code = world.hcmc.pk if province == "other" else None
    resp = api.as_(world.province).post("/news", item(province=code))
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"
    assert "province" in resp.json()["error"]["fields"]
    assert not Announcement.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="news.").exists()


@pytest.mark.parametrize("who", ["ward_official", "lan", "checkpoint", "org_admin", "dpo"])
def test_it_refuses_everyone_else_with_403(world: Any, api: Any, who: str) -> None:
    resp = api.as_(getattr(world, who)).post("/news", item(province=world.hanoi.pk))
    assert resp.status_code == 403
    assert not Announcement.objects.exists()


def test_it_refuses_a_ward_official_edits_too(world: Any, api: Any) -> None:
    created = publish(api, world.province, province=world.hanoi.pk)
    resp = api.as_(world.ward_official).patch(f"/news/{created['id']}", {"title": "Đổi"})
    assert resp.status_code == 403
    assert Announcement.objects.get().title == "Thông báo khẩn"


def test_it_asks_for_a_token_to_publish(world: Any, api: Any) -> None:
    assert api.post("/news", item()).status_code == 401


def test_it_hides_another_provinces_item_from_a_province_official(world: Any, api: Any) -> None:
    hanoi = publish(api, world.province, province=world.hanoi.pk)
    national = publish(api, world.national)
    for target in (hanoi, national):
        resp = api.as_(world.province_hcm).patch(f"/news/{target['id']}", {"title": "Sửa"})
        assert resp.status_code == 404
        resp = api.as_(world.province_hcm).post(f"/news/{target['id']}/unpublish")
        assert resp.status_code == 404
    assert api.as_(world.province).patch("/news/999999", {"title": "x"}).status_code == 404


def test_it_refuses_a_province_official_moving_an_item_out_of_their_province(world: Any, api: Any) -> None:
    created = publish(api, world.province, province=world.hanoi.pk)
    for province in (None, world.hcmc.pk):
        resp = api.as_(world.province).patch(f"/news/{created['id']}", {"province": province})
        assert resp.status_code == 403
    assert Announcement.objects.get().province_id == world.hanoi.pk


def test_it_audits_every_change_and_unpublishes_without_deleting(world: Any, api: Any) -> None:
    created = publish(api, world.province, province=world.hanoi.pk)
    client = api.as_(world.province)
    resp = client.patch(f"/news/{created['id']}", {"title": "Thông báo mới", "pinned": True})
    assert resp.status_code == 200
    assert resp.json()["title"] == "Thông báo mới"
    update = AuditEvent.objects.get(action="news.update")
    assert update.data["fields"] == ["pinned", "title"]

    resp = client.post(f"/news/{created['id']}/unpublish")
    assert resp.status_code == 200
    assert resp.json()["expires_at"] is not None
    assert AuditEvent.objects.filter(action="news.unpublish").count() == 1
    assert Announcement.objects.filter(pk=created["id"]).exists()
    assert api.get(f"/news/{created['id']}").status_code == 404
    # Unpublishing twice changes nothing and records nothing more.
    assert client.post(f"/news/{created['id']}/unpublish").status_code == 200
    assert AuditEvent.objects.filter(action="news.unpublish").count() == 1


def test_it_records_no_change_when_nothing_changed(world: Any, api: Any) -> None:
    created = publish(api, world.national)
    resp = api.as_(world.national).patch(f"/news/{created['id']}", {"title": created["title"]})
    assert resp.status_code == 200
    assert not AuditEvent.objects.filter(action="news.update").exists()
