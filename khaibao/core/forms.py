"""Page forms' shared pieces: a service's refusal shown on the form, and the date filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from khaibao.core.errors import ServiceError
from khaibao.core.params import date_in_range, date_range_message


def form_add_service_error(
    form: forms.Form, exc: ServiceError, *, rename: Mapping[str, str | None] | None = None
) -> None:
    """Put each field message of `exc` next to its field, and the rest at the top of the form.

    `rename` maps a service's field name to the form's where they differ (e.g. "ward_code" →
    "ward", or None for "at the top"); a message for a field the form does not have goes to the
    top, so nothing is lost.
    """
    for name, message in exc.fields.items():
        target = (rename or {}).get(name, name)
        form.add_error(target if target is not None and target in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


# Typed (day/month/year) or from the browser's date picker (ISO).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def date_filter_field(label: Any) -> forms.DateField:
    """An optional date of a filter form, with the browser's date picker."""
    return forms.DateField(
        label=label, required=False, input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_date_in_range],
    )


def _date_in_range(value: Any) -> None:
    # The one date range of the service (core.params), as the API's dates: a year 1 or 9999 in a
    # filter would otherwise overflow when it becomes a local time.
    if value is not None and not date_in_range(value):
        raise ValidationError(date_range_message())


def date_range_check(form: forms.Form, data: dict[str, Any], start: str = "date_from", end: str = "date_to") -> None:
    """A filter's end date may not come before its start (the message goes beside the end)."""
    if data.get(start) and data.get(end) and data[start] > data[end]:
        form.add_error(end, _("The end date is before the start date."))
