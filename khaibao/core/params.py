"""Numbers a page or an endpoint reads by hand from a query string or a form field (a "before"
cursor, a campaign or account id), outside a form's IntegerField or the API's typed schemas."""

from __future__ import annotations

# The largest id a BigAutoField holds (PostgreSQL's bigint): a larger one cannot be a row and
# would overflow the query's parameter.
ID_MAX = 2**63 - 1


def positive_id(value: str | None) -> int | None:
    """`value` as a database id — ASCII digits only, 1 ≤ n ≤ ID_MAX — or None for anything else.

    `str.isdigit()` is not the test: it accepts "²" or "①", which `int()` then refuses (a 500),
    and Arabic-Indic or full-width digits, which `int()` reads as other numbers than those shown.
    """
    if not value or len(value) > len(str(ID_MAX)) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= ID_MAX else None
