"""The data-protection officer's data-subject requests: what was asked, by whom, and by when it
must be answered (72 hours, Decree 13/2023/NĐ-CP)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import staff_passes
from khaibao.core.forms import date_filter_field, date_range_check
from khaibao.privacy import requests as selectors

dpo_required = staff_passes(selectors.may_read_requests)


class RequestFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False,
        choices=lambda: [("", gettext_lazy("All kinds")), *selectors.KINDS.items()],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False,
        choices=lambda: [("", gettext_lazy("All")), *selectors.STATUSES.items()],
    )
    date_from = date_filter_field(gettext_lazy("Received from"))
    date_to = date_filter_field(gettext_lazy("Received until"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        date_range_check(self, data)
        return data

    def filters(self) -> selectors.RequestFilters:
        data = self.cleaned_data
        return selectors.RequestFilters(
            kind=data.get("kind") or "", status=data.get("status") or "",
            date_from=data.get("date_from"), date_to=data.get("date_to"),
        )


@dpo_required
@require_GET
def requests_list(request: SignedInRequest) -> HttpResponse:
    """Requests newest first; the open ones and those past their due time stand out."""
    form = RequestFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    rows: list[selectors.SubjectRequest] = []
    if valid:
        rows = selectors.subject_requests(
            user=request.user, filters=form.filters() if request.GET else selectors.RequestFilters()
        )
    context = {
        "form": form, "rows": rows, "limit": selectors.LIMIT,
        "open_count": sum(1 for r in rows if r.status == "in_progress"),
        "overdue_count": sum(1 for r in rows if r.overdue and r.status == "in_progress"),
    }
    return render(request, "backoffice/privacy/requests.html", context, status=200 if valid else 400)
