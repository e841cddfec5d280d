"""Officials' pages for citizen reports: the list with filters, age against the target and a
map of report points; a report with its photos, status change, notes, reply and "turn into a
case". The same services and selectors as the API; every opening of a report is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import official_required
from khaibao.backoffice.ward_choices import ward_filter_choices
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.keyset import keyset_query
from khaibao.core.params import ID_MAX
from khaibao.people.models import Sex
from khaibao.reports import handling, selectors
from khaibao.reports.models import PERSON_CATEGORIES, Category, Report, ReportStatus


class FilterForm(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), required=False, choices=[("", gettext_lazy("All")), *Category.choices]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False,
        choices=[("open", gettext_lazy("Open")), ("", gettext_lazy("All")), *ReportStatus.choices],
    )
    # Picked by name among the wards of the official's jurisdiction (`ward_filter_choices`); the
    # value is still the ward code, so links with `ward=<code>` keep working.
    ward = forms.TypedChoiceField(label=gettext_lazy("Ward"), required=False, coerce=int, empty_value=None)
    age = forms.ChoiceField(
        label=gettext_lazy("Age"), required=False,
        choices=[
            ("", gettext_lazy("Any")), ("overdue", gettext_lazy("Over the target")),
            ("today", gettext_lazy("Last 24 hours")), ("week", gettext_lazy("Last 7 days")),
            ("older", gettext_lazy("Older than 7 days")),
        ],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ward"].choices = ward_filter_choices(user)  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=ReportStatus.choices)
    duplicate_of = forms.IntegerField(
        label=gettext_lazy("Duplicate of report no."), required=False, min_value=1, max_value=ID_MAX
    )


class TextForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Text"), max_length=handling.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class CaseForm(forms.Form):
    person_id = forms.IntegerField(
        label=gettext_lazy("Existing person no. (optional)"), required=False, min_value=1, max_value=ID_MAX
    )
    full_name = forms.CharField(label=gettext_lazy("Full name"), required=False, max_length=100)
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=20)
    id_number = forms.CharField(label=gettext_lazy("ID number"), required=False, max_length=20)
    birth_year = forms.IntegerField(label=gettext_lazy("Year of birth"), required=False, min_value=1900, max_value=2100)
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), required=False, choices=[("", "—"), *Sex.choices])


# Reports shown a page at a time, oldest first; "Newer reports" leads to the rest.
REPORTS_PAGE = 200


@official_required
@require_GET
def reports_index(request: SignedInRequest) -> HttpResponse:
    form = FilterForm(request.GET or {"status": "open"}, user=request.user)
    filters = selectors.QueueFilters()
    params: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.QueueFilters(
            category=data["category"], status=data["status"], ward=data["ward"], age=data["age"]
        )
        # Every field, empty ones too: a link without `status` would fall back to "open".
        params = {name: data[name] for name in form.fields}
    now = timezone.now()
    queryset = selectors.report_queue(request.user, filters, now=now)
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.report_queue_keyset(
            request.user, filters, cursor=cursor, limit=REPORTS_PAGE, now=now, ip=client_ip(request)
        )
    except ServiceError as exc:
        page, error = None, exc.message
    else:
        error = ""
    rows = [
        {"report": r, "age_hours": int(selectors.age_hours(r, now=now)), "overdue": selectors.is_overdue(r, now=now)}
        for r in (page.items if page else [])
    ]
    return render(request, "backoffice/reports/list.html", {
        "form": form, "rows": rows, "target_hours": selectors.target_hours(),
        "points": selectors.report_points(queryset), "page_error": error,
        "total": page.total if page else None,
        "first_url": keyset_query(params) if cursor else "",
        "next_url": keyset_query(params, page.next_cursor) if page and page.next_cursor else "",
    }, status=400 if error else 200)


def _detail_context(request: HttpRequest, report: Report, *, failed: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    """The report page's context; `failed` holds the bound form a POST was refused on (by its
    context name), shown as it was sent with its messages, the other forms fresh."""
    detail = selectors.report_detail(report)
    context = {
        "report": report,
        "photos": detail.photos,
        "notes": detail.notes,
        "replies": detail.replies,
        "changes": detail.changes,
        # Under a minute "just now"; timesince's words (the template's `waited`) would say "0 minutes".
        "received_just_now": detail.age_hours < 1 / 60,
        "overdue": detail.overdue,
        "target_hours": selectors.target_hours(),
        "status_form": StatusForm(initial={"status": report.status}),
        "note_form": TextForm(prefix="note"),
        "reply_form": TextForm(prefix="reply"),
        "case_form": CaseForm() if report.category in PERSON_CATEGORIES and report.person_id is None else None,
    }
    for name, form in (failed or {}).items():
        if context.get(name) is not None:
            context[name] = form
    return context


@official_required
@require_GET
def report_detail(request: SignedInRequest, report_id: int) -> HttpResponse:
    report = selectors.report_for_official(request.user, report_id, ip=client_ip(request))
    response = render(request, "backoffice/reports/detail.html", _detail_context(request, report))
    response["Cache-Control"] = "no-store"
    return response


def _fail(request: HttpRequest, report: Any, exc: ServiceError, *, form: forms.Form, name: str) -> HttpResponse:
    """The report page again, with `form` (context name `name`) as it was sent: its choices and
    text kept, each of the refusal's field messages beside its field; messages for a field the
    form does not have (or a form the page no longer shows) stay at the top."""
    context = _detail_context(request, report, failed={name: form})
    shown = context[name] is form
    others: list[str] = []
    for field, message in exc.fields.items():
        if shown and field in form.fields:
            # The service's words replace the form's own for that field (never both).
            form.errors.pop(field, None)
            form.add_error(field, message)
        else:
            others.append(message)
    context["error"] = exc.message
    context["error_fields"] = others
    response = render(request, "backoffice/reports/detail.html", context, status=exc.status if exc.status < 500 else 400)
    response["Cache-Control"] = "no-store"
    return response


@official_required
@require_POST
def report_status(request: SignedInRequest, report_id: int) -> HttpResponse:
    ip = client_ip(request)
    report = selectors.report_for_official(request.user, report_id, purpose="", ip=ip)
    form = StatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("Some fields are not valid."), fields={k: str(v[0]) for k, v in form.errors.items()})
        duplicate_of = None
        if form.cleaned_data["duplicate_of"]:
            try:
                duplicate_of = selectors.report_for_official(
                    request.user, form.cleaned_data["duplicate_of"], purpose="", ip=ip
                )
            except Http404:
                raise ServiceError(
                    _("Some fields are not valid."),
                    fields={"duplicate_of": _("No report with this number in your area.")},
                ) from None
        handling.report_status_change(
            actor=request.user, report=report, status=form.cleaned_data["status"], duplicate_of=duplicate_of, ip=ip
        )
    except ServiceError as exc:
        return _fail(request, report, exc, form=form, name="status_form")
    messages.success(request, _("Status changed."))
    return redirect("backoffice:report", report_id=report.pk)


def _text_action(request: HttpRequest, report_id: int, *, prefix: str, service: Callable[..., Any], done: str) -> HttpResponse:
    ip = client_ip(request)
    report = selectors.report_for_official(request.user, report_id, purpose="", ip=ip)
    form = TextForm(request.POST, prefix=prefix)
    try:
        text = form.data.get(f"{prefix}-text", "")
        service(actor=request.user, report=report, text=text, ip=ip)
    except ServiceError as exc:
        return _fail(request, report, exc, form=form, name=f"{prefix}_form")
    messages.success(request, done)
    return redirect("backoffice:report", report_id=report.pk)


@official_required
@require_POST
def report_note(request: SignedInRequest, report_id: int) -> HttpResponse:
    return _text_action(request, report_id, prefix="note", service=handling.report_note_add, done=_("Note added."))


@official_required
@require_POST
def report_reply(request: SignedInRequest, report_id: int) -> HttpResponse:
    return _text_action(request, report_id, prefix="reply", service=handling.report_reply_add, done=_("Reply sent."))


@official_required
@require_POST
def report_to_case(request: SignedInRequest, report_id: int) -> HttpResponse:
    ip = client_ip(request)
    report = selectors.report_for_official(request.user, report_id, purpose="", ip=ip)
    form = CaseForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("Some fields are not valid."), fields={k: str(v[0]) for k, v in form.errors.items()})
        data = form.cleaned_data
        person = handling.report_to_case(
            actor=request.user, report=report, ip=ip,
            data=handling.CaseInput(
                person_id=data["person_id"], full_name=data["full_name"], phone=data["phone"],
                id_number=data["id_number"], birth_year=data["birth_year"], sex=data["sex"],
            ),
        )
    except ServiceError as exc:
        return _fail(request, report, exc, form=form, name="case_form")
    messages.success(request, _("The person is now in the triage queue with a follow-up case."))
    return redirect("backoffice:case", person_id=person.pk)


@official_required
@require_GET
def report_photo(request: SignedInRequest, report_id: int, photo_id: int) -> HttpResponse:
    report = selectors.report_for_official(request.user, report_id, purpose="photo_view", ip=client_ip(request))
    photo, path = selectors.report_photo_path(report, photo_id)
    response = FileResponse(path.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]
