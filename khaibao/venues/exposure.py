"""Who was at a venue when a case was: the exposure runs (issue 20 §3).

Runs are started by `runs.py`. The job is set-based and resumable like the zone warning job: the
first steps match, in one INSERT … SELECT per venue (on the check-ins' `(venue_index, at)` index),
one `VenueExposure` per person checked in there during the window — each venue in its own
transaction with the run's venue cursor, so a killed match resumes with the next venue instead
of starting over; later steps warn and re-assess the exposures not yet warned, a batch per
transaction holding the run row's lock. A killed run continues with the exposures still
unwarned; the unique (run, person) row and the notifications' dedupe key warn a person once per run.

Where stays sealed (docs/venues.md): an exposure holds its venue as `venue_sealed`, and the
warning names neither the venue nor the time — a notification is a plain row kept 90 days and
goes out by SMS; its link opens the person's status page, which reads them from the sealed row.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from khaibao.core import rowsql
from khaibao.monitoring.assessment import person_reassess
from khaibao.monitoring.models import LEVEL_ORDER
from khaibao.monitoring.sources import ExposureSource
from khaibao.notifications.labels import KIND_VENUE_EXPOSURE
from khaibao.notifications.services import notify_person
from khaibao.venues.models import (
    CaseVisit,
    CheckIn,
    RunKind,
    RunStatus,
    VenueExposure,
    VenueExposureRun,
)
from khaibao.venues.sealing import venue_index, venue_seal
from khaibao.zones.selectors import warnable_q

WARNING_KIND = KIND_VENUE_EXPOSURE
EXPOSURE_CODE = "venue_exposure"

# Being checked in at a venue while a case (or an epidemic place) was there counts in every
# assessment of the person (settings.ASSESSMENT_EXPOSURE_SOURCES; rule set 2026.2).
VENUE_EXPOSURES = ExposureSource(model=VenueExposure, code="exposure", on="on")


def batch_size() -> int:
    return int(settings.VENUE_EXPOSURE_BATCH_SIZE)


# A match step goes on venue after venue (each its own transaction) for about this long, then
# returns to the task's loop: a zone over a whole province covers every venue in it (~470 s of
# matching for 42 M check-ins, review-scale finding 4), which was once one transaction.
MATCH_STEP_SECONDS = 2.0


# --- The job --------------------------------------------------------------------------------------


def _present(venue_id: int, start: datetime, end: datetime) -> QuerySet[CheckIn]:
    """The check-ins at `venue_id` from `start` to `end` (both included)."""
    # `day` is the local day of `at`: on PostgreSQL the bounds keep the scan to the window's
    # day partitions (venues/partitions.py) instead of probing every day kept; a day's margin
    # each side, so a check-in whose day was taken in another time zone is still found.
    one = timedelta(days=1)
    days = Q(day__gte=timezone.localdate(start) - one, day__lte=timezone.localdate(end) + one)
    return CheckIn.objects.filter(days, venue_index=venue_index(venue_id), at__gte=start, at__lte=end)


def case_visit_present_count(*, venue_id: int, start: datetime, end: datetime, case_person_id: int) -> int:
    """How many people a case's run over `venue_id` from `start` to `end` would match now —
    those checked in there meanwhile, but the case and anyone who may no longer be warned: the
    rows of the run's first step (`_match`), counted. One count on the check-ins' index."""
    excluded = warnable_q(person_field="person_id") & ~Q(person_id=case_person_id)
    return _present(venue_id, start, end).filter(excluded).values("person_id").distinct().count()


def _match_venue(run: VenueExposureRun, venue_id: int, now: datetime) -> int:
    """One INSERT … SELECT: a VenueExposure per person checked in at `venue_id` during the
    window (their first check-in there), none twice in the run. Returns how many rows were added."""
    # Nobody is warned once their processing stopped: the zone warnings' owner of who may be.
    excluded = warnable_q(person_field="person_id")
    if run.kind == RunKind.CASE:
        # The case is not warned about their own visit.
        visit_id = int(run.subject.rsplit(":", 1)[1])
        excluded &= ~Q(person_id__in=CaseVisit.objects.filter(pk=visit_id).values("case_person_id"))
    rows = (
        _present(venue_id, run.window_start, run.window_end).filter(excluded)
        .values("person_id").annotate(first_at=Min("at"), first_day=Min("day")).values_list("person_id", "first_at", "first_day")
    )
    select_sql, params = rows.query.sql_with_params()
    # The venue is sealed in Python (the key never reaches SQL): one token for the venue's
    # rows of this run, as a household's check-ins share theirs (statements.py).
    sealed = rowsql.param(VenueExposure, "venue_sealed", venue_seal(venue_id))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO venues_venueexposure (run_id, venue_sealed, exposure, created_at, person_id, checked_in_at, "on")
            SELECT %s, %s, %s, %s, m.* FROM ({select_sql}) m WHERE true
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 -- only the ORM's SQL is interpolated; values are parameters
            [run.pk, sealed, EXPOSURE_CODE, now, *params],
        )
        return max(cursor.rowcount, 0)


@transaction.atomic
def _match_next(run_id: int, venue_ids: list[int]) -> VenueExposureRun:
    """Match the run's next venue (`venues_matched` counts those done, in `venue_ids` order) in
    one transaction holding the run's lock; the run turns RUNNING once every venue is matched."""
    if connection.vendor == "postgresql":
        # A venue whose commit is lost in a crash is matched again with the cursor that did not
        # move, and its rows are unique: the commit need not wait for the disk.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    # The sealed list was decrypted once by the caller for the whole step; it never changes.
    run = VenueExposureRun.objects.select_for_update().defer("venue_ids").get(pk=run_id)
    if run.status != RunStatus.PENDING:
        return run
    now = timezone.now()
    if run.venues_matched < len(venue_ids):
        run.matched += _match_venue(run, venue_ids[run.venues_matched], now)
        run.venues_matched += 1
    if run.venues_matched >= len(venue_ids):
        run.status = RunStatus.RUNNING
    run.updated_at = now
    run.save(update_fields=["matched", "venues_matched", "status", "updated_at"])
    return run


