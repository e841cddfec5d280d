"""'Day X of 14': the period runs from the exposure or onset (day 0) to 14 days after it, each day
shown once — the exposure day and the day after used to both say 'day 1'."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from khaibao.monitoring.models import PersonStatus
from khaibao.monitoring.selectors import monitoring_progress

EXPOSED = date(2026, 12, 1)


def _status(until: date) -> PersonStatus:
    return PersonStatus(person_id=1, monitoring_from=EXPOSED, monitoring_until=until)


@pytest.mark.parametrize(("days_after", "day"), [(0, 0), (1, 1), (2, 2), (13, 13), (14, 14)])
def test_each_day_of_the_period_has_its_own_number(days_after: int, day: int) -> None:
    progress = monitoring_progress(_status(EXPOSED + timedelta(days=14)), EXPOSED + timedelta(days=days_after), days_updated=0)
    assert progress.open
    assert (progress.day, progress.length) == (day, 14)


def test_the_day_after_the_period_is_not_a_day_of_it() -> None:
    progress = monitoring_progress(_status(EXPOSED + timedelta(days=14)), EXPOSED + timedelta(days=15), days_updated=0)
    assert not progress.open
    assert progress.day is None
