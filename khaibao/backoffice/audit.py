"""The data-protection officer's audit trail: search, keyset pages and an export for an inspection."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.audit import labels
from khaibao.backoffice.permissions import staff_passes
from khaibao.core.errors import ServiceError
from khaibao.core.forms import date_filter_field, date_range_check
from khaibao.core.http import client_ip
from khaibao.core.params import ID_MAX, positive_id
from khaibao.privacy import audit_trail as selectors
from khaibao.privacy.audit_trail import audit_trail_export

dpo_required = staff_passes(selectors.may_read_audit)


def _category_choices() -> list[tuple[str, Any]]:
    return [("", gettext_lazy("All categories")), *((code, label) for code, label in labels.CATEGORIES.items())]


def _action_choices() -> list[tuple[Any, Any]]:
    """Every labelled action, grouped by category, in words — nobody types a key."""
    groups: list[tuple[Any, Any]] = [("", _("All actions"))]
    for category, category_name in labels.CATEGORIES.items():
        options = [(code, labels.action_label(code)) for code in labels.category_actions(category)]
        groups.append((str(category_name), options))
    return groups


class AuditSearchForm(forms.Form):
    person = forms.IntegerField(label=gettext_lazy("Person id"), required=False, min_value=1, max_value=ID_MAX)
    actor = forms.CharField(label=gettext_lazy("Actor (username or account id)"), required=False, max_length=150)
    category = forms.ChoiceField(label=gettext_lazy("Action category"), required=False, choices=_category_choices)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False, choices=_action_choices)
    date_from = date_filter_field(gettext_lazy("From"))
    date_to = date_filter_field(gettext_lazy("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        date_range_check(self, data)
        return data

    def filters(self) -> selectors.AuditFilters:
        data = self.cleaned_data
        return selectors.AuditFilters(
            person_id=data.get("person"), actor=data.get("actor") or "", action=data.get("action") or "",
            category=data.get("category") or "",
            date_from=data.get("date_from"), date_to=data.get("date_to"),
        )


def _before(request: HttpRequest) -> int | None:
    return positive_id(request.GET.get("before"))


def _page_context(request: SignedInRequest, form: AuditSearchForm, query: dict[str, Any]) -> dict[str, Any]:
    """The search page for `form` (valid) and its query: the first rows, the "older" link, the export's filters."""
    filters = form.filters() if query else selectors.AuditFilters()
    rows = selectors.audit_events_search(user=request.user, filters=filters, before=_before(request))
    next_url = ""
    if len(rows) == selectors.PAGE:
        next_url = "?" + urlencode({**{k: v for k, v in query.items() if v}, "before": str(rows[-1].id)})
    return {
        "form": form,
        "rows": rows,
        "next_url": next_url,
        "export_query": query,
        "export_max_rows": selectors.audit_export_max_rows("csv"),
    }


@dpo_required
@require_GET
def audit_search(request: SignedInRequest) -> HttpResponse:
    """Matching events newest first, 50 a page; "older" links carry the filters and the last id."""
    form = AuditSearchForm(request.GET or None)
    if request.GET and not form.is_valid():
        context = {"form": form, "rows": [], "next_url": "", "export_query": {}}
        return render(request, "backoffice/audit/search.html", context, status=400)
    query = {k: v for k, v in request.GET.items() if k != "before"}
    return render(request, "backoffice/audit/search.html", _page_context(request, form, query))


_EXPORT_ONLY = ("format", "csrfmiddlewaretoken")


@dpo_required
@require_POST
def audit_export(request: SignedInRequest) -> HttpResponse:
    """The whole filtered trail (not only the page shown) as CSV or XLSX; audited. Too many
    events for one export: the search page again, its rows and the message to narrow it."""
    form = AuditSearchForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "rows": [], "next_url": "", "export_query": {}}
        return render(request, "backoffice/audit/search.html", context, status=400)
    try:
        export = audit_trail_export(
            actor=request.user, filters=form.filters(), fmt=request.POST.get("format", ""), ip=client_ip(request)
        )
    except ServiceError as exc:
        form.add_error(None, exc.message)
        query = {k: v for k, v in request.POST.items() if k not in _EXPORT_ONLY}
        return render(request, "backoffice/audit/search.html", _page_context(request, form, query), status=exc.status)
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]  # staff_passes is typed for HttpResponse views
