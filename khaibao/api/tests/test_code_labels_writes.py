"""Every code an API answer carries gets its label beside it, continued: erasure codes and
erasures, the household's consents, exports, campaigns' reminder policies, zone and place
versions and their warning runs — in Vietnamese by default, in English on request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from khaibao.exports.tests.helpers import body as export_body
from khaibao.exports.tests.helpers import declare_everyone, refresh_stats
from khaibao.orgs.models import OrgUnit
from khaibao.zones.tests.helpers import place_body, zone_body

EN = {"headers": {"Accept-Language": "en"}}
LAN_PHONE = "+84900000001"


# --- privacy ---------------------------------------------------------------------------------


def test_it_puts_words_beside_an_erasures_reason_and_status(world: Any, api: Any, sms: Any) -> None:
    client = api.as_(world.lan)
    ask = client.post("/privacy/erasure-codes", {"person_ids": [world.lan_parent.id], "reason": "request"})
    assert ask.status_code == 201, ask.content
    assert (ask.json()["reason"], ask.json()["reason_label"]) == ("request", "Người dân yêu cầu xóa dữ liệu")

    confirm = client.post(f"/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202, confirm.content
    (started,) = confirm.json()["erasures"]
    assert (started["reason_label"], started["status"], started["status_label"]) == (
        "Người dân yêu cầu xóa dữ liệu", "pending", "Đang chờ thực hiện"
    )

    (listed,) = client.get("/privacy/erasures").json()
    assert (listed["reason_label"], listed["status_label"]) == ("Người dân yêu cầu xóa dữ liệu", "Đang chờ thực hiện")
    (english,) = client.get("/privacy/erasures", **EN).json()
    assert (english["reason"], english["reason_label"]) == ("request", "Erasure requested by the citizen")
    assert (english["status"], english["status_label"]) == ("pending", "Waiting to run")


def test_it_names_a_consent_withdrawal_as_the_reason(world: Any, api: Any) -> None:
    resp = api.as_(world.lan).post(
        "/privacy/erasure-codes", {"person_ids": [world.lan_child.id], "reason": "consent_withdrawn"}, **EN
    )
    assert resp.status_code == 201, resp.content
    assert (resp.json()["reason"], resp.json()["reason_label"]) == ("consent_withdrawn", "Consent withdrawn")


def test_it_puts_the_relation_in_words_beside_each_persons_consents(world: Any, api: Any) -> None:
    people = {p["person_id"]: p for p in api.as_(world.lan).get("/privacy/consent").json()["people"]}
    assert (people[world.lan_child.id]["relation"], people[world.lan_child.id]["relation_label"]) == ("child", "Con")
    english = api.as_(world.lan).get("/privacy/consent", **EN).json()["people"]
    assert next(p for p in english if p["person_id"] == world.lan_child.id)["relation_label"] == "Child"


# --- exports ---------------------------------------------------------------------------------


@pytest.fixture
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.mark.usefixtures("_export_root")
def test_it_puts_words_beside_an_exports_kind_and_status(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    refresh_stats()
    official = api.as_(world.province)
    resp = official.post("/exports", export_body("triage"))
    assert resp.status_code == 200, resp.content
    job_id = resp["X-Export-Id"]

    job = official.get(f"/exports/{job_id}").json()
    assert (job["kind"], job["kind_label"]) == ("triage", "Danh sách cần xử lý")
    assert (job["status"], job["status_label"]) == ("done", "Sẵn sàng")
    (listed,) = official.get("/exports", **EN).json()["items"]
    assert (listed["kind_label"], listed["status_label"]) == ("Triage list", "Ready")


# --- organisations ---------------------------------------------------------------------------


def test_it_puts_the_reminder_policy_in_words_beside_a_campaign(world: Any, api: Any) -> None:
    client = api.as_(world.org_admin)
    unit = OrgUnit.objects.get(path="TWD/HN")
    today = timezone.localdate()
    body = {"name": "Khai báo 100%", "starts_on": today.isoformat(), "deadline": (today + timedelta(days=7)).isoformat(),
            "reminder_policy": "in_app_sms"}
    created = client.post(f"/orgs/{unit.pk}/campaigns", body)
    assert created.status_code == 201, created.content
    assert (created.json()["reminder_policy"], created.json()["reminder_policy_label"]) == (
        "in_app_sms", "Trong ứng dụng và SMS"
    )
    (listed,) = client.get(f"/orgs/{unit.pk}/campaigns").json()
    assert listed["reminder_policy_label"] == "Trong ứng dụng và SMS"


# --- zones and places ------------------------------------------------------------------------


def test_it_puts_words_beside_a_versions_change_and_its_runs_status(world: Any, api: Any) -> None:
    official = api.as_(world.province)
    zone = official.post("/zones", zone_body())
    assert zone.status_code == 201, zone.content
    body = zone.json()
    assert (body["change"], body["change_label"]) == ("create", "Đã công bố")
    assert (body["warning"]["status"], body["warning"]["status_label"]) == ("pending", "Đang chờ")

    raised = official.patch(f"/zones/{body['zone_id']}", {"level": 4}, **EN).json()
    assert (raised["change"], raised["change_label"]) == ("raise", "Raised or widened")
    assert (raised["warning"]["status"], raised["warning"]["status_label"]) == ("pending", "Waiting")

    place = official.post("/zones/places", place_body(), **EN)
    assert place.status_code == 201, place.content
    assert (place.json()["change"], place.json()["change_label"]) == ("create", "Declared")
    withdrawn = official.patch(f"/zones/places/{place.json()['place_id']}", {"withdrawn": True}).json()
    assert withdrawn["change_label"]
    assert withdrawn["change_label"] != withdrawn["change"]
