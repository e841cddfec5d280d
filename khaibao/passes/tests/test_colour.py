"""The pass colour rule, as a table: every row is (status fields, expected colour)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from khaibao.monitoring.models import PersonStatus
from khaibao.passes.services import pass_colour

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=HCM)
TODAY = date(2026, 3, 10)
H = timedelta(hours=1)


def status(**fields: Any) -> PersonStatus:
    defaults: dict[str, Any] = {"level": "low", "last_declaration_at": NOW - 2 * H, "last_activity_at": NOW - 2 * H}
    return PersonStatus(**{**defaults, **fields})


ROWS: list[tuple[str, PersonStatus | None, str]] = [
    ("no status at all", None, "grey"),
    ("low, declared 2 h ago", status(), "green"),
    ("low, declared exactly 24 h ago (inclusive)", status(last_declaration_at=NOW - 24 * H), "green"),
    ("low, declared 24 h + 1 s ago", status(last_declaration_at=NOW - 24 * H - timedelta(seconds=1)), "grey"),
    ("low, updated exactly 24 h ago (inclusive)", status(last_declaration_at=NOW - 72 * H, last_update_at=NOW - 24 * H),
     "green"),
    # The retention clock moved by a re-assessment of the system (a new zone) or an official's
    # action is no declaration of the person's: the pass stays grey.
    ("low, declared 3 days ago, acted on 1 h ago", status(last_declaration_at=NOW - 72 * H, last_activity_at=NOW - H),
     "grey"),
    ("low, old declaration but a daily update today", status(last_declaration_at=NOW - 72 * H,
                                                               last_activity_at=None, last_update_at=NOW - H), "green"),
    ("low, never declared, only an update", status(last_declaration_at=None, last_update_at=NOW - H), "grey"),
    ("low, no activity recorded", status(last_declaration_at=None, last_activity_at=None), "grey"),
    ("medium, recent", status(level="medium"), "yellow"),
    ("medium, stale (yellow beats grey)", status(level="medium", last_activity_at=NOW - 72 * H,
                                                   last_declaration_at=NOW - 72 * H), "yellow"),
    ("low, monitoring until today", status(monitoring_until=TODAY), "yellow"),
    ("low, monitoring ended yesterday", status(monitoring_until=TODAY - timedelta(days=1)), "green"),
    ("low, monitoring, stale", status(monitoring_until=TODAY + timedelta(days=3),
                                      last_activity_at=NOW - 72 * H, last_declaration_at=NOW - 72 * H), "yellow"),
    ("high", status(level="high"), "red"),
    ("urgent", status(level="urgent"), "red"),
    ("urgent and monitoring (red beats yellow)", status(level="urgent", monitoring_until=TODAY), "red"),
    ("high, stale (red beats grey)", status(level="high", last_activity_at=NOW - 99 * H,
                                            last_declaration_at=NOW - 99 * H), "red"),
    ("low but a confirmed case", status(is_f0=True), "red"),
    ("unknown level", status(level="bogus"), "grey"),
]


@pytest.mark.parametrize(("label", "row", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_it_colours_a_status(label: str, row: PersonStatus | None, expected: str) -> None:
    assert pass_colour(row, now=NOW) == expected


def test_it_uses_the_local_date_for_monitoring() -> None:
    # 23:30 on 9 March in UTC is already 10 March in Hà Nội: monitoring until 10 March still counts.
    late_utc = datetime(2026, 3, 9, 23, 30, tzinfo=ZoneInfo("UTC"))
    row = status(monitoring_until=TODAY, last_activity_at=late_utc - H, last_declaration_at=late_utc - H)
    assert pass_colour(row, now=late_utc) == "yellow"
    assert pass_colour(row, now=late_utc + 24 * H) == "grey"
