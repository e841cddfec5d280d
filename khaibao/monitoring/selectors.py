from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, LiteralString

from django.db import connections, router
from django.utils import timezone

from khaibao.accounts.models import Account
from khaibao.core import rowsql
from khaibao.declarations.models import Declaration
from khaibao.monitoring.models import Assessment, DailyUpdate, PersonStatus
from khaibao.monitoring.sources import status_read_sources
from khaibao.people.access import household_access_sql, is_active_volunteer
from khaibao.people.models import CONSENTED, Delegation, Person
from khaibao.people.selectors import HouseholdEntry, person_public_dict
from khaibao.risk import engine


@dataclass(frozen=True)
class MonitoringProgress:
    open: bool
    start: date | None  # the day the period was opened in the system
    until: date | None  # the last day of monitoring
    day: int | None  # days since the exposure or onset the period counts from: 0 that day, `length` the last
    length: int
    missed_days: int  # days from `start` to yesterday (within the period) without an update
    updated_today: bool


_STATUS_PERSON = PersonStatus._meta.get_field("person")
_STATUS_OF_PERSON = _STATUS_PERSON.remote_field  # `person.status`


def person_status(person: Person) -> PersonStatus | None:
    """The person's latest-status row, or None before their first declaration.

    The row (or its absence) is cached on `person` as the one-to-one accessor would cache it:
    the status page and API then issue the health pass from it without reading it again.
    """
    if not _STATUS_OF_PERSON.is_cached(person):
        # Read on every status request: a precompiled statement (core/rowsql), not the
        # accessor's ORM query, whose compilation cost more CPU than the database's work.
        status = rowsql.fetch(PersonStatus, "person_id = %s", [person.pk])
        _STATUS_OF_PERSON.set_cached_value(person, status)
        if status is not None:
            _STATUS_PERSON.set_cached_value(status, person)
    return _STATUS_OF_PERSON.get_cached_value(person)  # type: ignore[return-value]


@dataclass(frozen=True)
class StatusRead:
    """One person's status page in one statement: the status row (None before the first
    declaration), the days of the open monitoring period with an update, and the raw values of
    the registered sources (monitoring/sources.py `StatusReadSource`) by name — empty when they
    were not read (no status row): their owners then read them themselves."""

    status: PersonStatus | None
    days_updated: int | None
    sources: dict[str, Any]


# The days of the monitoring period up to yesterday that have an update (what
# `monitoring_progress` counts), as an expression over the status row. Placeholders: today,
# yesterday, yesterday.
_DAYS_UPDATED: LiteralString = (
    "(SELECT COUNT(*) FROM monitoring_dailyupdate d WHERE d.person_id = monitoring_personstatus.person_id"
    " AND d.day >= COALESCE(monitoring_personstatus.monitoring_from, %s) AND d.day <= CASE WHEN"
    " monitoring_personstatus.monitoring_until < %s THEN monitoring_personstatus.monitoring_until ELSE %s END)"
)


def person_status_read(person: Person, *, now: datetime) -> StatusRead:
    """Everything a status read shows of `person` but the signed pass — the status row, the
    monitoring period's updated days, the pass code and the follow-up (the registered sources) —
    in **one** statement (issue 19; it was three to four). Before the first declaration there is
    no status row: the sources are left to their owners then (`sources` empty)."""
    vendor = _vendor()
    found = rowsql.fetch_with(
        PersonStatus, _status_read_sql(vendor, holder=False), "monitoring_personstatus.person_id = %s",
        [*_status_read_params(now, vendor, holder=False), person.pk],
    )
    if found is None:
        _STATUS_OF_PERSON.set_cached_value(person, None)
        return StatusRead(status=None, days_updated=None, sources={})
    status, values = found
    _STATUS_OF_PERSON.set_cached_value(person, status)
    _STATUS_PERSON.set_cached_value(status, person)
    return _status_read(status, values)


def person_status_read_checked(
    user: Any, person_id: int, *, now: datetime, holder: bool = False
) -> tuple[Person, StatusRead] | None:
    """`person_status_read` of `person_id` and the household owner's access check in **one**
    statement (issue 19: it was two) — the person row, their status row and what the status read
    shows, found only when `user` owns a household the person is in
    (`people.access.household_access_sql`, the access rule's owner). Of the person only the id and
    the name are read (the pass's subject and initials): any other field costs a query.

    None when that route finds nothing — not the owner's, a volunteer's or an official's read, a
    missing person, or no status row yet (before the first declaration): the caller then checks
    access the general way (`people.access.access_person_for_user`, which also audits officials)
    and reads with `person_status_read`.

    `holder`: the read is the holder's side's (the citizen's app), which shows the pass code: a
    source that makes what it shows when it is missing (`StatusReadSource.holder_sql`: the day's
    first read writes the code) makes it in this same statement — behind the same access check, so
    a read that finds nothing makes nothing — and the read goes to the primary database."""
    route = household_access_sql(user, person_id)
    if route is None:
        return None
    condition: LiteralString = route[0]
    route_params = route[1]
    vendor = _vendor(primary=holder)
    found = rowsql.fetch_with_related(
        PersonStatus, "person", _status_read_sql(vendor, holder=holder),
        f"monitoring_personstatus.person_id = %s AND {condition}",
        [*_status_read_params(now, vendor, holder=holder), person_id, *route_params],
        related_columns=_STATUS_READ_PERSON, primary=holder,
    )
    if found is None:
        return None
    status, values = found
    person = status.person
    _STATUS_OF_PERSON.set_cached_value(person, status)
    return person, _status_read(status, values)


