"""Compliance for organisation admins: roll-ups, snapshots, scope, privacy, reminders, query counts."""

from __future__ import annotations

import io
import itertools
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import phone_index
from khaibao.core.days import day_start
from khaibao.monitoring.models import DailyUpdate, PersonStatus
from khaibao.notifications.models import Notification
from khaibao.orgs import rollups, tasks
from khaibao.orgs.models import (
    Campaign,
    ComplianceSnapshot,
    Member,
    OrgUnit,
    ReminderPolicy,
    UnitComplianceRollup,
)
from khaibao.people.models import Person, VolunteerAppointment
from khaibao.stats.tests.helpers import official_client

_seq = itertools.count(1)
RAW_TABLES = ("monitoring_", "declarations_", "people_person")


def today() -> date:
    return timezone.localdate()


def at(day: date, hours: int = 0, minutes: int = 1) -> datetime:
    return day_start(day) + timedelta(hours=hours, minutes=minutes)


def unit(code: str, parent: OrgUnit) -> OrgUnit:
    return OrgUnit.objects.create(code=code, name=f"Unit {code}", parent=parent)


def member(
    world: Any,
    in_unit: OrgUnit,
    *,
    declared_at: datetime | None = None,
    updated_at: datetime | None = None,
    linked: bool = True,
    confirmed: bool = True,
    declined: bool = False,
    removed: bool = False,
    account: bool = False,
    marker: str = "",
) -> Member:
    n = next(_seq)
    phone = f"+8490{n:07d}"
    person = None
    holder = None
    if account:
        holder = Account.objects.create_user(None, None, role=Role.CITIZEN, phone=phone, phone_index=phone_index(phone))
    if linked:
        person = Person.objects.create(
            full_name=f"Member {n}", birth_year=1990, sex="female", home_ward=world.hoan_kiem, account=holder
        )
        PersonStatus.objects.create(
            person=person,
            last_declaration_at=declared_at,
            last_update_at=updated_at,
            last_update_day=timezone.localdate(updated_at) if updated_at else None,
            level="urgent" if marker else "low",
            reasons=[f"{marker}-reason"] if marker else [],
            recommendations=[f"{marker}-recommendation"] if marker else [],
            ruleset_version=f"{marker}-rules"[:20] if marker else "",
        )
        if marker and updated_at:
            DailyUpdate.objects.create(
                person=person, day=timezone.localdate(updated_at), symptoms=[f"{marker}-symptom"], feeling="unwell",
                updated_as="self",
            )
    now = timezone.now()
    return Member.objects.create(
        unit=in_unit, full_name=f"Member {n}", phone=phone, phone_index=phone_index(phone),
        person=person, account=holder,
        linked_at=now if linked else None,
        confirmed_at=now if linked and confirmed else None,
        declined_at=now if declined else None,
        removed_at=now if removed else None,
    )


@pytest.fixture
def tree(world: Any) -> Any:
    """ROOT → HN → Q1 → P1 → C1, C2 (five levels) and ROOT → HCM; a campaign on ROOT started 3 days ago.

    A tree of its own (the demo's TWD tree grows with the demo roster), with its own admin.
    Own members (declared since the start / updated today), checked by hand:
      ROOT 1 (1/1) · HN 2 (0/1: one declared before the start; one not linked) · Q1 1 (1/0: updated
      yesterday) · P1 1 (1/1) · C1 3 counted (2/1: one not confirmed counts as neither) + 1 removed
      (not counted) · C2 1 declined (0/0) · HCM 2 (2/2).
    """
    d = today()
    start = d - timedelta(days=3)
    twd = OrgUnit.objects.create(code="ROOT", name="Unit ROOT")
    hn = unit("HN", twd)
    hcm = unit("HCM", twd)
    q1 = unit("Q1", hn)
    p1 = unit("P1", q1)
    c1 = unit("C1", p1)
    c2 = unit("C2", p1)
    campaign = Campaign.objects.create(
        unit=twd, name="Khai báo 100%", starts_on=start, deadline=d + timedelta(days=10),
        reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
    )
    ok: dict[str, Any] = {"declared_at": at(start), "updated_at": at(d)}
    member(world, twd, **ok)
    member(world, hn, declared_at=day_start(start) - timedelta(seconds=1), updated_at=at(d))
    member(world, hn, linked=False)
    member(world, q1, declared_at=at(start, 5), updated_at=at(d - timedelta(days=1), 23, 59))
    member(world, p1, declared_at=day_start(start), updated_at=at(d))  # exactly at the start counts
    member(world, c1, **ok)
    member(world, c1, declared_at=at(d), updated_at=None)
    member(world, c1, confirmed=False, **ok)
    member(world, c1, removed=True, **ok)
    member(world, c2, declined=True, **ok)
    member(world, hcm, **ok)
    member(world, hcm, **ok)
    hn_admin = Account.objects.create_user("hn-admin", "x-pass-12345", role=Role.ORG_ADMIN, org_unit=hn)
    admin = Account.objects.create_user("root-admin", "x-pass-12345", role=Role.ORG_ADMIN, org_unit=twd)
    # The demo volunteer, appointed for ROOT too, assists one person (Ông Tư).
    VolunteerAppointment.objects.create(
        account=world.volunteer, appointed_by=admin, org_unit=twd, expires_at=timezone.now() + timedelta(days=30)
    )
    return type("Tree", (), locals())


