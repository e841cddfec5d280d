"""Spreadsheet formula neutralisation (CSV/formula injection), pure functions.

A cell whose text starts with = + - @ (or a tab or carriage return, which some spreadsheet
programs strip before reading the formula) is run as a formula when the file is opened. A
leading apostrophe makes Excel and LibreOffice show it as text. Real numbers stay numbers, so
"-3" typed as text is neutralised while the integer -3 is not.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


def neutralise_text(text: str) -> str:
    """`text` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell_value(value: Any) -> Cell:
    """A value ready for a spreadsheet cell: numbers as numbers, everything else as safe text.

    Dates are written as dd/mm/yyyy (and times in Vietnam's zone) as the console shows them.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    return neutralise_text(str(value))


def csv_cell(value: Any) -> str:
    cleaned = cell_value(value)
    return "" if cleaned is None else str(cleaned)
