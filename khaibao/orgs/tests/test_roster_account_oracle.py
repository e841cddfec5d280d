"""Adding a phone to a roster must not tell an organisation admin whether its owner has a Khai Báo
account: until the member answers, the unit page, the members API and the chasing list show the
same "awaiting confirmation" (the compliance pages' rule, orgs.compliance.membership_of), whether
the owner signed in or never did. Once the member confirms, the admin sees it."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.orgs.models import Campaign, Member, OrgUnit
from khaibao.stats.tests.helpers import official_client

REGISTERED = "0900000001"  # Lan's phone: she has an account (the demo world)
UNREGISTERED = "0912345678"  # nobody's


def _console(account: Account) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(account)
    return client


def _page_states(client: Client, unit: OrgUnit) -> dict[str, str]:
    """Each member's name → what the unit page says in its membership column."""
    html = client.get(reverse("backoffice:org_unit", args=[unit.pk])).content.decode()
    return dict(re.findall(r"<tr><td>([^<]+)</td><td>[^<]*</td><td>([^<]*)</td>", html))


def _sign_in(api: Any, sms: Any, phone: str) -> str:
    api.post("/auth/otp/request", {"phone": phone})
    resp = api.post("/auth/otp/verify", {"phone": phone, "code": sms.last_code("+84" + phone[1:])})
    assert resp.status_code == 200
    return str(resp.json()["token"])


def _world(world: Any, api: Any, sms: Any) -> Any:
    """A new unit under HN with two members added by its admin on the unit page — one with a phone
    whose owner has an account and has signed in since (her line is linked), one with a phone
    nobody has — and a campaign covering it."""
    hn = OrgUnit.objects.get(path="TWD/HN")
    unit = OrgUnit.objects.create(code="NEW", name="Chi đoàn mới", parent=hn)
    admin = Account.objects.create_user("hn-admin", "pw-hn-admin-2026", role=Role.ORG_ADMIN, org_unit=hn)
    today = timezone.localdate()
    Campaign.objects.create(
        unit=unit, name="Khai báo 100%", starts_on=today - timedelta(days=1), deadline=today + timedelta(days=10),
    )
    page = _console(admin)
    for name, phone in (("Nguyễn Thị Lan", REGISTERED), ("Trần Văn Nam", UNREGISTERED)):
        added = page.post(
            reverse("backoffice:org_unit_action", args=[unit.pk, "member"]),
            {"full_name": name, "phone": phone, "role": "doan_vien"},
        )
        assert added.status_code == 302, added.content[:300]
    token = _sign_in(api, sms, REGISTERED)
    lan_line = Member.objects.get(unit=unit, full_name="Nguyễn Thị Lan")
    assert lan_line.account == world.lan  # signed in: linked, not confirmed
    assert Member.objects.get(unit=unit, full_name="Trần Văn Nam").account is None
    return type("Roster", (), {"unit": unit, "admin": admin, "page": page, "lan_line": lan_line, "lan_token": token})


def test_the_unit_page_shows_the_same_state_with_or_without_an_account(world, api, sms):
    roster = _world(world, api, sms)

    states = _page_states(roster.page, roster.unit)

    assert states == {"Nguyễn Thị Lan": "Awaiting confirmation", "Trần Văn Nam": "Awaiting confirmation"}


def test_the_members_api_and_the_chasing_list_show_the_same_state(world, api, sms):
    roster = _world(world, api, sms)

    items = api.as_(roster.admin).get(f"/orgs/{roster.unit.pk}/members", headers={"Accept-Language": "en"}).json()["items"]
    by_name = {m["full_name"]: m for m in items}
    assert by_name["Nguyễn Thị Lan"]["membership"] == by_name["Trần Văn Nam"]["membership"] == "awaiting"
    assert {k: v for k, v in by_name["Nguyễn Thị Lan"].items() if k not in ("id", "full_name")} == {
        k: v for k, v in by_name["Trần Văn Nam"].items() if k not in ("id", "full_name")
    }

    chase = official_client(roster.admin).post(
        f"/staff/compliance/{roster.unit.pk}/chase/", {"status": "not_done", "format": "csv"}
    )
    assert chase.status_code == 200, chase.content[:300]
    rows = list(csv.reader(io.StringIO(chase.getvalue().decode("utf-8-sig"))))[1:]
    lines = {r[2]: r[4:] for r in rows}
    assert lines["Nguyễn Thị Lan"] == lines["Trần Văn Nam"]


def test_the_unit_page_shows_a_confirmed_member_as_confirmed(world, api, sms):
    roster = _world(world, api, sms)
    confirmed = api.post(
        f"/memberships/{roster.lan_line.pk}/confirm", headers={"Authorization": f"Bearer {roster.lan_token}"}
    )
    assert confirmed.status_code == 200

    states = _page_states(roster.page, roster.unit)

    assert states == {"Nguyễn Thị Lan": "Confirmed", "Trần Văn Nam": "Awaiting confirmation"}
