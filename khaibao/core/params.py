"""The ranges a value from outside must fall in before it reaches a query: ids (a "before" cursor,
a campaign or account id read by hand from a query string, or a typed one of the API), place
codes and dates. The API's schemas (api/schemas.py) and the filter parsers ask here."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.core.errors import ServiceError

# The largest id a BigAutoField holds (PostgreSQL's bigint): a larger one cannot be a row and
# would overflow the query's parameter.
ID_MAX = 2**63 - 1
# The largest code of a ward or province (an IntegerField key): the same reason.
CODE_MAX = 2**31 - 1

# The first date anything here speaks of: the earliest date of birth (people/validators.py).
DATE_MIN = date(1900, 1, 1)
# How far ahead a date may be (an appointment's end, a zone's validity, an announcement's expiry).
# Outside 1900 … now + 10 years no date is meaningful, and year 1 or 9999 overflows as soon as it
# is moved to another time zone or a day is added to it (a 500 otherwise).
DATE_YEARS_AHEAD = 10


def id_in_range(value: int) -> bool:
    """Whether `value` can be a database id (1 ≤ n ≤ ID_MAX)."""
    return 0 < value <= ID_MAX


def code_in_range(value: int) -> bool:
    """Whether `value` can be a ward's or a province's code (1 ≤ n ≤ CODE_MAX): outside it, no
    place has it, and it is not looked up."""
    return 0 < value <= CODE_MAX


def date_max(today: date | None = None) -> date:
    """The last date accepted: DATE_YEARS_AHEAD years after today (Asia/Ho_Chi_Minh)."""
    today = today or timezone.localdate()
    year = today.year + DATE_YEARS_AHEAD
    return today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today.replace(year=year)


def date_in_range(value: date) -> bool:
    """Whether `value` (a date, or the calendar date of a datetime) is between DATE_MIN and
    `date_max()`, both included."""
    day = value.date() if isinstance(value, datetime) else value
    return DATE_MIN <= day <= date_max()


def date_range_message() -> str:
    """The message beside a date out of range, in the request's language."""
    return _("Give a date between %(first)s and %(last)s.") % {
        "first": DATE_MIN.isoformat(), "last": date_max().isoformat(),
    }


def dates_in_range(**dates: date | None) -> None:
    """ServiceError naming every one of `dates` (field name → value; None is not given) out of range."""
    fields = {name: date_range_message() for name, value in dates.items() if value is not None and not date_in_range(value)}
    if fields:
        raise ServiceError(_("Some fields are not valid."), fields=fields)


def positive_id(value: str | None) -> int | None:
    """`value` as a database id — ASCII digits only, 1 ≤ n ≤ ID_MAX — or None for anything else.

    `str.isdigit()` is not the test: it accepts "²" or "①", which `int()` then refuses (a 500),
    and Arabic-Indic or full-width digits, which `int()` reads as other numbers than those shown.
    """
    if not value or len(value) > len(str(ID_MAX)) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if id_in_range(number) else None
