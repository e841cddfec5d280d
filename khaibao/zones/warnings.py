"""The warning job: everyone a zone or place version concerns is warned once, in batches.

A run lists the travellers when it starts, then walks the residents in keyset batches and the
travellers after them; each batch is one transaction holding the run row's lock, so a killed
run continues from its last committed batch (docs/architecture.md, "Warning runs"). A batch
re-assesses at most `reassess_batch_size()` people one by one (travellers, and residents who
also travelled there): each re-assessment locks the person's status row until the batch commits.

A person counts as `warned` only when their message reaches at least one account — their own,
a household owner's, a volunteer's (people.access `carer_ids`); the others are counted as
`unreachable` (`cared_for_ids`, the same rule), for the official to call or visit. The preview
(zones.reach) counts the residents the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from khaibao.core import rowsql
from khaibao.monitoring.assessment import person_reassess
from khaibao.monitoring.models import LEVEL_ORDER, Level, PersonStatus
from khaibao.notifications.labels import KIND_ZONE_WARNING
from khaibao.notifications.services import notify_people, notify_person
from khaibao.people.access import cared_for_ids
from khaibao.people.models import Person
from khaibao.risk import engine
from khaibao.zones import selectors
from khaibao.zones.models import (
    LEVEL_WORDS,
    Phase,
    PlaceVersion,
    RunStatus,
    WarningReason,
    ZoneVersion,
    ZoneWarning,
    ZoneWarningRun,
)

WARNING_KIND = KIND_ZONE_WARNING


def warning_batch_size() -> int:
    return int(getattr(settings, "ZONE_WARNING_BATCH_SIZE", 10_000))


def reassess_batch_size() -> int:
    """People re-assessed (and warned) one by one in one transaction, a smaller bound than the
    residents' set-based batches: each `person_reassess` holds the person's status row lock until
    the batch commits, and a re-assessment with its warning costs ~12.6 ms (review-scale finding
    3), so 100 hold a row at most ~1.3 s — under the web's 2 s lock_timeout, so the person's own
    daily update waits instead of failing with 503."""
    return int(getattr(settings, "ZONE_WARNING_REASSESS_BATCH_SIZE", 100))


# The run's columns a batch moves; `traveller_ids` (up to megabytes of JSON, measured 218 ms and
# ~1 MB of WAL a write at 300,000 ids) only when the run starts or finishes.
_PROGRESS_FIELDS = [
    "status", "phase", "cursor", "expected", "processed", "warned", "unreachable", "reassessed", "raised",
    "started_at", "finished_at", "updated_at",
]


def _advice_text(vi: str, en: str) -> Any:
    def pick() -> str:
        if not (translation.get_language() or "vi").startswith("en"):
            return vi
        if en or not vi:
            return en
        # The official wrote the advice in Vietnamese alone: an English reader still gets it
        # (it may be all the instruction there is), told which language it is in.
        return str(format_lazy(gettext_lazy("Advice from the health authority (in Vietnamese): {advice}"), advice=vi))

    return lazy(pick, str)()


def _moment(at: datetime) -> str:
    # As the pages write a moment (`|date:"d/m/Y H:i"`): the language changes no digit of it.
    return date_format(timezone.localtime(at), "d/m/Y H:i")


def _reassessed_message() -> tuple[Any, Any]:
    """The message of a person warned one by one, re-assessed because they declared travel into
    the area (a traveller, or a resident who travelled there): it names neither the area nor
    the reason — the notification is stored in clear beside the person and sent by SMS, and it
    may reach a household owner or a volunteer rather than the person (as venues.exposure's).
    The status page it links to gives the level and what to do."""
    title = gettext_lazy("Warning: an epidemic area")
    body = gettext_lazy(
        "An epidemic area may concern you or someone you look after. "
        "Open Khai Báo to see their risk level and what to do."
    )
    return title, body


def _zone_message(version: ZoneVersion) -> tuple[Any, Any]:
    flags: list[Any] = []
    if version.lockdown:
        flags.append(gettext_lazy("under lockdown"))
    if version.isolation:
        flags.append(gettext_lazy("under isolation"))
    title = format_lazy(gettext_lazy("Epidemic zone: {name}"), name=version.name)
    body = format_lazy(
        gettext_lazy("{name} is an epidemic zone, level {level} ({colour}){flags}. {advice}"),
        name=version.name, level=version.level, colour=LEVEL_WORDS[version.level],
        flags=lazy(lambda: "".join(f", {flag}" for flag in flags), str)(),
        advice=_advice_text(version.advice_vi, version.advice_en),
    )
    return title, body


def _place_message(version: PlaceVersion) -> tuple[Any, Any]:
    window = f"{_moment(version.window_start)} – {_moment(version.window_end)}"
    title = format_lazy(gettext_lazy("Epidemic place: {name}"), name=version.name)
    if not (version.advice_vi or version.advice_en):
        body = format_lazy(
            gettext_lazy("Anyone who was at {name} between {window} must call the hotline and declare. {advice}"),
            name=version.name, window=window, advice="",
        )
        return title, lazy(lambda: str(body).strip(), str)()
    # The official's advice is the instruction (the console pre-fills one): the message states
    # the place and the time, and does not give a second instruction of its own before it.
    body = format_lazy(
        gettext_lazy("{name} was an epidemic place between {window}. {advice}"),
        name=version.name, window=window, advice=_advice_text(version.advice_vi, version.advice_en),
    )
    return title, body


@dataclass
class _Subject:
    run: ZoneWarningRun
    zone_version: ZoneVersion | None
    place_version: PlaceVersion | None

    @property
    def ward_codes(self) -> list[int]:
        if self.zone_version is not None:
            return [w.code for w in self.zone_version.wards.all()]
        assert self.place_version is not None
        return [self.place_version.ward_id] if self.place_version.ward_id is not None else []

    @property
    def province_code(self) -> int | None:
        if self.zone_version is not None and self.zone_version.whole_province:
            return int(self.zone_version.zone.province_id)
        return None

    def window(self) -> tuple[date, date | None]:
        if self.zone_version is not None:
            v = self.zone_version
            return selectors.local_day(v.valid_from), selectors.last_day(v.valid_until) if v.valid_until else None
        assert self.place_version is not None
        p = self.place_version
        return selectors.local_day(p.window_start), selectors.last_day(p.window_end)


def _subject(run: ZoneWarningRun) -> _Subject:
    zone_version: ZoneVersion | None = None
    place_version: PlaceVersion | None = None
    if run.zone_version_id is not None:
        zone_version = ZoneVersion.objects.select_related("zone").prefetch_related("wards").get(pk=run.zone_version_id)
    else:
        assert run.place_version_id is not None  # a check constraint: exactly one subject
        place_version = PlaceVersion.objects.select_related("place").get(pk=run.place_version_id)
    return _Subject(run=run, zone_version=zone_version, place_version=place_version)


def _run_start(subject: _Subject, now: datetime) -> None:
    run = subject.run
    first, last = subject.window()
    since = timezone.localdate(now) - timedelta(days=engine.WINDOW_DAYS)
    ids = selectors.travellers(
        ward_codes=subject.ward_codes, province_code=subject.province_code, first=first, last=last, since=since
    )
    q = selectors.residents_q(ward_codes=subject.ward_codes, province_code=subject.province_code)
    run.traveller_ids = ids
    # Residents who also travelled there are warned (and re-assessed) once, with the residents.
    run.expected = selectors.residents_count(q) + len(ids) - selectors.residents_among(q, ids)
    run.status = RunStatus.RUNNING
    run.phase = Phase.RESIDENTS
    run.cursor = 0
    run.started_at = now


def _message_for(subject: _Subject) -> tuple[Any, Any, str]:
    """Title, body and the dedupe-key prefix shared by everyone warned about this subject."""
    if subject.zone_version is not None:
        title, body = _zone_message(subject.zone_version)
        return title, body, f"zone-warning:{subject.zone_version.pk}:"
    assert subject.place_version is not None
    title, body = _place_message(subject.place_version)
    return title, body, f"place-warning:{subject.place_version.pk}:"


def _warn_residents(subject: _Subject, people: QuerySet[Person], *, reason: str, now: datetime) -> tuple[int, int]:
    """Warn a set of residents (not re-assessed: living there is not a risk fact) at once, in
    SQL; returns how many were newly warned and how many newly handled had nobody to notify
    (people already warned about this version are skipped by the unique constraints)."""
    title, body, group = _message_for(subject)
    if subject.zone_version is not None:
        link = f"{reverse('web:zones')}#zone-{subject.zone_version.zone_id}"
    else:
        assert subject.place_version is not None
        link = f"{reverse('web:zones')}#place-{subject.place_version.place_id}"
    # One message per carer about the place where their people live (the text names no one);
    # travellers get their own, per person, with a link to their re-assessed status.
    notify_people(
        people=people, kind=WARNING_KIND, title=title, body=body, link=link,
        dedupe_key=f"{group}residents", sms=True, outside_once_per=group,
    )
    people_sql, params = people.values_list("pk").query.sql_with_params()
    reached_sql, reached_params = cared_for_ids(people).query.sql_with_params()
    counts: list[int] = []
    with connection.cursor() as cursor:
        # Those with someone to notify first (warned), then the rest (nobody was told): a
        # person's row is written once, so the second statement's count is the unreachable.
        # The level is read, not changed: residents keep theirs (level_before = level_after).
        # The reason and the levels are sealed columns: the database cannot encrypt, so each
        # statement takes one token per value it may write (a level picked in SQL by CASE) —
        # a resident's current level is the status row's clear column already.
        for who_sql, who_params in ((reached_sql, reached_params), (people_sql, params)):
            before_sql, before_params = _sealed_level("level_before")
            after_sql, after_params = _sealed_level("level_after")
            cursor.execute(
                f"""
                INSERT INTO zones_zonewarning
                       (run_id, zone_version_id, place_version_id, person_id, reason, level_before, level_after, created_at)
                SELECT %s, %s, %s, b.id, %s, {before_sql}, {after_sql}, %s
                  FROM people_person b LEFT JOIN monitoring_personstatus s ON s.person_id = b.id
                 WHERE b.id IN ({who_sql})
                ON CONFLICT DO NOTHING
                """,  # noqa: S608 -- only the ORM's SQL and placeholders are interpolated; values are parameters
                [
                    subject.run.pk, subject.run.zone_version_id, subject.run.place_version_id,
                    rowsql.param(ZoneWarning, "reason", reason), *before_params, *after_params,
                    now, *who_params,
                ],
            )
            counts.append(max(cursor.rowcount, 0))
    return counts[0], counts[1]


def _sealed_level(column: str) -> tuple[str, list[Any]]:
    """A CASE over the resident's status level giving that level's token for `column`."""
    levels = list(Level.values)
    sql = "CASE COALESCE(s.level, '') " + " ".join("WHEN %s THEN %s" for _level in levels) + " ELSE %s END"
    params: list[Any] = [v for level in levels for v in (level, rowsql.param(ZoneWarning, column, level))]
    return sql, [*params, rowsql.param(ZoneWarning, column, "")]


def _warn(subject: _Subject, person: Person, *, reason: str, now: datetime) -> ZoneWarning:
    # RelatedObjectDoesNotExist is an AttributeError: no status row yet gives None.
    status = getattr(person, "status", None)
    before = status.level if isinstance(status, PersonStatus) else ""
    after = before
    run = subject.run
    if subject.zone_version is not None:
        version = subject.zone_version
        # Everyone warned here declared travel into the zone (a resident who also did is warned
        # here too, not with the other residents): re-assessed, and told without naming the zone.
        # The link and key have one form for both, as venue exposures' (docs: what they still tell).
        assessment = person_reassess(person=person, reason=f"zone:{version.zone_id}:v{version.number}", now=now)
        after = assessment.level
        run.reassessed += 1
        if LEVEL_ORDER.get(after, 0) > LEVEL_ORDER.get(before or "low", 0):
            run.raised += 1
        title, body = _reassessed_message()
        group = f"zone-warning:{version.pk}:"
        key = f"{group}{person.pk}"
        link = reverse("web:person_status", args=[person.pk])
    else:
        place_version = subject.place_version
        assert place_version is not None
        title, body = _place_message(place_version)
        group = f"place-warning:{place_version.pk}:"
        key = f"{group}{person.pk}"
        link = f"{reverse('web:zones')}#place-{place_version.place_id}"
    # One SMS per carer per zone version, however many of their household it concerns.
    notify_person(
        person=person, kind=WARNING_KIND, title=title, body=body, link=link, dedupe_key=key, sms=True,
        outside_once_per=group,
    )
    return ZoneWarning(
        run=run, zone_version=subject.zone_version, place_version=subject.place_version, person=person,
        reason=reason, level_before=before, level_after=after, created_at=now,
    )


@transaction.atomic
def warning_run_step(*, run_id: int, batch_size: int | None = None) -> ZoneWarningRun:
    """Warn the next batch of affected people of a warning run, in one transaction.

    Residents first (keyset over person ids in the zone's wards or province), then the
    travellers found when the run started (declared travel there while it was in force).
    Travellers are re-assessed with the risk engine before they are warned, at most
    `reassess_batch_size()` of them (residents who travelled there included) per batch. The run row is
    locked while a batch runs and the cursor moves with the batch, so a run killed half-way
    continues from its last committed batch; a ZoneWarning row per (version, person) means a
    person is never warned twice about the same version, whatever happens to the cursor.
    """
    size = batch_size or warning_batch_size()
    if connection.vendor == "postgresql":
        # A batch lost in a crash is simply done again: the cursor commits with the rows, and
        # every row is idempotent. So the commit need not wait for the disk (measured: the
        # WAL flush was a large part of each batch).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    run = ZoneWarningRun.objects.select_for_update().get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    now = timezone.now()
    subject = _subject(run)
    fields = list(_PROGRESS_FIELDS)
    if run.status == RunStatus.PENDING:
        _run_start(subject, now)
        fields.append("traveller_ids")
    if run.phase == Phase.RESIDENTS:
        q = selectors.residents_q(ward_codes=subject.ward_codes, province_code=subject.province_code)
        last, count = selectors.residents_range(q, after=run.cursor, limit=size)
        if count:
            run.cursor = _warn_residents_batch(subject, q, last=last, count=count, now=now)
        else:
            run.phase, run.cursor = Phase.TRAVELLERS, 0
    if run.phase == Phase.TRAVELLERS:
        ids = [i for i in run.traveller_ids if i > run.cursor][: min(size, reassess_batch_size())]
        if ids:
            _warn_travellers_batch(subject, ids, now)
            run.cursor = ids[-1]
        else:
            run.phase, run.status, run.finished_at = Phase.DONE, RunStatus.DONE, now
            # Who declared travel into the area is health data, sealed in the declarations and
            # kept as ZoneWarning rows under the retention rules: the run's clear list is only
            # its working state (a killed run resumes from `cursor` while RUNNING), so it goes now.
            run.traveller_ids = []
            fields.append("traveller_ids")
    run.updated_at = now
    run.save(update_fields=sorted(set(fields)))
    return run


def _warned_already(subject: _Subject, ids: Iterable[int]) -> set[int]:
    subject_filter: dict[str, Any] = (
        {"zone_version": subject.zone_version} if subject.zone_version is not None
        else {"place_version": subject.place_version}
    )
    return set(ZoneWarning.objects.filter(person_id__in=list(ids), **subject_filter).values_list("person_id", flat=True))


def _warn_one_by_one(subject: _Subject, ids: Iterable[int], *, reason: str, now: datetime) -> tuple[int, int]:
    """Re-assess and warn travellers, each with their own facts; returns how many were warned
    and how many had nobody to notify (re-assessed all the same)."""
    # The travellers were listed when the run started: whoever stopped processing since is
    # left out here, as the residents' batches leave them out through residents_q (a
    # re-assessment would bring back the status row the stop deleted).
    people = Person.objects.filter(selectors.warnable_q(), pk__in=list(ids)).select_related("status").order_by("pk")
    warnings = [_warn(subject, person, reason=reason, now=now) for person in people]
    ZoneWarning.objects.bulk_create(warnings)
    if not warnings:
        return 0, 0
    found = Person.objects.filter(pk__in=[w.person_id for w in warnings])
    reached = {row["cared"] for row in cared_for_ids(found)}
    return len(reached), len(warnings) - len(reached)


def _warn_residents_batch(subject: _Subject, q: Q, *, last: int, count: int, now: datetime) -> int:
    """Warn the `count` residents with ids in (cursor, last] — or fewer, up to the last one the
    batch may re-assess (`reassess_batch_size`); returns the id the batch ended at."""
    run = subject.run
    # Residents who also travelled there are re-assessed (one by one — usually few of them);
    # everyone else gets the same message, so they are warned together in SQL
    # (bench/RESULTS.md: one by one the job reached ~190 people/s, with ORM batches ~2,700/s).
    candidates = [i for i in run.traveller_ids if run.cursor < i <= last]
    travelling = selectors.residents_among_ids(q, candidates)
    reassessed = sorted(travelling - _warned_already(subject, travelling))
    limit = reassess_batch_size()
    if len(reassessed) > limit:
        # Many residents travelled there (a province-wide zone): the batch ends at the last one
        # it may re-assess, the next batch starts after it.
        last = reassessed[limit - 1]
        reassessed = reassessed[:limit]
        travelling = {i for i in travelling if i <= last}
        count = selectors.residents_count(q & Q(pk__gt=run.cursor, pk__lte=last))
    warned, unreachable = _warn_one_by_one(subject, reassessed, reason=WarningReason.RESIDENT, now=now)
    residents = Person.objects.filter(q, pk__gt=run.cursor, pk__lte=last).exclude(pk__in=sorted(travelling))
    told, untold = _warn_residents(subject, residents, reason=WarningReason.RESIDENT, now=now)
    run.processed += count
    run.warned += warned + told
    run.unreachable += unreachable + untold
    return last


def _warn_travellers_batch(subject: _Subject, ids: list[int], now: datetime) -> None:
    run = subject.run
    done = _warned_already(subject, ids)
    warned, unreachable = _warn_one_by_one(subject, [i for i in ids if i not in done], reason=WarningReason.TRAVELLER, now=now)
    run.warned += warned
    run.unreachable += unreachable
    # A traveller already warned as a resident was counted with the residents.
    run.processed += len(ids) - len(done)


def warning_runs_forget(*, person_id: int) -> int:
    """Take an erased person's id out of the traveller lists of unfinished warning runs (a
    finished run keeps no list); returns how many runs named them. privacy.erasure calls this.

    Unfinished runs are few, so they are read and filtered here rather than with a JSON lookup
    (which SQLite lacks); only a run that names the person is locked, so erasing someone waits
    for the batch in progress of that run alone.
    """
    named = [
        run.pk for run in ZoneWarningRun.objects.exclude(status=RunStatus.DONE).only("pk", "traveller_ids")
        if person_id in run.traveller_ids
    ]
    forgotten = 0
    for run in ZoneWarningRun.objects.select_for_update().filter(pk__in=named).order_by("pk"):
        if person_id in run.traveller_ids:
            run.traveller_ids = [i for i in run.traveller_ids if i != person_id]
            run.save(update_fields=["traveller_ids"])
            forgotten += 1
    return forgotten
