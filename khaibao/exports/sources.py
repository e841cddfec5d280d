"""What each export kind contains: kind → function(user, filters) → Table.

Rows are always built by the owning app's selectors with the requesting official as `user`,
so an export can never hold more than that official may see on screen. ID numbers and phones
are left out altogether: an export leaves the system, and the cases selectors' export rows do
not carry them (the case view reveals them one person at a time, audited).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.cases.followups import followup_filters_parse, followup_list, followup_matching
from khaibao.cases.models import CaseStatus, FollowUpCase
from khaibao.cases.officials import require_official
from khaibao.cases.triage import triage_export_rows, triage_filters_parse, triage_matching
from khaibao.core.errors import ServiceError
from khaibao.monitoring.models import Level, PersonStatus
from khaibao.monitoring.queue import QUEUE_REASONS
from khaibao.people.access import jurisdiction_q
from khaibao.stats import selectors as stats


@dataclass
class Table:
    title: str
    header: list[str]
    rows: Iterable[Sequence[Any]]  # lazy: consumed once, by the writer
    estimated_rows: int
    # The people whose rows were written, filled while `rows` is consumed: the export's
    # `list.export` audit event names them (audit/lists.py).
    people: list[int] = field(default_factory=list)


# Matches nothing: the bound of someone with no jurisdiction (the selectors refuse them anyway).
NOTHING = Q(pk__in=[])
SourceFn = Callable[[Account, dict[str, Any]], Table]


class SourceUnavailable(ServiceError):
    status = 503

    def __init__(self) -> None:
        super().__init__(_("This export is not available yet. Try again later."), code="export_unavailable")


SOURCES: dict[str, SourceFn] = {}


def register(kind: str) -> Callable[[SourceFn], SourceFn]:
    def add(fn: SourceFn) -> SourceFn:
        SOURCES[kind] = fn
        return fn

    return add


def table_for(kind: str, user: Account, filters: dict[str, Any]) -> Table:
    fn = SOURCES.get(kind)
    if fn is None:
        raise SourceUnavailable
    return fn(user, filters)


def _unknown_filters(filters: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(filters) - set(allowed))
    if unknown:
        raise ServiceError(
            _("Some filters are not valid."), fields={f"filters.{name}": _("Unknown filter.") for name in unknown}
        )


def _date_filter(filters: dict[str, Any], name: str) -> date | None:
    raw = filters.get(name)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ServiceError(
            _("Some filters are not valid."), fields={f"filters.{name}": _("Must be a date (YYYY-MM-DD).")}
        ) from exc


@register("stats")
def stats_table(user: Account, filters: dict[str, Any]) -> Table:
    """The per-area table of the statistics dashboard, one row per area per day.

    Filters: "date" (one day, default today) or "from"/"to" (a range, as the stats API).
    """
    _unknown_filters(filters, ("date", "from", "to"))
    day = _date_filter(filters, "date")
    if day is not None and ("from" in filters or "to" in filters):
        raise ServiceError(
            _("Some filters are not valid."), fields={"filters.date": _("Give either a day or a range, not both.")}
        )
    if day is not None:
        first = last = day
    elif "from" in filters or "to" in filters:
        try:
            first, last = stats.stats_range(_date_filter(filters, "from"), _date_filter(filters, "to"))
        except ServiceError as exc:
            exc.fields = {f"filters.{k}": v for k, v in exc.fields.items()}
            raise
    else:
        first = last = timezone.localdate()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    areas = len(stats.by_area(user, first))  # also refuses anyone who is not an official

    def rows() -> Iterator[list[Any]]:
        for day in days:
            for area in stats.by_area(user, day):
                yield [
                    day, area.code, area.name, area.declarations, area.risk_declarations, area.daily_updates,
                    area.people_low, area.people_medium, area.people_high, area.people_urgent,
                    area.under_monitoring, area.missed_updates,
                ]

    area_word = _("Province") if stats.area_level(user) == "province" else _("Ward")
    return Table(
        title=_("Statistics"),
        header=[
            _("Day"), _("%(area)s code") % {"area": area_word}, area_word, _("Declarations"),
            _("Risk-factor declarations"), _("Daily updates"), _("People at low level"),
            _("People at medium level"), _("People at high level"), _("People at urgent level"),
            _("Under monitoring"), _("Missed updates"),
        ],
        rows=rows(),
        estimated_rows=areas * len(days),
    )


def _prefixed(exc: ServiceError) -> ServiceError:
    exc.fields = {f"filters.{k}": v for k, v in exc.fields.items()}
    return exc


def _sized(rows: Iterator[Any], upper_bound: QuerySet[Any], matching: QuerySet[Any]) -> tuple[Iterable[Any], int]:
    """The rows and how many there are — exactly when small, else an upper bound for progress.

    The cases selectors yield rows without a count; `matching` (the filtered rows, which the
    owning selector offers: `triage_matching`, `followup_matching`) settles the matter with one
    count that stops at the streaming limit plus one; the jurisdiction's table size
    (`upper_bound`) is the estimate shown as progress above it.
    """
    limit = settings.EXPORT_STREAM_MAX_ROWS
    # SELECT count(*) FROM (… LIMIT limit+1): reading the first 5,001 rows through the selector
    # instead cost ~1 s and 109 statements per large export (review "scale" #10).
    if matching[: limit + 1].count() > limit:
        return rows, max(upper_bound.count(), limit + 1)
    head = list(rows)
    return head, len(head)


def _label(choices: Mapping[str, Any], value: str | None) -> str:
    return str(choices.get(value or "", value or ""))


TRIAGE_FILTERS = ("ward", "level", "reason", "followup", "assigned", "since_from", "since_to", "min_missed")


@register("triage")
def triage_table(user: Account, filters: dict[str, Any]) -> Table:
    """The triage queue in queue order, with the same filters as GET /api/v1/triage."""
    _unknown_filters(filters, TRIAGE_FILTERS)
    require_official(user)
    try:
        parsed = triage_filters_parse(filters, user=user)
    except ServiceError as exc:
        raise _prefixed(exc) from exc
    # The status row's own province column (the queue index leads with it), not a join to the ward.
    scope = jurisdiction_q(user, ward_field="home_ward", province_field="home_province")
    bound = PersonStatus.objects.filter(scope if scope is not None else NOTHING, in_queue=True)
    statuses = dict(CaseStatus.choices)

    people: list[int] = []

    def rows() -> Iterator[list[Any]]:
        for row in triage_export_rows(user, filters=parsed):
            people.append(row["person_id"])
            case = row["follow_up"] or {}
            assigned = case.get("assigned_to") or {}
            yield [
                row["person_id"], row["full_name"], row["birth_year"], row["age"], row["ward_code"],
                row["ward_name"], row["level_word"], [str(QUEUE_REASONS.get(r, r)) for r in row["reasons"]],
                row["contact_level"], row["contact_level_label"], row["queue_since"], row["missed_days"],
                row["escalated_at"], row["lost_to_followup_at"], _label(statuses, case.get("status")) if case else "",
                assigned.get("name", ""), case.get("outcome_label", ""), case.get("last_action_at"),
            ]

    data, estimate = _sized(rows(), bound, triage_matching(user, filters=parsed))
    return Table(
        title=_("Triage list"),
        header=[
            _("Person ID"), _("Full name"), _("Year of birth"), _("Age"), _("Ward code"), _("Ward"), _("Level"),
            _("Why in the queue"), _("Contact level"), _("Contact level, in words"), _("In the queue since"),
            _("Missed days in a row"), _("Escalated at"), _("Lost to follow-up at"), _("Follow-up"), _("Assigned to"),
            _("Latest outcome"), _("Latest action at"),
        ],
        rows=data,
        estimated_rows=estimate,
        people=people,
    )


FOLLOWUP_FILTERS = ("status", "ward", "assigned", "opened_from", "opened_to")


@register("followups")
def followups_table(user: Account, filters: dict[str, Any]) -> Table:
    """Follow-up cases of the jurisdiction, newest first (officials' notes are not exported)."""
    _unknown_filters(filters, FOLLOWUP_FILTERS)
    require_official(user)
    try:
        parsed = followup_filters_parse(filters, user=user)
    except ServiceError as exc:
        raise _prefixed(exc) from exc
    scope = jurisdiction_q(user, ward_field="person__home_ward")
    bound = FollowUpCase.objects.filter(scope if scope is not None else NOTHING)
    statuses, levels = dict(CaseStatus.choices), dict(Level.choices)

    people: list[int] = []

    def rows() -> Iterator[list[Any]]:
        for row in followup_list(user, parsed):
            people.append(row["person_id"])
            yield [
                row["case_id"], row["person_id"], row["full_name"], row["birth_year"], row["ward_code"],
                row["ward_name"], _label(levels, row["level"]), row["contact_level"], row["contact_level_label"],
                row["missed_days"], _label(statuses, row["status"]), row["assigned_to"], row["opened_at"], row["closed_at"],
                row["outcome_label"], row["last_action_at"],
            ]

    data, estimate = _sized(rows(), bound, followup_matching(user, parsed))
    return Table(
        title=_("Follow-up list"),
        header=[
            _("Case"), _("Person ID"), _("Full name"), _("Year of birth"), _("Ward code"), _("Ward"), _("Level"),
            _("Contact level"), _("Contact level, in words"), _("Missed days in a row"), _("Follow-up"),
            _("Assigned to"), _("Opened at"), _("Closed at"), _("Latest outcome"), _("Latest action at"),
        ],
        rows=data,
        estimated_rows=estimate,
        people=people,
    )
