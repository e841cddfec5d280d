"""The pure queue rule: who is in the triage queue and in which order (table tests)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from khaibao.monitoring.models import PersonStatus
from khaibao.monitoring.queue import escalation_bump, missed_run, queue_fields, queue_reasons

TODAY = date(2026, 3, 10)
NOW = timezone.make_aware(datetime(2026, 3, 10, 9, 0))
EARLIER = NOW - timedelta(hours=5)


def status(**kw: Any) -> PersonStatus:
    base: dict[str, Any] = {"assessed_at": EARLIER, "level": "low", "priority": 0}
    base.update(kw)
    return PersonStatus(**base)


MONITORED = {"monitoring_from": TODAY - timedelta(days=5), "monitoring_until": TODAY + timedelta(days=9)}


@pytest.mark.parametrize(
    ("case", "fields", "reasons"),
    [
        ("low, nothing else", {}, []),
        ("never assessed", {"assessed_at": None, "level": "medium"}, []),
        ("medium", {"level": "medium", "priority": 1000}, ["level"]),
        ("high", {"level": "high", "priority": 2000}, ["level"]),
        ("urgent", {"level": "urgent", "priority": 3000}, ["level"]),
        ("new risk-factor declaration", {"needs_attention": True}, ["risk_declaration"]),
        ("escalated", {"escalated_at": EARLIER}, ["escalation"]),
        ("1 missed day under monitoring", {"missed_days": 1, **MONITORED}, ["missed_updates"]),
        ("missed days after monitoring ended", {"missed_days": 2, "monitoring_until": TODAY - timedelta(days=1)}, []),
        ("lost to follow-up", {"lost_to_followup_at": EARLIER}, ["lost_to_followup"]),
        ("F0", {"contact_level": "F0"}, ["contact"]),
        ("F1", {"contact_level": "F1"}, ["contact"]),
        ("F2 alone", {"contact_level": "F2"}, []),
        ("confirmed case flag", {"is_f0": True}, ["contact"]),
    ],
)
def test_it_decides_queue_membership(case: str, fields: dict[str, Any], reasons: list[str]) -> None:
    s = status(**fields)
    assert queue_reasons(s, TODAY) == reasons, case
    assert queue_fields(s, TODAY, NOW)["in_queue"] is bool(reasons)


@pytest.mark.parametrize(
    ("higher", "lower"),
    [
        # urgent first, whoever the people are
        ({"level": "urgent", "priority": 3000}, {"level": "high", "priority": 2700, "escalated_at": EARLIER}),
        ({"level": "high", "priority": 2000}, {"level": "medium", "priority": 1700}),
        # within a level: 65 or older (300) before underlying conditions (200) before nobody
        ({"level": "medium", "priority": 1300}, {"level": "medium", "priority": 1200}),
        ({"level": "medium", "priority": 1200}, {"level": "medium", "priority": 1000}),
        # escalation moves up within the level, by less than the largest vulnerability sum
        ({"level": "medium", "priority": 1000, "escalated_at": EARLIER}, {"level": "medium", "priority": 1200}),
        ({"level": "medium", "priority": 1000, "lost_to_followup_at": EARLIER}, {"level": "medium", "priority": 1000}),
    ],
)
def test_it_orders_by_level_then_vulnerability_then_escalation(higher: dict[str, Any], lower: dict[str, Any]) -> None:
    assert queue_fields(status(**higher), TODAY, NOW)["queue_rank"] > queue_fields(status(**lower), TODAY, NOW)["queue_rank"]


def test_it_keeps_the_escalation_bump_inside_the_level_band() -> None:
    most = status(level="medium", priority=1700, escalated_at=EARLIER, lost_to_followup_at=EARLIER)
    assert queue_fields(most, TODAY, NOW)["queue_rank"] < queue_fields(status(level="high", priority=2000), TODAY, NOW)["queue_rank"]
    assert escalation_bump() > 0


def test_it_starts_the_wait_when_a_person_enters_and_keeps_it() -> None:
    s = status(level="medium", priority=1000)
    first = queue_fields(s, TODAY, NOW)
    assert first["queue_since"] == NOW
    s.in_queue, s.queue_since = True, EARLIER
    assert queue_fields(s, TODAY, NOW)["queue_since"] == EARLIER
    s.level = "low"
    assert queue_fields(s, TODAY, NOW) == {"in_queue": False, "queue_rank": 0, "queue_since": None}


@pytest.mark.parametrize(
    ("last_update", "start", "until", "missed"),
    [
        (None, TODAY - timedelta(days=3), TODAY + timedelta(days=5), 3),  # never updated since day 1
        (TODAY - timedelta(days=1), TODAY - timedelta(days=3), TODAY + timedelta(days=5), 0),
        (TODAY, TODAY - timedelta(days=3), TODAY + timedelta(days=5), 0),  # updated today
        (TODAY - timedelta(days=3), TODAY - timedelta(days=5), TODAY + timedelta(days=5), 2),
        (None, TODAY, TODAY + timedelta(days=5), 0),  # opened today: nobody is blamed yet
        (None, TODAY - timedelta(days=10), TODAY - timedelta(days=4), 7),  # only days inside the period
        (TODAY - timedelta(days=20), TODAY - timedelta(days=2), TODAY + timedelta(days=1), 2),  # before the period
    ],
)
def test_it_counts_consecutive_missed_days_up_to_yesterday(
    last_update: date | None, start: date, until: date, missed: int
) -> None:
    assert missed_run(last_day_with_update=last_update, start=start, until=until, today=TODAY) == missed