# What a status read uses of the person (the pass's subject and initials); the other columns are
# deferred — each read on first use — as the sealed and indexed ones are never shown there.
_STATUS_READ_PERSON = ("id", "full_name")


def _status_read_params(now: datetime, vendor: str, *, holder: bool) -> list[Any]:
    """The parameters of what a status read adds to the status row (`_status_read_sql`)."""
    today = timezone.localdate(now)
    yesterday = today - timedelta(days=1)
    day = rowsql.param(DailyUpdate, "day", today), rowsql.param(DailyUpdate, "day", yesterday)
    return [day[0], day[1], day[1], *(p for params in _status_read_reads(vendor, holder)[1] for p in params(now))]


def _vendor(*, primary: bool = False) -> str:
    return connections[router.db_for_write(PersonStatus) if primary else router.db_for_read(PersonStatus)].vendor


@cache
def _status_read_reads(
    vendor: str, holder: bool
) -> tuple[tuple[LiteralString, ...], tuple[Callable[[datetime], list[object]], ...]]:
    """The registered sources' expressions on `vendor` for this side's read, and their parameters'
    functions (`StatusReadSource.read_for`)."""
    reads = [source.read_for(vendor, holder=holder) for source in status_read_sources()]
    return tuple(sql for sql, _params in reads), tuple(params for _sql, params in reads)


def _status_read_sql(vendor: str, *, holder: bool) -> tuple[LiteralString, ...]:
    """What a status read adds to the status row: the period's updated days, the registered sources."""
    return (_DAYS_UPDATED, *_status_read_reads(vendor, holder)[0])


def _status_read(status: PersonStatus, values: tuple[Any, ...]) -> StatusRead:
    sources = status_read_sources()
    return StatusRead(
        status=status, days_updated=int(values[0]),
        sources={source.name: value for source, value in zip(sources, values[1:], strict=True)},
    )


def assessments_in_force(person: Person, moments: Sequence[datetime]) -> list[Assessment | None]:
    """For each of `moments`, the assessment the person had then: the latest change at or before
    it (None before the first). Assessment rows are changes only (decision C), so a write that
    confirmed the assessment unchanged points back to the change it confirmed. Two queries."""
    if not moments:
        return []
    rows = Assessment.objects.filter(person=person).order_by("created_at", "pk")
    earlier = rows.filter(created_at__lt=min(moments)).last()
    changes = [*([earlier] if earlier else []), *rows.filter(created_at__gte=min(moments), created_at__lte=max(moments))]
    in_force: list[Assessment | None] = []
    for moment in moments:
        found = None
        for change in changes:  # a handful: one row per change of level, advice or period
            if change.created_at > moment:
                break
            found = change
        in_force.append(found)
    return in_force


def declarations_assessed(person: Person, declarations: Sequence[Declaration]) -> list[Assessment | None]:
    """The assessment each of `declarations` left the person with: its own when it changed the
    assessment, else the one it confirmed (`assessments_in_force`). At most two queries, none when
    every declaration has its own (select_related("assessment"))."""
    own = [getattr(d, "assessment", None) for d in declarations]
    missing = [d.created_at for d, a in zip(declarations, own, strict=True) if a is None]
    found = iter(assessments_in_force(person, missing))
    return [a if a is not None else next(found) for a in own]


def monitoring_progress(
    status: PersonStatus | None, today: date, *, days_updated: int | None = None
) -> MonitoringProgress:
    """Where the person stands in their monitoring period — at most one query.

    `day` is counted back from `monitoring_until` so that "day X of 14" follows the exposure
    or onset the period was computed from, even when the person declared days later. The
    period runs from that day (day 0) to `length` days after it (`monitoring_until`), so the
    days are 0…`length`, each shown once.
    Missed days only count from the day monitoring was opened in the system: nobody is
    blamed for days before they knew. `days_updated`: those days with an update, when the caller
    read them already (`person_status_read`).
    """
    length = engine.current_rules().monitoring_days
    if status is None or status.monitoring_until is None or status.monitoring_until < today:
        return MonitoringProgress(
            open=False, start=status.monitoring_from if status else None,
            until=status.monitoring_until if status else None, day=None, length=length,
            missed_days=0, updated_today=status_updated_on(status, today),
        )
    until = status.monitoring_until
    day = min(length, max(0, length - (until - today).days))
    start = status.monitoring_from or today
    last = min(today - timedelta(days=1), until)
    expected = (last - start).days + 1 if last >= start else 0
    missed = 0
    if expected > 0 and days_updated is not None:
        missed = max(0, expected - days_updated)
    elif expected > 0:
        # At most `length` rows (one per day): reading their days through a precompiled
        # statement costs less CPU than compiling an ORM COUNT on every status read.
        done = len(rowsql.fetch_values(
            DailyUpdate, ("day",), "person_id = %s AND day >= %s AND day <= %s",
            [status.person_id, rowsql.param(DailyUpdate, "day", start), rowsql.param(DailyUpdate, "day", last)],
        ))
        missed = max(0, expected - done)
    return MonitoringProgress(
        open=True, start=start, until=until, day=day, length=length,
        missed_days=missed, updated_today=status_updated_on(status, today),
    )


