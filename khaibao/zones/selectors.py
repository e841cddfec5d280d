"""Reads for zones: scope, lists, history, the risk engine's zone facts and affected people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.core.days import day_end, day_start
from khaibao.core.params import code_in_range, id_in_range
from khaibao.declarations.models import Declaration
from khaibao.declarations.selectors import current_declarations_q
from khaibao.declarations.travel import place_keys
from khaibao.people.access import cared_for_ids, processing_allowed_q, visible_people
from khaibao.people.models import Person
from khaibao.places.models import Province, Ward
from khaibao.places.selectors import in_reading_order
from khaibao.risk.engine import TravelFact, ZoneFact
from khaibao.zones.models import Change, Place, PlaceVersion, Zone, ZoneVersion, ZoneWarningRun

T = TypeVar("T", Zone, Place)


def local_day(moment: datetime) -> date:
    return timezone.localdate(moment)


def last_day(until: datetime) -> date:
    """The last local day an interval ending (inclusive) at `until` touches."""
    return timezone.localdate(until)


# --- Who may declare what ----------------------------------------------------------------


def can_view_zones_console(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) == Role.OFFICIAL


def can_declare_zones(user: Any) -> bool:
    """National officials anywhere, province officials in their province. Ward health
    stations see the console but do not declare: Resolution 128 has the province decide."""
    if not can_view_zones_console(user):
        return False
    if user.scope_level == ScopeLevel.NATIONAL:
        return True
    return user.scope_level == ScopeLevel.PROVINCE and user.scope_province_id is not None


def declarable_province_codes(user: Account) -> list[int] | None:
    """Province codes `user` may declare in: None means every province, [] none."""
    if not can_declare_zones(user):
        return []
    if user.scope_level == ScopeLevel.NATIONAL:
        return None
    return [int(user.scope_province_id)]  # type: ignore[arg-type]


def _manageable(user: Account) -> Q | None:
    codes = declarable_province_codes(user)
    if codes is None:
        return Q()
    if not codes:
        return None
    return Q(province_id__in=codes)


def _one(model: type[T], scope: Q | None, pk: int) -> T:
    """The zone or place `pk` within `scope` (None: nothing), else Http404 — the same answer
    for missing and not yours."""
    found = None
    if scope is not None and id_in_range(pk):
        found = model.objects.filter(scope, pk=pk).select_related("current", "province").first()
    if found is None:
        raise Http404
    return found


def zone_for_manager(user: Any, zone_id: int) -> Zone:
    """A zone `user` may change, else Http404."""
    return _one(Zone, _manageable(user) if getattr(user, "is_authenticated", False) else None, zone_id)


def place_for_manager(user: Any, place_id: int) -> Place:
    """An epidemic place `user` may change, else Http404."""
    return _one(Place, _manageable(user) if getattr(user, "is_authenticated", False) else None, place_id)


def zone_for_official(user: Any, zone_id: int) -> Zone:
    """Any zone, for an official's console page (zones are public; the console adds history
    and warning counts). Http404 for everyone else."""
    return _one(Zone, Q() if can_view_zones_console(user) else None, zone_id)


def place_for_official(user: Any, place_id: int) -> Place:
    return _one(Place, Q() if can_view_zones_console(user) else None, place_id)


# --- Lists and history -------------------------------------------------------------------


def zones_for_console(user: Account, *, province_code: int | None = None) -> QuerySet[Zone]:
    """Zones for the console list, newest first; an official's own province first by filter.
    Each zone carries `warned_people` (`zone_warned_people`) and `warned_any` (a run exists)."""
    qs = Zone.objects.select_related("current", "province", "current__warning_run").annotate(
        warned_people=Coalesce(Subquery(
            # COUNT as a plain function: one row, no GROUP BY (an aggregate would group by the zone).
            # `handled` sits three queries deep: the count, the union of carers' routes, then it.
            _warned_people(OuterRef(OuterRef(OuterRef("pk")))).order_by().annotate(people=Func(F("pk"), function="COUNT")).values("people")
        ), 0),
        warned_any=Exists(ZoneWarningRun.objects.filter(zone_version__zone=OuterRef("pk"))),
    )
    if province_code is not None:
        qs = qs.filter(province_id=province_code)
    return qs.order_by("-created_at")


def places_for_console(user: Account, *, province_code: int | None = None) -> QuerySet[Place]:
    qs = Place.objects.select_related("current", "province", "current__ward", "current__warning_run")
    if province_code is not None:
        qs = qs.filter(province_id=province_code)
    return qs.order_by("-created_at")


def zone_versions(zone: Zone) -> list[ZoneVersion]:
    """Every version of `zone`, newest first, with wards (a page lists them through
    `ZoneVersion.wards_in_reading_order`), author and warning run. Each carries `is_over`: ended,
    or its validity ran out."""
    over = Q(change=Change.END) | Q(valid_until__lte=timezone.now())
    return list(
        zone.versions.select_related("created_by", "warning_run").prefetch_related("wards")
        .annotate(is_over=ExpressionWrapper(over, output_field=BooleanField()))
        .order_by("-number")
    )


def place_versions(place: Place) -> list[PlaceVersion]:
    return list(place.versions.select_related("created_by", "warning_run", "ward").order_by("-number"))


def _warned_people(zone: Any) -> QuerySet[Person]:
    """The people warned about any version of `zone` (a zone, or an OuterRef to one), each once: a
    raise warns the same residents again about the new version. Only those with someone to notify
    (people.access `cared_for_ids`, the rule the warning runs count `warned` by); the others were
    handled too, but counted as having nobody to notify."""
    handled = Person.objects.filter(zone_warnings__zone_version__zone=zone)
    return Person.objects.filter(pk__in=cared_for_ids(handled))


def zone_warned_people(zone: Zone) -> int:
    """How many people were warned about `zone` (`_warned_people`): the zone's page, the API and the
    console's list (`zones_for_console`) say the same."""
    return _warned_people(zone.pk).count()


