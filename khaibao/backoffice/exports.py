"""Console pages for exports: ask for one, follow its progress, download it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.accounts.models import Role
from khaibao.accounts.tokens import request_account
from khaibao.backoffice.ward_choices import ward_filter_choices
from khaibao.cases.models import CaseStatus
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.params import positive_id
from khaibao.exports import downloads, selectors, services
from khaibao.exports.models import ORG_KINDS, ExportJob, Format, Kind, Status
from khaibao.exports.responses import export_outcome_response
from khaibao.monitoring.models import Level
from khaibao.monitoring.queue import QUEUE_REASONS

# Form field → filter name of each kind. The triage names are the queue's own query
# parameters, so the queue's "export this list" link can hand its filters over.
FILTER_NAMES: dict[str, dict[str, str]] = {
    Kind.TRIAGE: {
        "ward": "ward", "level": "level", "queue_reason": "reason", "followup": "followup",
        "min_missed": "min_missed", "date_from": "since_from", "date_to": "since_to",
    },
    Kind.FOLLOWUPS: {"ward": "ward", "case_status": "status", "date_from": "opened_from", "date_to": "opened_to"},
    Kind.STATS: {"date_from": "from", "date_to": "to"},
}
# The queue's query parameters that are named differently on this form.
_QUERY_ALIASES = {"reason": "queue_reason", "since_from": "date_from", "since_to": "date_to"}


def _choices(pairs: Any, anything: Any) -> list[tuple[str, Any]]:
    return [("", anything), *[(str(k), v) for k, v in pairs]]


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to export"), choices=[(k, label) for k, label in Kind.choices if k not in ORG_KINDS]
    )
    format = forms.ChoiceField(label=_("File format"), choices=Format.choices, initial=Format.CSV)
    reason = forms.CharField(
        label=_("Why do you need this export?"),
        help_text=_("Required, at least 10 characters. Kept with the export and shown in the audit trail."),
        max_length=services.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Picked by name among the wards of the official's jurisdiction (`ward_filter_choices`).
    ward = forms.TypedChoiceField(label=_("Ward"), required=False, coerce=int, empty_value=None)
    level = forms.ChoiceField(label=_("Level (triage)"), required=False, choices=_choices(Level.choices, _("Any level")))
    queue_reason = forms.ChoiceField(
        label=_("Why in the queue (triage)"), required=False, choices=_choices(QUEUE_REASONS.items(), _("Any reason"))
    )
    followup = forms.ChoiceField(
        label=_("Follow-up (triage)"),
        required=False,
        choices=[
            ("", _("Any")), ("none", _("No open case")), ("open", _("Open case")),
            ("unassigned", _("Not assigned")), ("assigned", _("Assigned")),
        ],
    )
    min_missed = forms.IntegerField(label=_("Missed days in a row at least (triage)"), required=False, min_value=0)
    case_status = forms.ChoiceField(
        label=_("Case status (follow-up list)"), required=False, choices=_choices(CaseStatus.choices, _("Any"))
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ward"].choices = ward_filter_choices(user)  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The filters of the chosen kind; fields that do not apply to it are left out."""
        chosen: dict[str, Any] = {}
        for field, name in FILTER_NAMES.get(self.cleaned_data["kind"], {}).items():
            value = self.cleaned_data.get(field)
            if isinstance(value, date):
                chosen[name] = value.isoformat()
            elif value not in (None, ""):
                chosen[name] = value
        return chosen

    def add_filter_error(self, name: str, message: str) -> None:
        filter_name = name.removeprefix("filters.")
        fields = {v: k for k, v in FILTER_NAMES.get(self.cleaned_data.get("kind", ""), {}).items()}
        field = fields.get(filter_name, filter_name if filter_name in ("kind", "format", "reason") else None)
        self.add_error(field, message)


def _official(request: HttpRequest) -> Any:
    if getattr(request.user, "role", None) != Role.OFFICIAL:
        raise PermissionDenied
    return request.user


def _job_row(job: ExportJob) -> dict[str, Any]:
    ready = job.status == Status.DONE and bool(job.file_name) and not job.is_expired()
    return {"job": job, "download_url": downloads.export_download_url(job) if ready else ""}


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def exports(request: SignedInRequest) -> HttpResponseBase:
    official = _official(request)
    if request.method == "POST":
        form = ExportForm(request.POST, user=official)
    else:
        # Prefilled from a link such as the queue's "export this list" (its filters in the query).
        initial = {_QUERY_ALIASES.get(k, k): v for k, v in request.GET.items()}
        form = ExportForm(
            initial={k: v for k, v in initial.items() if k in ExportForm.base_fields and k != "reason"}, user=official
        )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = services.export_request(
                    actor=official,
                    kind=form.cleaned_data["kind"],
                    fmt=form.cleaned_data["format"],
                    filters=form.filters(),
                    reason=form.cleaned_data["reason"],
                    ip=client_ip(request),
                )
            except ServiceError as exc:
                for name, message in exc.fields.items():
                    form.add_filter_error(name, message)
                if not exc.fields:
                    form.add_error(None, exc.message)
                status = exc.status
            else:
                if outcome.content is not None:
                    return export_outcome_response(outcome)  # the API's answer too
                return redirect("backoffice:exports")
        else:
            status = 400
    before = request.GET.get("before")
    jobs = selectors.export_jobs_for(official, before=positive_id(before))
    context = {
        "form": form,
        "rows": [_job_row(job) for job in jobs],
        "any_active": any(job.is_active for job in jobs),
        "next_before": jobs[-1].pk if len(jobs) == selectors.PAGE_SIZE else None,
    }
    return render(request, "backoffice/exports/index.html", context, status=status)


@login_required(login_url="backoffice:sign_in")
@require_GET
def export_status(request: SignedInRequest, job_id: int) -> HttpResponse:
    """One job's row: the htmx progress poll swaps it every 2 s while the job runs."""
    # The owner's own job: an official's, or an organisation admin's chasing list (issue 21).
    job = selectors.access_export_for_owner(request.user, job_id)
    return render(request, "backoffice/exports/_job.html", _job_row(job))


@require_GET
def export_download(request: HttpRequest, job_id: int) -> HttpResponseBase:
    # A console session, or an API token (the API hands out the same signed link).
    user: Any = request.user if request.user.is_authenticated else request_account(request)
    if user is None:
        return redirect("backoffice:sign_in")
    try:
        download = downloads.export_download(
            actor=user, job_id=job_id, sig=request.GET.get("sig", ""), ip=client_ip(request)
        )
    except downloads.ExportExpired as exc:
        return render(request, "backoffice/exports/expired.html", {"message": exc.message}, status=410)
    except ServiceError as exc:
        if exc.status == 409:
            return render(request, "backoffice/exports/expired.html", {"message": exc.message}, status=409)
        raise Http404 from exc
    response = FileResponse(
        open(download.path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=download.filename,
        content_type=download.content_type,
    )
    response["Cache-Control"] = "no-store"
    return response
