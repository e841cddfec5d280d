"""Numbers and durations as a Vietnamese (or English) reader writes them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import ngettext_lazy

register = template.Library()

# Django 5.2's own Vietnamese catalogue still has the old "%d minute" strings, not the
# "%(num)d minute" ones its timesince asks for, so waiting times came out in English. Ours
# (khaibao/locale) has them; LOCALE_PATHS come first, so Django's `timesince` is fixed too.
WAIT_STRINGS = {
    "year": ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    "month": ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    "week": ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    "day": ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    "hour": ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    "minute": ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
}


@register.filter
def waited(since: datetime | None) -> str:
    """How long since `since`, e.g. "2 giờ, 5 phút" / "2 hours, 5 minutes"."""
    if since is None:
        return ""
    return timesince(since, time_strings=WAIT_STRINGS)  # type: ignore[arg-type]  # lazy plurals, as Django's own


@register.filter
def grouped(value: Any) -> str:
    """An integer with the language's thousands separator: 20.000 in Vietnamese, 20,000 in English."""
    return number_format(value, force_grouping=True)


@register.filter
def last_day(end: datetime | None) -> date | None:
    """The last local day a period ending (exclusive) at `end` covers whole or in part: a
    volunteer appointment "until 06/01 inclusive" is stored as ending at local midnight on 07/01,
    and the reader expects 06/01 back. Show it with `|date:"d/m/Y"`, never with a time."""
    if end is None:
        return None
    return timezone.localdate(end - timedelta(microseconds=1))
