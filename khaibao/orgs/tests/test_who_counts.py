"""Issue 21: one definition of "member" — the rollups, the API, the page, the export and the
raw tables agree; a "not me" line leaves the total; an unconfirmed member shows "awaiting"
(issue 17's "Không / Không"); children plus the unit's own row add up (issue 17's assisted count)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import phone_index
from khaibao.orgs import tasks
from khaibao.orgs.models import Member
from khaibao.orgs.rollups import assisted_counts
from khaibao.orgs.tests.test_compliance import at, compliance, member, numbers, streamed, today
from khaibao.people.access import person_carers
from khaibao.people.models import Delegation, Person, VolunteerAppointment
from khaibao.stats.tests.helpers import official_client


def _raw_counts(unit: Any, campaign: Any) -> dict[str, int]:
    """The numbers from the raw tables, written out here independently of orgs.compliance."""
    d = today()
    start = timezone.make_aware(timezone.datetime.combine(campaign.starts_on, timezone.datetime.min.time()))
    out = {"members": 0, "confirmed": 0, "awaiting": 0, "declined": 0, "declared": 0, "updated_today": 0}
    for m in Member.objects.filter(unit__path__startswith=unit.path).select_related("person__status"):
        if not (m.unit.path == unit.path or m.unit.path.startswith(unit.path + "/")) or m.removed_at:
            continue
        if m.declined_at:
            out["declined"] += 1
            continue
        out["members"] += 1
        if m.confirmed_at is None:
            out["awaiting"] += 1
            continue
        out["confirmed"] += 1
        status = getattr(m.person, "status", None) if m.person else None
        if status and status.last_declaration_at and status.last_declaration_at >= start:
            out["declared"] += 1
        if status and status.last_update_day == d:  # an update for today, whenever it was sent
            out["updated_today"] += 1
    return out


def test_the_api_the_page_the_export_and_the_raw_tables_agree(world: Any, tree: Any, api: Any) -> None:
    tasks.compliance_refresh.call()
    client = official_client(tree.admin)
    for unit in (tree.twd, tree.hn, tree.p1, tree.c1, tree.c2):
        raw = _raw_counts(unit, tree.campaign)
        body = compliance(api, tree.admin, unit.pk).json()["unit"]
        assert {
            "members": body["members"], "confirmed": body["confirmed"], "awaiting": body["awaiting_confirmation"],
            "declined": body["declined"], "declared": body["declared"], "updated_today": body["updated_today"],
        } == raw, unit.path
        assert body["members"] == body["confirmed"] + body["awaiting_confirmation"]
        expected_pct = round(100 * raw["declared"] / raw["confirmed"], 1) if raw["confirmed"] else 0.0
        assert body["declared_pct"] == expected_pct

        page = client.get(f"/staff/compliance/{unit.pk}/").content.decode()
        for testid, key in (("unit-members", "members"), ("unit-confirmed", "confirmed"), ("unit-awaiting", "awaiting")):
            cell = re.search(rf'data-testid="{testid}">(.*?)</dd>', page, re.S)
            assert cell, testid
            assert re.sub(r"<[^>]+>", "", cell.group(1)).strip() == str(raw[key]), (unit.path, testid)

        lines = list(csv.reader(io.StringIO(streamed(client.get(
            f"/staff/compliance/{unit.pk}/export/?format=csv")).decode("utf-8-sig"))))
        first = lines[1]
        assert first[0] == unit.path
        assert [int(x) for x in first[2:6]] == [raw["members"], raw["confirmed"], raw["awaiting"], raw["declined"]]
        assert int(first[6]) == raw["declared"]
        assert int(first[8]) == raw["updated_today"]


def test_a_not_me_line_leaves_the_total_at_the_next_refresh(world: Any, tree: Any, api: Any) -> None:
    tasks.compliance_refresh.call()
    assert numbers(compliance(api, tree.admin, tree.c1.pk).json()["unit"]) == (3, 2, 2, 1)
    awaiting = Member.objects.get(unit=tree.c1, confirmed_at__isnull=True, removed_at__isnull=True)
    awaiting.declined_at = timezone.now()
    awaiting.save()
    tasks.compliance_refresh.call()
    body = compliance(api, tree.admin, tree.c1.pk).json()["unit"]
    assert numbers(body) == (2, 2, 2, 1)
    assert (body["awaiting_confirmation"], body["declined"], body["declared_pct"]) == (0, 1, 100.0)
    # Flagged for the admin, with the line to correct.
    page = official_client(tree.admin).get(f"/staff/compliance/{tree.c1.pk}/").content.decode()
    assert 'data-testid="unit-declined"' in page
    assert "status=declined" in page
    listing = official_client(tree.admin).get(f"/staff/compliance/{tree.c1.pk}/members/?status=declined").content.decode()
    assert awaiting.full_name in listing
    assert 'data-membership="declined"' in listing


def test_a_member_who_declared_before_confirming_shows_awaiting_then_counts(world: Any, tree: Any, api: Any) -> None:
    """Issue 17: such a member read "Không / Không" — as if they had not declared."""
    line = member(world, tree.c2, declared_at=at(today()), updated_at=at(today()), confirmed=False)
    tasks.compliance_refresh.call()
    items = api.as_(tree.admin).get(f"/orgs/{tree.c2.pk}/members").json()["items"]
    mine = next(m for m in items if m["id"] == line.pk)
    assert (mine["membership"], mine["declared_since_start"], mine["updated_today"]) == ("awaiting", None, None)
    html = official_client(tree.admin).get(f"/staff/compliance/{tree.c2.pk}/members/").content.decode()
    row = html.split(line.full_name, 1)[1].split("</tr>", 1)[0]
    assert "Không" not in row
    assert "No<" not in row
    assert 'data-membership="awaiting"' in row

    line.confirmed_at = timezone.now()
    line.save()
    tasks.compliance_refresh.call()
    items = api.as_(tree.admin).get(f"/orgs/{tree.c2.pk}/members").json()["items"]
    mine = next(m for m in items if m["id"] == line.pk)
    assert (mine["membership"], mine["declared_since_start"], mine["updated_today"]) == ("confirmed", True, True)
    assert numbers(compliance(api, tree.admin, tree.c2.pk).json()["unit"]) == (1, 1, 1, 1)


def test_the_children_and_the_units_own_row_add_up(world: Any, tree: Any, api: Any) -> None:
    """Issue 17: assisted 1 at the root and 0 at its only child — the root's own volunteer's.
    The unit's own row ("directly in …") shows where the difference comes from."""
    tasks.compliance_refresh.call()
    body = compliance(api, tree.admin, tree.twd.pk).json()
    assert body["unit"]["assisted_people"] == 1
    assert [c["assisted_people"] for c in body["children"]] == [0, 0]
    assert body["direct"]["assisted_people"] == 1
    for key in ("members", "confirmed", "declined", "declared", "updated_today", "assisted_people"):
        assert body["unit"][key] == sum(c[key] for c in body["children"]) + body["direct"][key], key
    page = official_client(tree.admin).get(f"/staff/compliance/{tree.twd.pk}/").content.decode()
    assert 'data-testid="direct-row"' in page
    # A unit without own members or volunteers has no such row.
    assert compliance(api, tree.admin, tree.p1.pk).json()["direct"]["members"] == 1
    assert compliance(api, tree.admin, tree.q1.pk).json()["direct"]["members"] == 1


