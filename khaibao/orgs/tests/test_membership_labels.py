"""A membership's state in words beside its code: the citizen's `GET /memberships` (`state_label`)
and the org admin's `GET /orgs/{id}/members` (`membership_label`), both from
orgs.compliance.membership_label."""

from __future__ import annotations

from typing import Any

from khaibao.accounts.phones import phone_index
from khaibao.orgs.models import Member

EN = {"headers": {"Accept-Language": "en"}}


def test_the_admins_members_list_says_the_membership_in_words(world: Any, tree: Any, api: Any) -> None:
    items = api.as_(tree.admin).get(f"/orgs/{tree.c1.pk}/members").json()["items"]
    assert [(m["membership"], m["membership_label"]) for m in items] == [
        ("confirmed", "Đã xác nhận"), ("confirmed", "Đã xác nhận"), ("awaiting", "Chờ xác nhận"),
    ]
    english = api.as_(tree.admin).get(f"/orgs/{tree.c1.pk}/members", **EN).json()["items"]
    assert english[-1]["membership_label"] == "Awaiting confirmation"


def test_a_citizens_memberships_say_their_state_in_words(world: Any, api: Any, units: Any) -> None:
    # The demo roster's line with Lan's phone, linked as her sign-in links it.
    assert Member.objects.filter(unit=units["hk"], phone_index=phone_index("+84900000001")).update(account=world.lan) == 1
    rows = api.as_(world.lan).get("/memberships").json()
    assert [(r["state"], r["state_label"]) for r in rows] == [("awaiting", "Chờ xác nhận")]
    answered = api.as_(world.lan).post(f"/memberships/{rows[0]['id']}/confirm", **EN)
    assert (answered.json()["state"], answered.json()["state_label"]) == ("confirmed", "Confirmed")
