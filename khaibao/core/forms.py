"""Showing a service's refusal on a page form — the same rule on every page."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from khaibao.core.errors import ServiceError


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