def test_the_docs_the_page_and_the_api_schema_say_the_same_definition(world: Any, tree: Any, api: Any) -> None:
    docs = (Path(settings.BASE_DIR) / "docs" / "organisations.md").read_text()
    section = docs.split("### Who counts", 1)[1].split("\n## ", 1)[0]
    for phrase in ("not removed and not declined", "confirmed + awaiting confirmation", "shares of confirmed members"):
        assert phrase in section, phrase
    schema = api.get("/openapi.json").json()["components"]["schemas"]["UnitComplianceOut"]
    assert "confirmed + awaiting confirmation" in schema["properties"]["members"]["description"]
    assert "declared / confirmed" in schema["properties"]["declared_pct"]["description"]
    tasks.compliance_refresh.call()
    page = official_client(tree.admin).get(f"/staff/compliance/{tree.twd.pk}/").content.decode()
    assert 'data-testid="who-counts"' in page


def test_a_deactivated_volunteers_people_are_not_counted_as_assisted(world: Any, tree: Any, api: Any) -> None:
    """The unit's assisted people follow the one rule of people.access: a volunteer whose account
    was deactivated sees no one, is reminded about no one, and assists no one in the rollups."""
    now = timezone.now()
    assert assisted_counts([tree.twd.pk], now) == {tree.twd.pk: 1}
    assert world.volunteer in person_carers(world.ong_tu)

    world.volunteer.is_active = False
    world.volunteer.save(update_fields=["is_active"])
    assert world.volunteer not in person_carers(world.ong_tu)
    assert assisted_counts([tree.twd.pk], now) == {}
    tasks.compliance_refresh.call()
    assert compliance(api, tree.admin, tree.twd.pk).json()["unit"]["assisted_people"] == 0