@dataclass(frozen=True)
class TodayState:
    """What a household owner still has to do today for one person."""

    declared: bool
    updated_today: bool


def today_states(people: list[Person], today: date) -> dict[int, TodayState]:
    """For each person: declared at all? today's update sent? One query for the whole household."""
    statuses = {s.person_id: s for s in PersonStatus.objects.filter(person__in=[p.pk for p in people])}
    return {
        p.pk: TodayState(
            declared=p.pk in statuses and statuses[p.pk].last_declaration_at is not None,
            updated_today=status_updated_on(statuses.get(p.pk), today),
        )
        for p in people
    }


def status_updated_on(status: PersonStatus | None, day: date) -> bool:
    """Whether the person's update for `day` is done: an update *for* that day, whenever it was
    sent (yesterday's update sent this morning leaves today's to do). The one rule; the queries
    that count or select by it filter `last_update_day` the same way (orgs.compliance.updated_q,
    notifications.selectors.monitored_people_without_update)."""
    return status is not None and status.last_update_day == day


def daily_update_of(person: Person, day: date) -> DailyUpdate | None:
    """The person's daily update of `day`, or None."""
    return DailyUpdate.objects.filter(person=person, day=day).first()


def update_symptoms_recent(person: Person, *, since: date) -> list[tuple[date, list[str], Decimal | None]]:
    """(day, symptoms, temperature) of the person's daily updates from `since` on, oldest first:
    what the risk assessment reads, without building model instances (hot path)."""
    return rowsql.fetch_values(  # type: ignore[return-value]
        DailyUpdate, ("day", "symptoms", "temperature"), "person_id = %s AND day >= %s", [person.pk, since],
        suffix="ORDER BY day",
    )


def daily_update_export(update: DailyUpdate) -> dict[str, Any]:
    return {
        "day": update.day.isoformat(),
        "symptoms": update.symptoms,
        "temperature": float(update.temperature) if update.temperature is not None else None,
        "feeling": update.feeling,
        "updated_as": update.updated_as,
        "created_at": update.created_at.isoformat(),
        "updated_at": update.updated_at.isoformat(),
    }


def updates_for_export(person: Person) -> list[dict[str, Any]]:
    """Every daily update of `person`, oldest first, as plain JSON-ready dicts (for /me/export)."""
    return [daily_update_export(u) for u in DailyUpdate.objects.filter(person=person).order_by("day")]


# --- The people a volunteer assists, with today's update -----------------------------------


@dataclass(frozen=True)
class AssistedEntry:
    """A person a volunteer assists, for the volunteer's page."""

    delegation: Delegation
    person: Person
    pending: bool
    declared: bool
    updated_today: bool


def volunteer_assisted(*, account: Account) -> list[AssistedEntry]:
    """The people `account` assists (not ended), pending consent included, with whether they
    ever declared and whether today's daily update (Asia/Ho_Chi_Minh date) is in — by the one
    rule, `today_states`, so the volunteer sees what the reminder, the organisations' counts and
    the person's own pages see (an update stored first in rush mode counts once the worker
    assessed it; someone never declared is told apart, as on the citizen's home page). Two
    queries whatever the number."""
    if not is_active_volunteer(account):
        return []  # a revoked or expired volunteer no longer sees the people they assisted
    delegations = list(
        Delegation.objects.filter(volunteer=account, ended_at__isnull=True)
        .select_related("person__home_ward__province").order_by("started_at", "pk")
    )
    states = today_states([d.person for d in delegations], timezone.localdate())
    return [
        AssistedEntry(delegation=d, person=d.person, pending=d.consent_method not in CONSENTED,
                      declared=states[d.person_id].declared, updated_today=states[d.person_id].updated_today)
        for d in delegations
    ]


def assisted_dict(entry: AssistedEntry) -> dict[str, Any]:
    """An assisted person for the API: masked like person_public_dict, plus the consent."""
    d = entry.delegation
    return {
        "id": d.pk,
        "person": person_public_dict(HouseholdEntry(person=entry.person, relation=None, assisted=True)),
        "consent_method": d.consent_method or None,
        "consent_witness": d.consent_witness or None,
        "consent_recorded_at": None if entry.pending else d.consent_recorded_at,
        "pending": entry.pending,
        "declared": entry.declared,
        "updated_today": entry.updated_today,
    }
