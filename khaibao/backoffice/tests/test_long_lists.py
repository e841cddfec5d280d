"""The console's long lists page by keyset: members, citizen reports, venues and volunteer
appointments show every row, a page at a time, with the filters carried by the page links."""

from __future__ import annotations

import base64
import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.backoffice import orgs as orgs_console
from khaibao.backoffice import reports as reports_console
from khaibao.backoffice import venues as venues_console
from khaibao.backoffice import volunteers as volunteers_console
from khaibao.orgs.models import Member, OrgUnit
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.people.models import VolunteerAppointment
from khaibao.reports.models import Report, ReportStatus
from khaibao.venues.models import Venue, VenueStatus


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def next_link(resp: Any) -> str | None:
    match = re.search(r'rel="next" href="([^"]+)"', resp.content.decode())
    return html.unescape(match.group(1)).split("#")[0] if match else None


def walk(client: Client, path: str, *, rows: Any, query: str = "") -> tuple[list[list[int]], list[Any]]:
    """Every page of a list from its first, following "next" links: the ids on each page."""
    pages: list[list[int]] = []
    responses = []
    url: str | None = path + query
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, resp.content.decode()[:2000]
        pages.append(rows(resp))
        responses.append(resp)
        link = next_link(resp)
        url = path + link if link else None
        assert len(pages) < 50, "the pages never end"
    return pages, responses


def flat(pages: list[list[int]]) -> list[int]:
    return [i for page in pages for i in page]


# --- Members ---------------------------------------------------------------------------------


def test_it_shows_every_member_of_a_big_roster_two_hundred_a_page(world: Any) -> None:
    unit = OrgUnit.objects.get(path="TWD/HN/DCS-HK")
    Member.objects.bulk_create(
        Member(unit=unit, full_name=f"Thành viên {i:03d}", phone="", phone_index=f"bulk-{i}") for i in range(205)
    )
    expected = list(Member.objects.filter(unit=unit, removed_at__isnull=True).order_by("full_name", "pk")
                    .values_list("pk", flat=True))
    assert len(expected) > 205

    pages, responses = walk(staff(world.org_admin), f"/staff/orgs/{unit.pk}/",
                            rows=lambda r: [m["id"] for m in r.context["members"]])
    assert [len(p) for p in pages] == [200, len(expected) - 200]
    assert flat(pages) == expected
    first = responses[0].content.decode()
    count = re.search(r'data-testid="members-count">([^<]*)<', first)
    assert count, first
    assert re.findall(r"\d+", count.group(1)) == ["200", str(len(expected))]
    assert "members_cursor=" in first
    assert next_link(responses[-1]) is None
    assert "First page" in responses[-1].content.decode() or "Trang đầu" in responses[-1].content.decode()