def test_a_volunteer_appointed_in_two_branches_counts_each_person_once(world: Any, tree: Any, api: Any) -> None:
    """One volunteer appointed in the sibling units C1 and C2 assists two people; one of them is
    also assisted by the ROOT's volunteer. Each person counts once at every level — in the unit of
    the earliest appointment in force — and the children and the unit's own row still add up."""
    now = timezone.now()
    VolunteerAppointment.objects.filter(account=world.volunteer, org_unit=tree.twd).update(
        starts_at=now - timedelta(days=5)
    )
    phone = "+84909990001"
    helper = Account.objects.create_user(None, None, role=Role.CITIZEN, phone=phone, phone_index=phone_index(phone))
    for branch, started in ((tree.c2, now - timedelta(days=2)), (tree.c1, now - timedelta(days=1))):
        VolunteerAppointment.objects.create(
            account=helper, appointed_by=tree.admin, org_unit=branch, starts_at=started,
            expires_at=now + timedelta(days=30),
        )
    bac_hai = Person.objects.create(full_name="Bác Hai", birth_year=1940, sex="male", home_ward=world.hoan_kiem)
    for person in (bac_hai, world.ong_tu):
        Delegation.objects.create(volunteer=helper, person=person, consent_method="witnessed")

    # Ông Tư is also assisted through ROOT's appointment, which started before them all: he is
    # ROOT's. Bác Hai is C2's, whose appointment started before C1's — and none is C1's.
    counts = assisted_counts([u.pk for u in (tree.twd, tree.hn, tree.q1, tree.p1, tree.c1, tree.c2)], now)
    assert counts == {tree.twd.pk: 1, tree.c2.pk: 1}

    tasks.compliance_refresh.call()
    assisted = {
        u.code: compliance(api, tree.admin, u.pk).json()["unit"]["assisted_people"]
        for u in (tree.twd, tree.hn, tree.q1, tree.p1, tree.c1, tree.c2)
    }
    assert assisted == {"ROOT": 2, "HN": 1, "Q1": 1, "P1": 1, "C1": 0, "C2": 1}
    body = compliance(api, tree.admin, tree.p1.pk).json()
    direct = (body["direct"] or {}).get("assisted_people", 0)
    assert body["unit"]["assisted_people"] == sum(c["assisted_people"] for c in body["children"]) + direct

    # C2's appointment revoked: the people move to C1's, still once each.
    VolunteerAppointment.objects.filter(account=helper, org_unit=tree.c2).update(revoked_at=now)
    tasks.compliance_refresh.call()
    assert compliance(api, tree.admin, tree.c1.pk).json()["unit"]["assisted_people"] == 1
    assert compliance(api, tree.admin, tree.p1.pk).json()["unit"]["assisted_people"] == 1
    assert compliance(api, tree.admin, tree.twd.pk).json()["unit"]["assisted_people"] == 2
