"""Issue 17, major 6: the data-protection officer's list of data-subject requests — kind, who,
when received, status and the 72-hour due time (Decree 13/2023/NĐ-CP) — as a page and as
`GET /api/v1/privacy/requests` (DPO only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.privacy.models import Erasure

LAN_PHONE = "+84900000001"


def _download_and_erase(api: Any, sms: Any, world: Any) -> None:
    client = api.as_(world.lan)
    assert client.get("/privacy/export").status_code == 200
    ask = client.post("/privacy/erasure-codes", {"person_ids": [world.lan_child.id], "reason": "request"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202, confirm.content


def test_it_lists_downloads_and_erasures_with_their_due_time(world: Any, api: Any, sms: Any, time_machine: Any) -> None:
    time_machine.move_to("2026-11-02 09:00:00+07:00", tick=False)
    _download_and_erase(api, sms, world)
    time_machine.shift(timedelta(hours=73))

    rows = api.as_(world.dpo).get("/privacy/requests").json()

    by_kind = {r["kind"]: r for r in rows}
    assert set(by_kind) == {"export", "erasure"}
    erasure = by_kind["erasure"]
    # The background erasure has not run (no worker here): still open, and past the 72 hours.
    assert (erasure["status"], erasure["status_label"]) == ("in_progress", "Đang xử lý")
    assert erasure["kind_label"] == "Xóa dữ liệu"
    assert erasure["person_ids"] == [world.lan_child.id]
    received = datetime.fromisoformat(erasure["received_at"])
    assert datetime.fromisoformat(erasure["due_at"]) - received == timedelta(hours=72)
    assert erasure["overdue"] is True
    assert erasure["requester_id"] == world.lan.id
    assert "+849•••••001" in erasure["requester_label"]
    assert "Lan" not in erasure["requester_label"]  # never a name
    download = by_kind["export"]
    assert (download["status"], download["overdue"]) == ("done", False)
    assert download["completed_at"] == download["received_at"]
    assert download["kind_label"] == "Tải dữ liệu của mình"

    # Filters: open ones only, or one kind.
    open_only = api.as_(world.dpo).get("/privacy/requests?status=in_progress").json()
    assert [r["kind"] for r in open_only] == ["erasure"]
    assert [r["kind"] for r in api.as_(world.dpo).get("/privacy/requests?kind=export").json()] == ["export"]
    assert api.as_(world.dpo).get("/privacy/requests?kind=bogus").status_code == 400


def test_it_marks_an_erasure_done_once_it_ran(world: Any, api: Any, sms: Any) -> None:
    _download_and_erase(api, sms, world)
    Erasure.objects.update(status="done", finished_at=timezone.now())
    erasure = next(r for r in api.as_(world.dpo).get("/privacy/requests").json() if r["kind"] == "erasure")
    assert (erasure["status"], erasure["overdue"]) == ("done", False)
    assert erasure["completed_at"] is not None


def test_it_keeps_the_list_to_the_data_protection_officer(world: Any, api: Any) -> None:
    for account in (world.lan, world.national, world.org_admin, world.checkpoint):
        resp = api.as_(account).get("/privacy/requests")
        assert resp.status_code == 403, account
        assert resp.json()["error"]["code"] == "forbidden"


def test_it_shows_the_dpo_the_requests_page(world: Any, api: Any, sms: Any) -> None:
    _download_and_erase(api, sms, world)
    client = Client()
    sign_in_staff(client, world.dpo)
    page = client.get("/staff/privacy/requests/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Yêu cầu của chủ thể dữ liệu" in html
    assert "Xóa dữ liệu" in html
    assert "Tải dữ liệu của mình" in html
    assert "72 giờ" in html
    assert 'data-status="in_progress"' in html
    official = Client()
    sign_in_staff(official, world.national)
    assert official.get("/staff/privacy/requests/").status_code in (302, 403, 404)