def zone_warning_totals(zone: Zone) -> dict[str, int]:
    """People warned about `zone` (`zone_warned_people`), and, summed over its versions' runs, those
    the warnings reached nobody for (`unreachable`: nobody to notify, to call or visit) and the
    travellers re-assessed."""
    runs = ZoneWarningRun.objects.filter(zone_version__zone=zone)
    return {
        "warned": zone_warned_people(zone),
        "unreachable": sum(r.unreachable for r in runs),
        "reassessed": sum(r.reassessed for r in runs),
        "raised": sum(r.raised for r in runs),
    }


def wards_for_select(province_code: int) -> list[Ward]:
    return in_reading_order(Ward.objects.filter(province_id=province_code))


def provinces_for_select() -> list[Province]:
    return in_reading_order(Province.objects.all())


def ward_get(code: int) -> Ward | None:
    if not code_in_range(code):
        return None
    return Ward.objects.select_related("province").filter(code=code).first()


# --- The risk engine's zones ---------------------------------------------------------------


def _version_fact(version: ZoneVersion, ward_codes: Iterable[int]) -> ZoneFact | None:
    until = version.valid_until
    if version.superseded_at is not None and (until is None or version.superseded_at < until):
        # A later version took over: lowering or ending is never retroactive, raising counts
        # from the new version's own dates.
        until = version.superseded_at
    active_from = local_day(version.valid_from)
    active_until = last_day(until) if until is not None else None
    if active_until is not None and active_until < active_from:
        return None
    return ZoneFact(
        zone_id=f"zone-{version.zone_id}",
        level=version.level,
        lockdown=version.lockdown,
        active_from=active_from,
        active_until=active_until,
        ward_codes=frozenset(ward_codes),
        province_codes=frozenset({version.zone.province_id}) if version.whole_province else frozenset(),
    )


def zone_facts_for_travel(travel: Sequence[TravelFact], today: date) -> list[ZoneFact]:
    """Zone versions whose wards (or whole province) and active days overlap a trip — up to `today`.

    Every version counts for the time it was in force (from its `valid_from` until it ended or
    the next version took over), so a trip during a level-4 week still counts after the zone
    was lowered. Two queries.
    """
    ward_codes = {t.ward_code for t in travel if t.ward_code is not None and code_in_range(t.ward_code)}
    province_codes = {t.province_code for t in travel if t.province_code is not None and code_in_range(t.province_code)}
    if not ward_codes and not province_codes:
        return []
    first = min(t.start for t in travel)
    last = min(max(t.end for t in travel), today)
    if last < first:
        return []
    place = Q()
    if ward_codes:
        place |= Q(wards__code__in=ward_codes)
    if province_codes:
        place |= Q(whole_province=True, zone__province_id__in=province_codes)
    start = day_start(first)
    end = day_end(last)
    ids = (
        ZoneVersion.objects.filter(place, valid_from__lt=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gte=start))
        .values_list("pk", flat=True)
        .distinct()
    )
    versions = list(
        ZoneVersion.objects.filter(pk__in=list(ids)).select_related("zone").prefetch_related(
            Prefetch("wards", queryset=Ward.objects.only("code"))
        )
    )
    facts = []
    for version in versions:
        fact = _version_fact(version, (w.code for w in version.wards.all()))
        if fact is not None:
            facts.append(fact)
    return facts


# --- Affected people -----------------------------------------------------------------------


def warnable_q(*, person_field: str = "pk") -> Q:
    """People who may still be warned — and re-assessed for a warning: everyone whose processing
    has not stopped (people.access `processing_allowed_q`). `person_field` is where the filtered
    rows hold the person's id ("pk" on Person, "person_id" on a row that names one)."""
    return processing_allowed_q(field=person_field)


