"""Which epidemic zones count for a person's trips: the engine's filter, with no queries.

`zone_facts_for` keeps, of the candidate zones its caller read (the assessment reads the zones
app's versions through a registered source: monitoring/sources.py), those whose place and days
overlap a trip, plus any in the in-process registry that only tests fill, with
`zones_registered(...)` (or `zone_register` / `zone_registry_clear`), to state a zone without
going through the zones services. In production the registry stays empty. Like the engine, this
module reads no database: the risk app imports nothing of the project's models.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from khaibao.risk.engine import TravelFact, ZoneFact, zone_visit_last_day

# The engine only looks back one window; a generous bound keeps old trips cheap to skip here.
_LOOKBACK_DAYS = 366

_lock = threading.Lock()
_registry: tuple[ZoneFact, ...] = ()


def zone_register(*zones: ZoneFact) -> None:
    """Add zones to the in-process registry (tests only)."""
    global _registry
    with _lock:
        _registry = (*_registry, *zones)


def zone_registry_clear() -> None:
    global _registry
    with _lock:
        _registry = ()


@contextmanager
def zones_registered(*zones: ZoneFact) -> Iterator[None]:
    """Register `zones` for the duration of a `with` block, then restore the registry."""
    global _registry
    with _lock:
        saved = _registry
        _registry = (*_registry, *zones)
    try:
        yield
    finally:
        with _lock:
            _registry = saved


def zone_facts_for(travel: Sequence[TravelFact], today: date, candidates: Iterable[ZoneFact] = ()) -> list[ZoneFact]:
    """The zones among `candidates` and the registry whose place and active dates overlap any of
    `travel` (up to `today`).

    The level is not filtered here — the rule set decides which levels count — and the list is
    ordered by zone id and start date so that callers get the same answer every time. One zone
    may appear several times, once per version (e.g. raised from level 2 to level 3 on a date).
    """
    candidates = (*_registry, *candidates)
    found = {
        zone
        for zone in candidates
        for trip in travel
        if zone_visit_last_day(trip, zone, today=today, window_days=_LOOKBACK_DAYS) is not None
    }
    return sorted(found, key=_order)


def _order(zone: ZoneFact) -> tuple[object, ...]:
    return (
        zone.zone_id, zone.active_from, zone.active_until or date.max, zone.level, zone.lockdown,
        sorted(zone.ward_codes), sorted(zone.province_codes), sorted(zone.countries),
    )
