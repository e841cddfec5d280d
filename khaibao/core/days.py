"""The local day (TIME_ZONE, Asia/Ho_Chi_Minh) as instants: where a day starts and ends.

Every filter "from this day" / "until that day", every "today's" count, cap and deadline turns
a date into instants here, so none can take UTC's midnight for Vietnam's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_start(day: date) -> datetime:
    """Local midnight at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def day_end(day: date) -> datetime:
    """Local midnight at the end of `day` (the start of the next): `[day_start, day_end)`."""
    return day_start(day + timedelta(days=1))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The [start, end) instants of `day`."""
    return day_start(day), day_end(day)