def residents_q(*, ward_codes: Iterable[int], province_code: int | None) -> Q:
    """People whose home is in the wards (or, with `province_code`, anywhere in the province)
    and who may still be warned (`warnable_q`)."""
    q = Q(home_ward_id__in=list(ward_codes))
    if province_code is not None:
        q |= Q(home_ward__province_id=province_code)
    return q & warnable_q()


def residents_range(q: Q, *, after: int, limit: int) -> tuple[int, int]:
    """(last id, how many) of the next `limit` residents above `after` (keyset over Person.id);
    (after, 0) when none are left. No ids are loaded: the job hands the range to SQL."""
    following = Person.objects.filter(q, pk__gt=after).order_by("pk").values_list("pk", flat=True)
    boundary = list(following[limit - 1 : limit])
    last = boundary[0] if boundary else following.aggregate(last=Max("pk"))["last"]
    if last is None:
        return after, 0
    return last, limit if boundary else Person.objects.filter(q, pk__gt=after, pk__lte=last).count()


def residents_among_ids(q: Q, ids: Sequence[int]) -> set[int]:
    """Which of `ids` are residents."""
    return set(Person.objects.filter(q, pk__in=list(ids)).values_list("pk", flat=True)) if ids else set()


def residents_count(q: Q) -> int:
    return Person.objects.filter(q).count()


def residents_reached(q: Q) -> int:
    """How many residents a warning reaches: those with at least one account to notify
    (people.access `cared_for_ids`); the others have nobody to tell (`residents_count` minus this)."""
    return int(cared_for_ids(Person.objects.filter(q)).count())


def residents_among(q: Q, ids: Sequence[int]) -> int:
    """How many of `ids` are residents too."""
    return Person.objects.filter(q, pk__in=list(ids)).count() if ids else 0


def _entry_matches(
    entry: dict[str, Any], ward_codes: set[int], province_code: int | None, first: date, last: date | None
) -> bool:
    try:
        start = date.fromisoformat(entry["from"])
        end = date.fromisoformat(entry["to"])
    except (KeyError, TypeError, ValueError):
        return False
    if end < first or (last is not None and start > last):
        return False
    if entry.get("ward_code") in ward_codes:
        return True
    return province_code is not None and entry.get("province_code") == province_code


def travellers(
    *, ward_codes: Iterable[int], province_code: int | None, first: date, last: date | None, since: date
) -> list[int]:
    """Ids of people whose declared travel (declarations made on or after `since`) was in the
    wards — or anywhere in the province — on a day between `first` and `last` (None: open),
    and who may still be warned (`warnable_q`, as for residents).

    Only the person's current answers count (declarations `current_declarations_q`, the rule the
    risk engine reads them by): travel a newer universal declaration left out was corrected, and
    warning about it would tell the person something untrue and raise nothing on re-assessment.

    Travel is only declared by ward, province or country, so circles and polygons reach
    travellers through the wards the official attached to them.
    """
    wards = {int(c) for c in ward_codes}
    if not wards and province_code is None:
        return []
    qs = Declaration.objects.filter(
        warnable_q(person_field="person_id"), current_declarations_q(), created_at__gte=day_start(since)
    )
    # The answers are sealed (issue 18): the database finds the candidates by the travel index
    # (blind indexes of the places, declarations/travel.py) and only they are decrypted here.
    keys = place_keys(ward_codes=wards, province_code=province_code)
    if connection.vendor == "postgresql":
        place = Q()
        for key in keys:
            place |= Q(travel_index__contains=[key])
        qs = qs.filter(place)
    wanted = set(keys)
    found: set[int] = set()
    for person_id, index, answers in qs.values_list("person_id", "travel_index", "answers").iterator(chunk_size=2000):
        if person_id in found or not wanted.intersection(index or []):
            continue
        travel = answers.get("travel") if isinstance(answers, dict) else None
        if not isinstance(travel, list):
            continue
        if any(isinstance(e, dict) and _entry_matches(e, wards, province_code, first, last) for e in travel):
            found.add(person_id)
    return sorted(found)


def warning_runs_unfinished(*, stale_before: datetime) -> list[int]:
    """Runs not done and not touched since `stale_before` (their worker died or never started)."""
    return list(
        ZoneWarningRun.objects.filter(status__in=["pending", "running"], updated_at__lt=stale_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def household_home_wards(user: Any) -> list[Ward]:
    """The distinct home wards of the people a signed-in citizen declares for."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != Role.CITIZEN:
        return []
    codes = visible_people(user).values_list("home_ward_id", flat=True)
    return in_reading_order(Ward.objects.filter(code__in=codes).select_related("province"))