def compliance(api: Any, account: Any, unit_id: int, **params: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.as_(account).get(f"/orgs/{unit_id}/compliance" + (f"?{query}" if query else ""))


def streamed(resp: Any) -> bytes:
    return b"".join(resp.streaming_content)


def numbers(row: dict[str, Any]) -> tuple[int, int, int, int]:
    """(members, confirmed, declared, updated today): members = confirmed + awaiting, declined out."""
    return row["members"], row["confirmed"], row["declared"], row["updated_today"]


def test_it_rolls_up_a_five_level_tree_checked_by_hand(world: Any, tree: Any, api: Any) -> None:
    tasks.compliance_refresh.call()

    resp = compliance(api, tree.admin, tree.twd.pk)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    # 12 lines: one removed and one declined are out; 8 confirmed + 2 awaiting (HN unlinked,
    # C1 unconfirmed). Percentages are shares of the 8 confirmed (issue 21).
    assert numbers(body["unit"]) == (10, 8, 7, 6)
    assert (body["unit"]["awaiting_confirmation"], body["unit"]["declined"]) == (2, 1)
    assert (body["unit"]["declared_pct"], body["unit"]["updated_pct"]) == (87.5, 75.0)
    # Ranked: HCM (100 %) before HN (80 %).
    assert [(c["code"], numbers(c)) for c in body["children"]] == [("HCM", (2, 2, 2, 2)), ("HN", (7, 5, 4, 3))]
    # ROOT's own member: children + "directly" add up to the total.
    assert numbers(body["direct"]) == (1, 1, 1, 1)

    by_code = {
        code: numbers(compliance(api, tree.admin, getattr(tree, code.lower()).pk).json()["unit"])
        for code in ("HN", "Q1", "P1", "C1", "C2")
    }
    assert by_code == {
        "HN": (7, 5, 4, 3), "Q1": (5, 4, 4, 2), "P1": (4, 3, 3, 2), "C1": (3, 2, 2, 1), "C2": (0, 0, 0, 0),
    }
    p1 = compliance(api, tree.admin, tree.p1.pk).json()
    assert [(c["code"], numbers(c)) for c in p1["children"]] == [("C1", (3, 2, 2, 1)), ("C2", (0, 0, 0, 0))]
    # The demo volunteer (appointed for TWD) assists one person.
    assert body["unit"]["assisted_people"] == 1


def test_it_moves_the_percentage_after_the_next_refresh(world: Any, tree: Any, api: Any) -> None:
    tasks.compliance_refresh.call()
    waiting = Member.objects.get(unit=tree.c2)
    waiting.declined_at = None
    waiting.confirmed_at = timezone.now()
    waiting.save()
    before = numbers(compliance(api, tree.admin, tree.c2.pk).json()["unit"])
    tasks.compliance_refresh.call()
    after = numbers(compliance(api, tree.admin, tree.c2.pk).json()["unit"])
    assert (before, after) == ((0, 0, 0, 0), (1, 1, 1, 1))
    assert UnitComplianceRollup.objects.filter(campaign=tree.campaign, day=today()).count() == 7


def test_it_takes_end_of_day_snapshots_once_and_idempotently(world: Any, tree: Any, api: Any) -> None:
    d = today()
    yesterday = d - timedelta(days=1)
    # The periodic job never ran yesterday: the first run today rebuilds and freezes it.
    assert rollups.compliance_snapshot(now=at(d, 0, 2)) == 7
    first = list(ComplianceSnapshot.objects.filter(day=yesterday).order_by("unit_id").values())
    assert all(row["final"] for row in first)
    stale = rollups.compliance_refresh_campaign(campaign=tree.campaign, day=d - timedelta(days=8))
    assert rollups.compliance_snapshot(now=at(d, 0, 7)) == 0
    assert not UnitComplianceRollup.objects.filter(day=stale.day).exists()  # pruned: snapshots keep history
    assert list(ComplianceSnapshot.objects.filter(day=yesterday).order_by("unit_id").values()) == first

    # From 23:55 a provisional snapshot of today; rerunning rewrites the same numbers.
    rollups.compliance_snapshot(now=at(d, 23, 56))
    rollups.compliance_snapshot(now=at(d, 23, 59))
    rows = ComplianceSnapshot.objects.filter(day=d)
    assert rows.count() == 7
    assert not any(r.final for r in rows)
    twd = rows.get(unit=tree.twd)
    assert (twd.members, twd.confirmed, twd.declined, twd.declared) == (10, 8, 1, 7)

    body = compliance(api, tree.admin, tree.twd.pk, date=yesterday.isoformat()).json()
    assert body["from_snapshot"] is True
    # Yesterday: Q1's member updated yesterday; today's updaters are not counted.
    assert numbers(body["unit"])[3] == 1


def test_it_draws_the_trend_from_the_snapshots(world: Any, tree: Any) -> None:
    d = today()
    for back in (2, 1):
        rollups.compliance_snapshot(now=at(d - timedelta(days=back - 1), 0, 5))
    client = official_client(tree.admin)
    resp = client.get(f"/staff/compliance/{tree.twd.pk}/")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "<svg" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    for back in (2, 1):
        assert (d - timedelta(days=back)).strftime("%d/%m/%Y") in page


def test_it_keeps_an_admin_inside_their_subtree(world: Any, tree: Any, api: Any) -> None:
    tasks.compliance_refresh.call()
    assert compliance(api, tree.hn_admin, tree.hn.pk).status_code == 200
    assert compliance(api, tree.hn_admin, tree.q1.pk).status_code == 200
    for other in (tree.hcm, tree.twd):
        assert compliance(api, tree.hn_admin, other.pk).status_code == 404
        assert api.as_(tree.hn_admin).get(f"/orgs/{other.pk}/members").status_code == 404
    assert compliance(api, tree.hn_admin, 99999999).status_code == 404
    assert compliance(api, world.lan, tree.hn.pk).status_code == 403
    assert compliance(api, world.national, tree.hn.pk).status_code == 403
    assert compliance(api, world.org_admin, tree.hn.pk).status_code == 404  # TWD's admin: another tree

    client = official_client(tree.hn_admin)
    assert client.get(f"/staff/compliance/{tree.hcm.pk}/").status_code == 404
    assert client.get(f"/staff/compliance/{tree.hcm.pk}/members/").status_code == 404
    assert client.get(f"/staff/compliance/{tree.hcm.pk}/export/?format=csv").status_code == 404
    page = client.get("/staff/compliance/").content.decode()
    assert "Unit HCM" not in page
    assert "Unit Q1" in page
    assert official_client(world.national).get("/staff/compliance/").status_code == 403


def test_it_lists_members_with_the_three_facts_and_filters(world: Any, tree: Any, api: Any) -> None:
    resp = api.as_(tree.admin).get(f"/orgs/{tree.c1.pk}/members")
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert len(items) == 3  # the removed member is gone
    assert set(items[0]) == {
        "id", "full_name", "unit_code", "unit_name", "membership", "membership_label", "declared_since_start",
        "updated_today", "last_update_date", "last_reminded_on",
    }
    # The unconfirmed member declared and updated, but the organisation sees only "awaiting".
    assert [(m["membership"], m["declared_since_start"], m["updated_today"]) for m in items] == [
        ("confirmed", True, True), ("confirmed", True, False), ("awaiting", None, None),
    ]
    assert items[0]["last_update_date"] == today().isoformat()
    assert items[2]["last_update_date"] is None

    def listed(status: str, limit: int = 50) -> list[int]:
        seen: list[int] = []
        after = 0
        while True:
            page = api.as_(tree.admin).get(
                f"/orgs/{tree.twd.pk}/members?status={status}&limit={limit}&after={after}"
            ).json()
            assert len(page["items"]) <= limit
            seen += [m["id"] for m in page["items"]]
            if page["next_after"] is None:
                return seen
            after = page["next_after"]

    # Confirmed members only: HN's declared-before-the-start one.
    assert len(listed("not_declared")) == 1
    seen = listed("not_updated_today", limit=1)
    assert len(seen) == len(set(seen)) == 2  # 8 confirmed, 6 updated today
    assert len(listed("awaiting_confirmation")) == 2
    assert len(listed("declined")) == 1
    assert api.as_(tree.admin).get(f"/orgs/{tree.twd.pk}/members?status=urgent").status_code == 400

    client = official_client(tree.admin)
    html = client.get(f"/staff/compliance/{tree.twd.pk}/members/?status=not_declared").content.decode()
    assert html.count("<tr>") == 1 + 1
    html = client.get(f"/staff/compliance/{tree.c1.pk}/members/").content.decode()
    assert html.count('data-membership="awaiting"') == 1


MARKER = "ZQX-MARK"


def test_it_never_shows_health_details_to_an_org_admin(world: Any, tree: Any, api: Any, sms: Any) -> None:
    d = today()
    member(world, tree.c1, declared_at=at(d), updated_at=at(d), marker=MARKER)
    member(world, tree.c2, declared_at=at(d), updated_at=None, marker=MARKER + "2")
    tasks.compliance_refresh.call()
    rollups.compliance_snapshot(now=at(d, 0, 5))

    admin_api = api.as_(tree.admin)
    client = official_client(tree.admin)
    bodies: list[str] = []
    for u in (tree.twd, tree.c1, tree.c2):
        bodies.append(admin_api.get(f"/orgs/{u.pk}/compliance").content.decode())
        for status in ("", "not_declared", "not_updated_today"):
            bodies.append(admin_api.get(f"/orgs/{u.pk}/members?status={status}" if status else f"/orgs/{u.pk}/members").content.decode())
            bodies.append(client.get(f"/staff/compliance/{u.pk}/members/?status={status}").content.decode())
        bodies.append(client.get(f"/staff/compliance/{u.pk}/").content.decode())
        csv = client.get(f"/staff/compliance/{u.pk}/export/?format=csv")
        assert csv.status_code == 200
        bodies.append(streamed(csv).decode("utf-8"))
        xlsx = client.get(f"/staff/compliance/{u.pk}/export/?format=xlsx")
        with zipfile.ZipFile(io.BytesIO(streamed(xlsx))) as book:
            bodies.extend(book.read(name).decode("utf-8") for name in book.namelist())
    text = "\n".join(bodies)
    assert "Member" in text  # the pages did render members
    for word in (MARKER, "urgent", "Urgent", "Khẩn cấp", "reason", "symptom", "unwell"):
        assert word not in text, word


def test_it_audits_and_streams_the_export(world: Any, tree: Any) -> None:
    from khaibao.audit.models import AuditEvent

    tasks.compliance_refresh.call()
    client = official_client(tree.admin)
    resp = client.get(f"/staff/compliance/{tree.hn.pk}/export/?format=csv")
    lines = streamed(resp).decode("utf-8").splitlines()
    assert resp["Content-Disposition"].endswith('.csv"')
    assert len(lines) == 1 + 5  # HN, Q1, P1, C1, C2
    assert lines[1].startswith("ROOT/HN,")
    # members, confirmed, awaiting, declined, declared, %, updated, %: shares of confirmed.
    assert lines[1].startswith("ROOT/HN,Unit HN,7,5,2,1,4,80.0,3,60.0,")
    assert AuditEvent.objects.filter(action="orgs.compliance_export", actor=tree.admin).count() == 1
    assert client.get(f"/staff/compliance/{tree.hn.pk}/export/?format=pdf").status_code == 400


def test_it_reminds_non_compliant_members_once_a_day(
    world: Any, tree: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DAILY_REMINDER_HOUR = 0
    d = today()
    lagging = member(world, tree.c1, declared_at=at(d), updated_at=None, account=True)
    compliant = member(world, tree.c1, declared_at=at(d), updated_at=at(d), account=True)
    declined = member(world, tree.c2, declared_at=None, updated_at=None, account=True, declined=True)
    unlinked = Member.objects.get(unit=tree.hn, person__isnull=True)
    # A second campaign over part of the tree: still one reminder per member per day.
    Campaign.objects.create(unit=tree.p1, name="Chi đoàn", starts_on=d, deadline=d, reminder_policy=ReminderPolicy.IN_APP)

    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.campaign_reminders.call()
        assert tasks.campaign_reminders.call() == 0
    assert first > 0
    reminded = Notification.objects.filter(kind="campaign_reminder")
    assert reminded.filter(account=lagging.account).count() == 1
    assert not reminded.filter(account__in=[compliant.account, declined.account]).exists()
    texts = [m for m in sms.messages() if m["to"] == unlinked.phone]
    assert len(texts) == 1
    assert "Unit HN" in texts[0]["body"]
    assert MARKER not in reminded.get(account=lagging.account).body

    tree.campaign.reminder_policy = ReminderPolicy.NONE
    tree.campaign.save()
    assert tasks.campaign_reminders.call() == 0


def _dashboard_queries(client: Any, unit_id: int) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(f"/staff/compliance/{unit_id}/")
    assert resp.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_it_reads_only_rollups_on_the_dashboard_whatever_the_member_count(world: Any, tree: Any) -> None:
    client = official_client(tree.admin)
    tasks.compliance_refresh.call()
    rollups.compliance_snapshot(now=at(today(), 0, 5))
    _dashboard_queries(client, tree.twd.pk)  # the first console request stamps the idle clock
    before = _dashboard_queries(client, tree.twd.pk)
    for _ in range(20):
        member(world, tree.c2, declared_at=at(today()), updated_at=at(today()))
    tasks.compliance_refresh.call()
    after = _dashboard_queries(client, tree.twd.pk)
    assert len(after) == len(before)
    assert not any(table in q for q in after for table in RAW_TABLES)
    assert "orgs_member" not in " ".join(after)
