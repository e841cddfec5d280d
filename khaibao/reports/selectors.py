"""Reading reports: the reporter's own, by tracking code, and the officials' queue.

Reports reach the officials of the ward where it happened; province and national officials
see their whole area (people.access.jurisdiction_q on the report's ward). Any report asked
for by id answers Http404 alike for missing and not-yours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from khaibao.accounts.models import Role
from khaibao.audit.lists import audit_list_shown
from khaibao.audit.services import audit_record
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.people.access import jurisdiction_q
from khaibao.reports.models import (
    OPEN_STATUSES,
    Report,
    ReportNote,
    ReportPhoto,
    ReportReply,
    ReportStatusChange,
)
from khaibao.reports.services import tracking_hash

AGE_FILTERS = ("overdue", "today", "week", "older")


def reports_of_reporter(user: Any) -> QuerySet[Report]:
    """The signed-in citizen's own reports, newest first, with their public replies."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.CITIZEN:
        # Ordered like the list, so that a keyset page of it is an empty page, not an error.
        return Report.objects.none().order_by("-created_at", "-pk")
    return (
        Report.objects.filter(reporter=user)
        .select_related("ward")
        .annotate(photo_count=Count("photos"))
        .prefetch_related("replies")
        .order_by("-created_at", "-pk")
    )


def reports_of_reporter_page(user: Any, *, cursor: str | None = None, limit: int = 50) -> KeysetPage[Report]:
    """One page of `reports_of_reporter` after `cursor` (keyset on newest, id) with how many
    reports the citizen has sent in all. A cursor not made for this list raises ServiceError."""
    return keyset_page(reports_of_reporter(user), cursor=cursor, limit=limit, count=True)


def report_for_reporter(user: Any, report_id: int) -> Report:
    """The reporter's own report, else Http404."""
    report = reports_of_reporter(user).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


def report_by_code(code: str) -> Report:
    """The report behind a tracking code, else Http404."""
    if not code or len(code) > 40:
        raise Http404
    report = Report.objects.filter(tracking_hash=tracking_hash(code)).first()
    if report is None:
        raise Http404
    return report


def public_replies(report: Report) -> list[ReportReply]:
    """The replies the reporter sees, oldest first (uses a prefetch when there is one)."""
    return sorted(report.replies.all(), key=lambda r: (r.created_at, r.pk))


def reports_for_official(user: Any) -> QuerySet[Report]:
    """Every report `user` may handle (empty for anyone but an official)."""
    if user is None or not getattr(user, "is_active", False):
        return Report.objects.none()
    scope = jurisdiction_q(user, ward_field="ward")
    if scope is None:
        return Report.objects.none()
    return Report.objects.filter(scope)


@dataclass(frozen=True)
class QueueFilters:
    category: str = ""
    status: str = ""
    ward: int | None = None
    age: str = ""


def target_hours() -> int:
    return int(settings.REPORT_TARGET_HOURS)


def report_queue(user: Any, filters: QueueFilters, *, now: datetime | None = None) -> QuerySet[Report]:
    """The official's reports, oldest open first, filtered by category, status, ward and age
    (`overdue`: open longer than the target; `today`; `week`; `older`: over a week)."""
    now = now or timezone.now()
    qs = reports_for_official(user).select_related("ward", "ward__province")
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.ward:
        qs = qs.filter(ward_id=filters.ward)
    if filters.age == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES, created_at__lt=now - timedelta(hours=target_hours()))
    elif filters.age == "today":
        qs = qs.filter(created_at__gte=now - timedelta(days=1))
    elif filters.age == "week":
        qs = qs.filter(created_at__gte=now - timedelta(days=7))
    elif filters.age == "older":
        qs = qs.filter(created_at__lt=now - timedelta(days=7))
    return qs.order_by("created_at", "pk")


def report_queue_keyset(
    user: Any, filters: QueueFilters, *, cursor: str | None, limit: int, now: datetime | None = None,
    ip: str = "",
) -> KeysetPage[Report]:
    """One page of `report_queue` after `cursor` (keyset on created_at, id: oldest first, the next
    page newer), with how many reports match in all (report_ward_status / report_status_created
    serve the COUNT) — audited as one `list.reports` event a page, naming the reports and the people
    linked to them (audit/lists.py)."""
    page = keyset_page(report_queue(user, filters, now=now), cursor=cursor, limit=limit, count=True)
    _audit_shown(user, filters, page.items, ip=ip, next_page=bool(cursor))
    return page


def _audit_shown(user: Any, filters: QueueFilters, reports: list[Report], *, ip: str, next_page: bool = False) -> None:
    extra: dict[str, Any] = {"reports": [r.pk for r in reports]}
    if next_page:
        extra["next_page"] = True
    audit_list_shown(
        actor=user, action="list.reports", person_ids=[r.person_id for r in reports], filters=filters, ip=ip,
        extra=extra,
    )


def age_hours(report: Report, *, now: datetime | None = None) -> float:
    return ((now or timezone.now()) - report.created_at).total_seconds() / 3600


def is_overdue(report: Report, *, now: datetime | None = None) -> bool:
    return report.is_open and age_hours(report, now=now) > target_hours()


def report_for_official(user: Any, report_id: int, *, purpose: str = "view", ip: str = "") -> Report:
    """A report in the official's area, else Http404; opening it (it holds personal data:
    an address, a description, photos) leaves an audit event."""
    report = reports_for_official(user).select_related("ward", "ward__province").filter(pk=report_id).first()
    if report is None:
        raise Http404
    if purpose:
        audit_record(actor=user, action=f"report.{purpose}", obj=report, ip=ip)
    return report


@dataclass(frozen=True)
class ReportDetail:
    """A report as an official handles it: its photos, internal notes, replies to the reporter
    and status changes, oldest first, and its age against the target."""

    report: Report
    photos: list[ReportPhoto]
    notes: list[ReportNote]
    replies: list[ReportReply]
    changes: list[ReportStatusChange]
    age_hours: float
    overdue: bool


def report_detail(report: Report, *, now: datetime | None = None) -> ReportDetail:
    """Everything the officials' report page and `GET /reports/{id}/official` show about a
    report already fetched with `report_for_official` (which audited the opening); four queries."""
    return ReportDetail(
        report=report,
        photos=list(report.photos.order_by("pk")),
        notes=list(report.notes.select_related("author").order_by("created_at", "pk")),
        replies=public_replies(report),
        changes=list(report.status_changes.select_related("actor").order_by("at", "pk")),
        age_hours=age_hours(report, now=now),
        overdue=is_overdue(report, now=now),
    )


def report_photo_path(report: Report, photo_id: int) -> tuple[ReportPhoto, Path]:
    """A photo of `report` (already access-checked) and its file, else Http404."""
    photo = ReportPhoto.objects.filter(report=report, pk=photo_id).first()
    if photo is None:
        raise Http404
    root = Path(settings.REPORT_MEDIA_ROOT).resolve()
    path = (root / photo.path).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    return photo, path


def report_points(reports: QuerySet[Report]) -> list[dict[str, Any]]:
    """Map points for the reports that have one (no personal data: id, category, status)."""
    return [
        {"id": r.pk, "lat": r.lat, "lon": r.lon, "category": r.category, "status": r.status}
        for r in reports.filter(lat__isnull=False, lon__isnull=False)[:500]
    ]
