"""Issue 21: a member confirms where they are — the app (API) and the web home page — with the
sign-in they already have, no second SMS code; the answer counts at the next refresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.accounts.models import OtpChallenge
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.conftest import ApiClient
from khaibao.orgs import tasks
from khaibao.orgs.models import Campaign, Member
from khaibao.orgs.tests.helpers import console


def _app_sign_in(api: Any, sms: Any, phone: str) -> ApiClient:
    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert api.post("/auth/otp/request", {"phone": phone}).status_code == 202
    resp = api.post("/auth/otp/verify", {"phone": phone, "code": sms.last_code("+84" + phone[1:])})
    assert resp.status_code == 200, resp.content
    return ApiClient(resp.json()["token"])


def test_an_app_member_confirms_through_the_api_without_a_second_code(world: Any, api: Any, sms: Any, units: Any) -> None:
    wrong = Member.objects.create(
        unit=units["hcm"], full_name="Nhầm người", phone="+84900000001", phone_index=phone_index("+84900000001")
    )
    start = timezone.localdate() - timedelta(days=1)
    campaign = Campaign.objects.create(unit=units["twd"], name="100%", starts_on=start, deadline=start + timedelta(days=9))
    app = _app_sign_in(api, sms, "0900000001")
    texts_after_sign_in = len(sms.messages())
    # Right after sign-in the app learns there is something to answer.
    assert app.get("/me").json()["pending_memberships"] == 2

    listed = app.get("/memberships")
    assert listed.status_code == 200, listed.content
    by_unit = {m["unit_name"]: m for m in listed.json()}
    assert set(by_unit) == {"Đoàn cơ sở phường Hoàn Kiếm", "Thành đoàn TP.HCM"}
    assert {m["state"] for m in by_unit.values()} == {"awaiting"}
    mine = by_unit["Đoàn cơ sở phường Hoàn Kiếm"]

    resp = app.post(f"/memberships/{mine['id']}/confirm", headers={"Idempotency-Key": "confirm-1"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "confirmed"
    replay = app.post(f"/memberships/{mine['id']}/confirm", headers={"Idempotency-Key": "confirm-1"})
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (200, "true")
    again = app.post(f"/memberships/{mine['id']}/confirm")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_answered")
    assert AuditEvent.objects.filter(action="orgs.membership_confirm", actor=world.lan).count() == 1

    declined = app.post(f"/memberships/{wrong.pk}/decline")
    assert (declined.status_code, declined.json()["state"]) == (200, "declined")
    assert [m["unit_name"] for m in app.get("/memberships").json()] == ["Đoàn cơ sở phường Hoàn Kiếm"]
    assert app.get("/me").json()["pending_memberships"] == 0
    assert app.post(f"/memberships/{wrong.pk}/confirm").status_code == 404  # unlinked now

    # No second code was sent for any of it.
    assert len(sms.messages()) == texts_after_sign_in
    # Counted at the next refresh.
    tasks.compliance_refresh.call()
    body = api.as_(world.org_admin).get(f"/orgs/{units['hk'].pk}/compliance?campaign={campaign.pk}").json()["unit"]
    assert body["confirmed"] == 1
    hcm = api.as_(world.org_admin).get(f"/orgs/{units['hcm'].pk}/compliance?campaign={campaign.pk}").json()["unit"]
    assert (hcm["members"], hcm["declined"]) == (0, 1)


def test_nobody_answers_for_someone_else(world: Any, api: Any, sms: Any, units: Any) -> None:
    _app_sign_in(api, sms, "0900000002")
    mai_line = Member.objects.get(account=world.mai)
    lan = api.as_(world.lan)
    assert lan.post(f"/memberships/{mai_line.pk}/confirm").status_code == 404
    assert lan.post(f"/memberships/{mai_line.pk}/decline").status_code == 404
    assert lan.post("/memberships/0/confirm").status_code == 404
    assert api.as_(world.org_admin).get("/memberships").status_code == 403
    assert api.get("/memberships").status_code == 401
    mai_line.refresh_from_db()
    assert (mai_line.confirmed_at, mai_line.declined_at) == (None, None)


def test_the_home_page_asks_right_after_sign_in_and_stays_there(world: Any, api: Any, sms: Any, units: Any) -> None:
    _app_sign_in(api, sms, "0900000001")
    line = Member.objects.get(unit=units["hk"], account=world.lan)
    page = console(world.lan)
    home = page.get("/").content.decode()
    assert 'data-testid="pending-memberships"' in home
    assert f"/memberships/{line.pk}/confirm/?back=home" in home
    asked = page.get(f"/memberships/{line.pk}/confirm/?back=home").content.decode()
    assert 'name="back" value="home"' in asked  # the confirmation page carries it
    resp = page.post(f"/memberships/{line.pk}/confirm/", {"back": "home", "confirmed": "1"})
    assert (resp.status_code, resp["Location"]) == (302, "/")
    line.refresh_from_db()
    assert line.confirmed_at
    assert 'data-testid="pending-memberships"' not in page.get("/").content.decode()