def test_it_pages_members_with_the_same_name_without_losing_one(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(orgs_console, "MEMBERS_PAGE", 2)
    unit = OrgUnit.objects.get(path="TWD/HN/DCS-BD")
    Member.objects.bulk_create(
        Member(unit=unit, full_name="Nguyễn Văn An", phone="", phone_index=f"same-{i}") for i in range(5)
    )
    expected = list(Member.objects.filter(unit=unit, removed_at__isnull=True).order_by("full_name", "pk")
                    .values_list("pk", flat=True))
    pages, _ = walk(staff(world.org_admin), f"/staff/orgs/{unit.pk}/",
                    rows=lambda r: [m["id"] for m in r.context["members"]])
    assert all(len(p) == 2 for p in pages[:-1])
    assert flat(pages) == expected


def test_it_refuses_a_tampered_members_link_and_keeps_the_unit_private(world: Any) -> None:
    unit = OrgUnit.objects.get(path="TWD/HN/DCS-HK")
    resp = staff(world.org_admin).get(f"/staff/orgs/{unit.pk}/?members_cursor=not-a-cursor")
    assert resp.status_code == 400
    assert resp.context["members"] == []
    assert resp.context["members_error"]
    assert staff(world.ward_official).get(f"/staff/orgs/{unit.pk}/?members_cursor=x").status_code == 403


# --- Citizen reports -------------------------------------------------------------------------


def _reports(world: Any, count: int, *, status: str = ReportStatus.RECEIVED, category: str = "suspected_case",
             start: Any = None, ward: Any = None) -> list[Report]:
    start = start or timezone.now() - timedelta(hours=count + 1)
    made = Report.objects.bulk_create(
        Report(
            category=category, ward=ward or world.hoan_kiem, address="Ngõ 3 Hàng Bạc", description="Sốt cao",
            happened_at=start, tracking_hash=f"{category}-{status}-{start.timestamp()}-{i}", status=status,
            created_at=start + timedelta(hours=i),
        )
        for i in range(count)
    )
    return made


def _report_ids(resp: Any) -> list[int]:
    return [row["report"].pk for row in resp.context["rows"]]


def test_it_reaches_the_newest_open_report_page_by_page(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(reports_console, "REPORTS_PAGE", 3)
    made = _reports(world, 8)
    # Two reports received in the same instant still come one after the other.
    twin = _reports(world, 2, start=made[3].created_at)
    assert twin[0].created_at == made[3].created_at
    _reports(world, 1, status=ReportStatus.HANDLED)
    expected = list(Report.objects.filter(status__in=["received", "verifying"]).order_by("created_at", "pk")
                    .values_list("pk", flat=True))

    pages, responses = walk(staff(world.ward_official), "/staff/reports/", rows=_report_ids)
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert flat(pages) == expected
    assert made[-1].pk == flat(pages)[-1]  # the newest open report is there, on the last page
    assert responses[0].context["total"] == len(expected)
    # The default "open" filter travels with the link: the handled report never appears.
    assert parse_qs(urlsplit(next_link(responses[0]) or "").query, keep_blank_values=True)["status"] == ["open"]
    assert "Newer reports" in responses[0].content.decode() or "Phản ánh mới hơn" in responses[0].content.decode()


def test_it_carries_the_report_filters_through_the_pages(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(reports_console, "REPORTS_PAGE", 2)
    _reports(world, 3, category="suspected_case")
    handled = _reports(world, 3, category="gathering", status=ReportStatus.HANDLED)
    _reports(world, 2, category="gathering")
    _reports(world, 2, category="gathering", ward=world.sai_gon)  # another province: never shown
    expected = list(Report.objects.filter(category="gathering", ward=world.hoan_kiem).order_by("created_at", "pk")
                    .values_list("pk", flat=True))

    pages, responses = walk(staff(world.ward_official), "/staff/reports/", rows=_report_ids,
                            query="?category=gathering&status=&ward=&age=")
    assert flat(pages) == expected
    assert {r.pk for r in handled} <= set(flat(pages))  # "All" stays "All", not the default "open"
    assert responses[0].context["total"] == 5


def test_it_audits_each_page_of_reports_and_refuses_a_bad_link(world: Any, monkeypatch: Any) -> None:
    from khaibao.audit.models import AuditEvent

    monkeypatch.setattr(reports_console, "REPORTS_PAGE", 2)
    _reports(world, 3)
    client = staff(world.ward_official)
    pages, _ = walk(client, "/staff/reports/", rows=_report_ids)
    events = list(AuditEvent.objects.filter(action="list.reports", actor=world.ward_official).order_by("pk"))
    assert [e.data["reports"] for e in events] == pages
    assert events[-1].data.get("next_page") is True
    assert client.get("/staff/reports/?status=open&cursor=AAAA").status_code == 400


# --- Venues ----------------------------------------------------------------------------------


def test_it_pages_the_venues_with_the_search_kept(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(venues_console, "VENUES_PAGE", 2)
    now = timezone.now()
    Venue.objects.bulk_create(
        Venue(code=f"QN{i:04d}", name=f"Quán phở {i}", kind="restaurant", ward=world.hoan_kiem, street="Hàng Mành",
              status=VenueStatus.VERIFIED if i % 2 else VenueStatus.PENDING,
              created_at=now - timedelta(minutes=i // 2))
        for i in range(7)
    )
    Venue.objects.bulk_create(
        Venue(code=f"TK{i:04d}", name=f"Tiệm sách {i}", kind="shop", ward=world.hoan_kiem, street="Đinh Lễ")
        for i in range(3)
    )
    expected = list(Venue.objects.filter(name__startswith="Quán").order_by("status", "-created_at", "-pk")
                    .values_list("pk", flat=True))

    pages, responses = walk(staff(world.ward_official), "/staff/venues/", rows=lambda r: [v.pk for v in r.context["venues"]],
                            query="?q=Qu%C3%A1n&status=&kind=")
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert flat(pages) == expected
    assert responses[0].context["total"] == 7
    assert parse_qs(urlsplit(next_link(responses[0]) or "").query)["q"] == ["Quán"]
    # Another province's official sees none of them, on any page.
    assert staff(world.province_hcm).get("/staff/venues/").context["venues"] == []


# --- Volunteer appointments ------------------------------------------------------------------


def test_it_pages_the_appointments_newest_first(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(volunteers_console, "APPOINTMENTS_PAGE", 2)
    now = timezone.now()
    VolunteerAppointment.objects.bulk_create(
        VolunteerAppointment(account=world.nam, appointed_by=world.ward_official, ward=world.hoan_kiem,
                             starts_at=now - timedelta(days=i // 2), expires_at=now + timedelta(days=30))
        for i in range(5)
    )
    VolunteerAppointment.objects.create(account=world.mai, appointed_by=world.ward_official, ward=world.sai_gon,
                                        expires_at=now + timedelta(days=30))
    expected = list(VolunteerAppointment.objects.filter(ward=world.hoan_kiem).order_by("-starts_at", "-pk")
                    .values_list("pk", flat=True))

    pages, responses = walk(staff(world.ward_official), "/staff/volunteers/",
                            rows=lambda r: [a["id"] for a in r.context["appointments"]])
    assert [len(p) for p in pages] == [2, 2, 1]
    assert flat(pages) == expected
    assert responses[0].context["total"] == 5
    assert staff(world.ward_official).get("/staff/volunteers/?cursor=%21%21").status_code == 400


@pytest.mark.parametrize("raw", [
    "not json", "[]", '["a"]', "[1, 2]", '{"a": 1}', '["2026-01-01T00:00:00", 5]',
    '["2026-01-01T00:00:00+07:00", 99999999999999999999999]', '["2026-01-01T00:00:00+07:00", "x"]',
    '[true, 5]', '[null, 5]', '[["2026-01-01T00:00:00+07:00"], 5]',
])
def test_it_answers_a_broken_cursor_with_the_first_page_link(world: Any, raw: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    resp = staff(world.ward_official).get(f"/staff/volunteers/?cursor={cursor}")
    assert resp.status_code == 400
    assert resp.context["appointments"] == []
    assert resp.context["page_error"]
