from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.audit.models import AuditEvent
from khaibao.orgs.models import Campaign
from khaibao.orgs.tests.helpers import console


def _day(offset: int) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


def test_it_creates_and_lists_campaigns_for_a_unit(world, api, units, hn_admin):
    client = api.as_(hn_admin)
    body = {"name": "Khai báo 100%", "starts_on": _day(0), "deadline": _day(14), "target_updated_daily": False,
            "reminder_policy": "in_app_sms"}
    resp = client.post(f"/orgs/{units['hk'].pk}/campaigns", body)
    assert resp.status_code == 201, resp.content
    assert resp.json()["reminder_policy"] == "in_app_sms"
    assert resp.json()["target_declared"] is True
    listed = client.get(f"/orgs/{units['hk'].pk}/campaigns").json()
    assert [c["name"] for c in listed] == ["Khai báo 100%"]
    assert client.get(f"/orgs/{units['bd'].pk}/campaigns").json() == []
    assert client.post(f"/orgs/{units['hcm'].pk}/campaigns", body).status_code == 404
    assert AuditEvent.objects.filter(action="orgs.campaign_create").count() == 1


def test_it_refuses_invalid_campaigns_with_field_messages(world, api, units):
    client = api.as_(world.org_admin)
    url = f"/orgs/{units['hn'].pk}/campaigns"
    cases = [
        ({"name": "x", "starts_on": _day(5), "deadline": _day(1)}, "deadline"),
        ({"name": "x", "starts_on": _day(-10), "deadline": _day(-1)}, "deadline"),
        ({"name": "  ", "starts_on": _day(0), "deadline": _day(1)}, "name"),
        ({"name": "x", "starts_on": _day(0), "deadline": _day(1), "target_declared": False, "target_updated_daily": False}, "target_declared"),
        ({"name": "x", "starts_on": _day(0), "deadline": _day(1), "reminder_policy": "carrier_pigeon"}, "reminder_policy"),
        ({"name": "x", "starts_on": "tomorrow", "deadline": _day(1)}, "starts_on"),
        ({"name": "x", "starts_on": _day(0), "deadline": _day(1), "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        resp = client.post(url, body)
        assert resp.status_code in (400, 422), (body, resp.content)
        assert any(field in key for key in resp.json()["error"]["fields"]), (body, resp.json())
    assert not Campaign.objects.exists()


def test_it_edits_and_archives_campaigns_from_the_console(world, units):
    page = console(world.org_admin)
    form = {"name": "Chiến dịch", "starts_on": _day(0), "deadline": _day(7), "target_declared": "on",
            "target_updated_daily": "on", "reminder_policy": "in_app"}
    assert page.post(f"/staff/orgs/{units['hn'].pk}/campaigns/new/", form).status_code == 302
    campaign = Campaign.objects.get()
    bad = page.post(f"/staff/orgs/campaigns/{campaign.pk}/edit/", {**form, "deadline": _day(-3)})
    assert bad.status_code == 400
    assert page.post(f"/staff/orgs/campaigns/{campaign.pk}/edit/", {**form, "name": "Chiến dịch mới"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Chiến dịch mới"
    assert "Chiến dịch mới" in page.get(f"/staff/orgs/{units['hn'].pk}/").content.decode()
    assert page.get(f"/staff/orgs/campaigns/{campaign.pk}/archive/").status_code == 200  # the confirmation page
    assert page.post(f"/staff/orgs/campaigns/{campaign.pk}/archive/", {"confirmed": "1"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.archived_at is not None
    assert page.post(f"/staff/orgs/campaigns/{campaign.pk}/edit/", form).status_code == 400


def test_it_hides_campaigns_of_other_subtrees(world, units, hn_admin):
    page = console(world.org_admin)
    form = {"name": "HCM", "starts_on": _day(0), "deadline": _day(7), "target_declared": "on", "reminder_policy": "none"}
    assert page.post(f"/staff/orgs/{units['hcm'].pk}/campaigns/new/", form).status_code == 302
    campaign = Campaign.objects.get()
    assert console(hn_admin).get(f"/staff/orgs/campaigns/{campaign.pk}/edit/").status_code == 404
    assert console(hn_admin).get(f"/staff/orgs/campaigns/{campaign.pk}/archive/").status_code == 404
    assert console(hn_admin).post(f"/staff/orgs/campaigns/{campaign.pk}/archive/", {"confirmed": "1"}).status_code == 404


def test_it_invites_a_sub_admin_who_sets_a_password_once(world, units, hn_admin, client):
    page = console(hn_admin)
    resp = page.post(f"/staff/orgs/{units['hk'].pk}/do/invite/", {"username": "hk-admin", "display_name": "Bí thư HK"})
    assert resp.status_code == 200
    link = re.search(r'value="(http://testserver(/staff/set-password/[^"]+))"', resp.content.decode())
    assert link, resp.content
    path = link.group(2)
    invited = Account.objects.get(username="hk-admin")
    assert invited.role == Role.ORG_ADMIN
    assert invited.org_unit == units["hk"]
    assert not invited.has_usable_password()
    assert page.post(f"/staff/orgs/{units['hk'].pk}/do/invite/", {"username": "HK-admin"}).status_code == 400
    assert page.post(f"/staff/orgs/{units['twd'].pk}/do/invite/", {"username": "evil"}).status_code == 404

    assert client.get(path).status_code == 302  # the link redirects to the form's page, which carries no token
    weak = client.post(path, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 400
    good = "Mật-khẩu-rất-dài-2026"
    assert client.post(path, {"new_password1": good, "new_password2": good}).status_code == 302
    assert client.get(path).status_code == 404
    signed_in = client.post("/staff/sign-in/", {"username": "hk-admin", "password": good})
    assert signed_in.status_code == 302
    assert client.get("/staff/orgs/").status_code == 200
    assert client.get(f"/staff/orgs/{units['hn'].pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="orgs.subadmin_invite", actor=hn_admin).count() == 1
    assert AuditEvent.objects.filter(action="account.password_set", actor=invited).count() == 1


def test_it_refuses_a_forged_set_password_link(world, client):
    assert client.get("/staff/set-password/MQ/not-a-token/").status_code == 404
    assert client.get("/staff/set-password/%%%/x-y/").status_code in (404,)
