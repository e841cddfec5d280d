"""Campaign dates inside core.params' range, and the org writes that read a row before their
transaction: a membership answered twice at once, a unit moved or created from a stale copy."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import pytest
from django.utils import timezone

from khaibao.core.errors import ServiceError
from khaibao.core.testing import at_once
from khaibao.orgs import access, campaigns, services
from khaibao.orgs.models import Campaign, Member, OrgUnit
from khaibao.orgs.tasks import compliance_refresh
from khaibao.orgs.tests.helpers import console


def _paths_wrong() -> list[str]:
    """Every unit whose path is not its parent's path and its code."""
    return [
        f"{u.code}: {u.path} under {u.parent.path if u.parent else None}"
        for u in OrgUnit.objects.select_related("parent")
        if u.path != (f"{u.parent.path}/{u.code}" if u.parent else u.code)
    ]


def _tree(root: OrgUnit) -> dict[str, OrgUnit]:
    made: dict[str, OrgUnit] = {}
    for code, parent in (("P", root), ("Q", root), ("R", root), ("X", "P"), ("Y", "X")):
        made[code] = OrgUnit.objects.create(code=code, name=code, parent=made[parent] if isinstance(parent, str) else parent)
    return made


# --- campaign dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "deadline", "field"),
    [(date(1, 1, 1), date(2099, 1, 1), "starts_on"), (None, date(9999, 12, 31), "deadline"),
     (date(1899, 12, 31), None, "starts_on")],
)
def test_it_refuses_campaign_dates_out_of_range_as_field_errors(world: Any, starts_on: Any, deadline: Any, field: str) -> None:
    today = timezone.localdate()
    starts_on, deadline = starts_on or today, deadline or today
    unit = world.org_admin.org_unit
    with pytest.raises(ServiceError) as refused:
        campaigns.campaign_create(actor=world.org_admin, unit=unit, name="Đợt thử", starts_on=starts_on, deadline=deadline)
    assert field in refused.value.fields
    assert "1900-01-01" in refused.value.fields[field]

    campaign = campaigns.campaign_create(actor=world.org_admin, unit=unit, name="Đợt thử", starts_on=today, deadline=today)
    with pytest.raises(ServiceError) as refused:
        campaigns.campaign_update(
            actor=world.org_admin, campaign=campaign, name="Đợt thử", starts_on=starts_on, deadline=deadline,
            target_declared=True, target_updated_daily=True, reminder_policy="in_app",
        )
    assert field in refused.value.fields
    campaign.refresh_from_db()
    assert (campaign.starts_on, campaign.deadline) == (today, today)


def test_the_console_refuses_a_campaign_starting_in_year_one(world: Any) -> None:
    unit = world.org_admin.org_unit
    form = {"name": "Đợt thử", "starts_on": "0001-01-01", "deadline": "2099-01-01", "target_declared": "on",
            "target_updated_daily": "on", "reminder_policy": "in_app_sms"}
    assert console(world.org_admin).post(f"/staff/orgs/{unit.pk}/campaigns/new/", form).status_code == 400
    assert not Campaign.objects.exists()
    compliance_refresh.call()  # the task that overflowed every minute on such a campaign


# --- units from a stale copy -------------------------------------------------------------------


def test_a_move_takes_the_paths_as_they_are_now_not_as_the_view_read_them(world: Any) -> None:
    admin = world.org_admin
    units = _tree(admin.org_unit)
    x_seen = access.access_unit_for_user(admin, units["X"].pk)  # request B's view reads X …
    services.unit_update(actor=admin, unit=units["P"], new_parent_id=units["R"].pk)  # … A moves P …
    moved = services.unit_update(actor=admin, unit=x_seen, new_parent_id=units["Q"].pk)  # … B moves X.
    assert _paths_wrong() == []
    assert moved.path == f"{units['Q'].path}/X"
    assert OrgUnit.objects.get(code="Y").path == f"{units['Q'].path}/X/Y"


def test_a_move_under_a_parent_read_before_its_own_move_takes_its_path_now(world: Any) -> None:
    admin = world.org_admin
    units = _tree(admin.org_unit)
    services.unit_update(actor=admin, unit=units["Q"], new_parent_id=units["R"].pk)  # Q's copy is stale now
    services.unit_update(actor=admin, unit=units["X"], new_parent_id=units["Q"].pk)
    assert _paths_wrong() == []


def test_a_unit_created_under_a_stale_parent_gets_the_parents_path_now(world: Any) -> None:
    admin = world.org_admin
    units = _tree(admin.org_unit)
    x_seen = access.access_unit_for_user(admin, units["X"].pk)
    services.unit_update(actor=admin, unit=units["P"], new_parent_id=units["R"].pk)
    created = services.unit_create(actor=admin, parent=x_seen, code="Z", name="Z")
    assert _paths_wrong() == []
    assert created.path == f"{admin.org_unit.path}/R/P/X/Z"


def test_a_move_under_a_unit_archived_since_the_view_read_it_is_refused(world: Any) -> None:
    admin = world.org_admin
    units = _tree(admin.org_unit)
    services.unit_archive(actor=admin, unit=OrgUnit.objects.get(pk=units["Q"].pk))
    with pytest.raises(ServiceError):
        services.unit_create(actor=admin, parent=units["Q"], code="Z", name="Z")  # Q's copy says active
    assert not OrgUnit.objects.filter(code="Z").exists()


# --- at the same moment (PostgreSQL: SQLite runs one writer at a time) --------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_membership_confirmed_and_declined_at_once_gets_one_answer(world: Any, api: Any) -> None:
    lan = world.lan
    member = Member.objects.create(
        unit=OrgUnit.objects.get(path="TWD/HN"), full_name="Lan", phone=lan.phone, phone_index=lan.phone_index, account=lan
    )
    token = api.as_(lan).token
    confirm, decline = type(api)(token), type(api)(token)
    for _round in range(5):
        Member.objects.filter(pk=member.pk).update(confirmed_at=None, declined_at=None, account=lan)
        answers = at_once([partial(confirm.post, f"/memberships/{member.pk}/confirm"),
                           partial(decline.post, f"/memberships/{member.pk}/decline")])
        line = Member.objects.get(pk=member.pk)
        # The loser: 409 already_answered, or 404 when the decline went first (the line is no
        # longer linked to her, so the confirmation's view finds no line of hers).
        codes = sorted(a.status_code for a in answers)
        assert codes in ([200, 404], [200, 409]), codes
        assert [a.json()["error"]["code"] for a in answers if a.status_code == 409] in ([], ["already_answered"])
        assert (line.confirmed_at is None) != (line.declined_at is None)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_moves_and_creates_at_once_keep_every_path(world: Any, api: Any) -> None:
    admin = world.org_admin
    root = admin.org_unit
    units = _tree(root)
    client = api.as_(admin)
    for round_ in range(8):
        p_to, x_to = (units["R"], units["Q"]) if round_ % 2 == 0 else (root, root)
        at_once([
            partial(client.patch, f"/orgs/{units['P'].pk}", {"parent_id": p_to.pk}),
            partial(client.patch, f"/orgs/{units['X'].pk}", {"parent_id": x_to.pk}),
            partial(client.patch, f"/orgs/{units['R'].pk}", {"parent_id": (units["Q"] if round_ % 2 else root).pk}),
            partial(client.post, f"/orgs/{units['Y'].pk}/units", {"code": f"Z{round_}", "name": f"Z{round_}"}),
        ])
        assert _paths_wrong() == [], round_
