"""What an assessment reads from apps above monitoring, which plug themselves in through settings.

The health layer's order is cases and passes → tracing → monitoring → declarations
(docs/architecture.md, "Layers"), and zones sits above it in orchestration. An assessment still
needs what two of those higher apps record about a person — the exposures contact tracing
registered, and the epidemic zones a trip went through — so they register a source here, as the
daily reminder's sources do (settings.DAILY_REMINDER_SOURCES), and monitoring never imports them:

* `ASSESSMENT_EXPOSURE_SOURCES` name `ExposureSource`s: a table with one row per exposure of a
  person (`person_id`, a code, a date). A declaration of the table, not a function, so that the
  one-statement read of the assessment's inputs (monitoring/inputs.py) can read it as a
  subquery on PostgreSQL and the portable path as one query elsewhere, from the same words.
* `STATUS_READ_SOURCES` name `StatusReadSource`s: what the status read shows beside the status
  row (the pass code, the citizen's follow-up), read by the same statement.
* `ASSESSMENT_ZONE_SOURCES` name functions `(travel, today) → ZoneFact`s (e.g. the zones app's
  versions); the risk engine filters them (risk.zones.zone_facts_for) and never queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import LiteralString, cast

from django.conf import settings
from django.db import models

from khaibao.core.hooks import hooks
from khaibao.risk.engine import TravelFact, ZoneFact


@dataclass(frozen=True)
class ExposureSource:
    """Exposures recorded about people in `model`'s table, one row each: `person_id`, the
    exposure `code` (a risk-engine exposure id) and the day it happened, `on` (attnames)."""

    model: type[models.Model]
    code: str
    on: str


ZoneSource = Callable[[Sequence[TravelFact], date], Iterable[ZoneFact]]


@cache
def exposure_sources() -> tuple[ExposureSource, ...]:
    """The registered exposure sources (settings.ASSESSMENT_EXPOSURE_SOURCES), in order."""
    sources = hooks("ASSESSMENT_EXPOSURE_SOURCES")
    for path, source in zip(settings.ASSESSMENT_EXPOSURE_SOURCES, sources, strict=True):
        if not isinstance(source, ExposureSource):
            raise TypeError(f"{path} is not an ExposureSource")
    return cast(tuple[ExposureSource, ...], sources)


@cache
def zone_sources() -> tuple[ZoneSource, ...]:
    """The registered zone sources (settings.ASSESSMENT_ZONE_SOURCES), in order."""
    return hooks("ASSESSMENT_ZONE_SOURCES")


# --- the status read -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusReadSource:
    """Something a status read shows that an app above monitoring keeps (settings
    STATUS_READ_SOURCES: the pass code, the citizen's follow-up): one SQL expression, read in the
    same statement as the status row (monitoring/selectors.py `person_status_read`).

    `sql` gives the expression for a database vendor ("postgresql", "sqlite"); it refers to the
    status row's table, `monitoring_personstatus`, and has one placeholder per value `params`
    gives for the moment of the read. Its raw value goes back to the source's owner to read.

    `holder_sql` and `holder_params`, when given, are what the holder's side reads instead (the
    citizen's own status read, `person_status_read_checked(holder=True)`): an expression that may
    make what it shows when it is missing — the day's pass code — in the same statement, for a
    vendor where it can (None elsewhere: the read uses `sql`, and the owner makes it afterwards).
    Such a read goes to the primary database.
    """

    name: str
    sql: Callable[[str], LiteralString]
    params: Callable[[datetime], list[object]]
    holder_sql: Callable[[str], LiteralString | None] | None = None
    holder_params: Callable[[datetime], list[object]] | None = None

    def read_for(self, vendor: str, *, holder: bool) -> tuple[LiteralString, Callable[[datetime], list[object]]]:
        """The expression this read uses on `vendor`, and the function of its parameters."""
        if holder and self.holder_sql is not None and self.holder_params is not None:
            made = self.holder_sql(vendor)
            if made is not None:
                return made, self.holder_params
        return self.sql(vendor), self.params


@cache
def status_read_sources() -> tuple[StatusReadSource, ...]:
    """The registered status-read sources (settings.STATUS_READ_SOURCES), in order."""
    sources = hooks("STATUS_READ_SOURCES")
    for path, source in zip(settings.STATUS_READ_SOURCES, sources, strict=True):
        if not isinstance(source, StatusReadSource):
            raise TypeError(f"{path} is not a StatusReadSource")
    return cast(tuple[StatusReadSource, ...], sources)