def _match_step(run_id: int, venue_ids: list[int]) -> VenueExposureRun:
    started = time.monotonic()
    while True:
        run = _match_next(run_id, venue_ids)
        if run.status != RunStatus.PENDING or time.monotonic() - started >= MATCH_STEP_SECONDS:
            return run


def _message() -> tuple[Any, Any]:
    # Neither the venue, the time nor the subject (a place's name may be the venue's): the
    # notification is stored in clear and sent by SMS; the status page it links to says where and
    # when, read from the sealed exposure.
    title = gettext_lazy("Warning: a place you checked in at")
    body = gettext_lazy(
        "You checked in at a place at the same time as a case or an epidemic place. "
        "Open Khai Báo to see where and when, your risk level and what to do."
    )
    return title, body


def _warn(run: VenueExposureRun, exposure: VenueExposure, now: datetime) -> None:
    person = exposure.person
    status = getattr(person, "status", None)
    before = getattr(status, "level", "") or "low"
    assessment = person_reassess(person=person, reason=f"venue:{run.subject}", now=now)
    if LEVEL_ORDER.get(assessment.level, 0) > LEVEL_ORDER.get(before, 0):
        run.raised += 1
    title, body = _message()
    notify_person(
        person=person, kind=WARNING_KIND, title=title, body=body,
        link=reverse("web:person_status", args=[person.pk]),
        dedupe_key=f"venue-exposure:{run.pk}:{person.pk}", sms=True,
        outside_once_per=f"venue-exposure:{run.pk}:",
    )


def exposure_run_step(*, run_id: int, size: int | None = None) -> VenueExposureRun:
    """Match the next venues of a pending run — each venue in its own transaction, for about
    MATCH_STEP_SECONDS — or warn the next batch of a running one, in one transaction holding its
    lock. A step that fails leaves the venues matched before it committed."""
    run = VenueExposureRun.objects.get(pk=run_id)
    if run.status == RunStatus.PENDING:
        return _match_step(run_id, list(run.venue_ids or []))
    return _warn_step(run_id, size or batch_size())


@transaction.atomic
def _warn_step(run_id: int, size: int) -> VenueExposureRun:
    run = VenueExposureRun.objects.select_for_update().defer("venue_ids").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run
    now = timezone.now()
    batch = list(
        VenueExposure.objects.filter(run=run, warned_at__isnull=True)
        .select_related("person__status").order_by("pk")[:size]
    )
    for exposure in batch:
        _warn(run, exposure, now)
    if batch:
        VenueExposure.objects.filter(pk__in=[e.pk for e in batch]).update(warned_at=now)
        run.warned += len(batch)
    else:
        run.status, run.finished_at = RunStatus.DONE, now
    run.updated_at = now
    # Not the sealed venue list: it would be encrypted and written again with every batch.
    run.save(update_fields=["warned", "raised", "status", "finished_at", "updated_at"])
    return run
