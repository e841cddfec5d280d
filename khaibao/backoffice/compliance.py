"""Organisation admins' compliance dashboard (issue 7): rollups and snapshots only.

The unit pages read the rollup/snapshot tables (a constant number of queries whatever the
number of members); the member list shows the three facts and nothing else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pygal
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.params import ID_MAX, id_in_range, positive_id
from khaibao.exports import downloads as export_downloads
from khaibao.exports import selectors as export_selectors
from khaibao.exports.models import Format, Kind, Status
from khaibao.orgs import chase, compliance, compliance_numbers, compliance_report, reminders
from khaibao.orgs.access import access_unit_for_user
from khaibao.orgs.models import Campaign, OrgUnit
from khaibao.orgs.reminder_info import reminder_info

# The statistics dashboard's chart style and SVG clean-up (no script, role=img), reused as is.
from khaibao.stats.charts import _COMMON, _svg


class ReportForm(forms.Form):
    campaign = forms.TypedChoiceField(label=gettext_lazy("Campaign"), coerce=int, required=False)
    date = forms.DateField(
        label=gettext_lazy("Day"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, campaigns: list[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [(c.pk, c.name) for c in campaigns]  # type: ignore[attr-defined]


class MembersForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[
            ("", gettext_lazy("All members")),
            ("not_declared", gettext_lazy("Not declared since the start")),
            ("not_updated_today", gettext_lazy("Not updated today")),
            ("awaiting_confirmation", gettext_lazy("Awaiting confirmation")),
            ("declined", gettext_lazy("Declined (“this is not me”)")),
            ("reminded_today", gettext_lazy("Reminded today")),
        ],
    )
    campaign = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX)
    after = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0, max_value=ID_MAX)


class ChaseForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Who"),
        choices=list(chase.CHASE_STATUSES.items()),
    )
    format = forms.ChoiceField(label=gettext_lazy("File format"), choices=Format.choices, initial=Format.CSV)
    campaign = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=ID_MAX)


def _unit(request: HttpRequest, unit_id: int | None) -> OrgUnit:
    user: Any = request.user
    try:
        compliance.require_org_admin(user)
    except ServiceError as exc:
        raise PermissionDenied from exc
    if unit_id is None:
        unit_id = user.org_unit_id
    if unit_id is None or not id_in_range(unit_id):
        raise Http404
    return access_unit_for_user(user, unit_id)


def _breadcrumbs(user: Any, unit: OrgUnit) -> list[dict[str, Any]]:
    # Ancestors down to the admin's own root only: above it is not theirs to open.
    root = user.org_unit.path
    parts = unit.path.split("/")
    paths = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    paths = [p for p in paths if p == root or p.startswith(root + "/")]
    units = {u.path: u for u in OrgUnit.objects.filter(path__in=paths)}
    return [{"id": units[p].pk, "name": units[p].name} for p in paths if p in units]


def trend_chart(points: list[compliance_numbers.TrendPoint]) -> SafeString:
    """Declared % and updated-today % per day, from the end-of-day snapshots."""
    title = _("Compliance per day")
    every = max(1, len(points) // 14)
    chart = pygal.Line(
        **_COMMON, x_labels_major_every=every, show_minor_x_labels=every == 1, dots_size=3, range=(0, 100)
    )
    chart.x_labels = [p.day.strftime("%d/%m") for p in points]
    chart.y_labels = [0, 25, 50, 75, 100]
    # Shares of confirmed members, as on the page and in the API (compliance_numbers.pct).
    chart.add(_("Declared since the start (%)"), [compliance_numbers.pct(p.declared, p.confirmed) for p in points])
    chart.add(_("Updated today (%)"), [compliance_numbers.pct(p.updated_today, p.confirmed) for p in points])
    return _svg(chart, title)


@login_required(login_url="backoffice:sign_in")
@require_GET
def dashboard(request: SignedInRequest, unit_id: int | None = None) -> HttpResponse:
    unit = _unit(request, unit_id)
    campaigns = compliance.campaigns_for_unit(unit)
    form = ReportForm(request.GET or None, campaigns=campaigns)
    campaign_id: int | None = None
    day: date | None = None
    if form.is_bound and form.is_valid():
        campaign_id = form.cleaned_data["campaign"] or None
        day = form.cleaned_data["date"]
    today = timezone.localdate()
    if day is not None and day > today:
        form.add_error("date", _("Choose today or an earlier day."))
        day = None
    campaign = compliance.pick_campaign(campaigns, campaign_id)
    context: dict[str, Any] = {
        "unit": unit,
        "crumbs": _breadcrumbs(request.user, unit),
        "form": form,
        "campaign": campaign,
        "campaigns": campaigns,
    }
    if campaign is not None:
        report = compliance_numbers.unit_report(unit, campaign, day or today)
        points = compliance_numbers.unit_trend(unit, campaign)
        context.update({
            "report": report,
            "points": points,
            "trend_svg": trend_chart(points) if points else "",
            "reminders": reminder_info(unit, campaign, report, points),
        })
    return render(request, "backoffice/compliance/dashboard.html", context, status=400 if form.errors else 200)


@login_required(login_url="backoffice:sign_in")
@require_GET
def members(request: SignedInRequest, unit_id: int) -> HttpResponse:
    unit = _unit(request, unit_id)
    form = MembersForm(request.GET or None)
    status, after, campaign_id = None, 0, None
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"] or None
        after = form.cleaned_data["after"] or 0
        campaign_id = form.cleaned_data["campaign"]
    campaign = compliance.pick_campaign(compliance.campaigns_for_unit(unit), campaign_id)
    page = (
        compliance.members_page(unit, campaign, status=status, after=after, viewer=request.user, ip=client_ip(request))
        if campaign
        else None
    )
    return render(
        request,
        "backoffice/compliance/members.html",
        {
            "unit": unit, "form": form, "campaign": campaign, "page": page, "status": status or "",
            "chase_form": ChaseForm(initial={"campaign": campaign.pk if campaign else None}),
            "chase_jobs": _chase_jobs(request.user),
        },
        status=400 if form.errors else 200,
    )


def _chase_jobs(user: Any) -> list[dict[str, Any]]:
    jobs = [j for j in export_selectors.export_jobs_for(user, limit=5) if j.kind == Kind.ORG_MEMBERS]
    return [
        {
            "job": j,
            "download_url": export_downloads.export_download_url(j)
            if j.status == Status.DONE and j.file_name and not j.is_expired() else "",
        }
        for j in jobs
    ]


@login_required(login_url="backoffice:sign_in")
@require_POST
def chase_export(request: SignedInRequest, unit_id: int) -> HttpResponseBase:
    """The chasing list of the unit's subtree: the file now when small, else a background job
    followed on the members page."""
    unit = _unit(request, unit_id)
    form = ChaseForm(request.POST)
    campaigns = compliance.campaigns_for_unit(unit)
    campaign = compliance.pick_campaign(campaigns, form.cleaned_data.get("campaign") if form.is_valid() else None)
    if campaign is None or not form.is_valid():
        messages.error(request, _("Choose who to list and a file format."))
        return redirect(reverse("backoffice:compliance_members", args=[unit.pk]))
    try:
        outcome = chase.chase_export_request(
            actor=request.user, unit=unit, campaign=campaign, status=form.cleaned_data["status"],
            fmt=form.cleaned_data["format"], ip=client_ip(request),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if outcome.content is not None:
            response = StreamingHttpResponse(outcome.content, content_type=outcome.content_type)
            response["Content-Disposition"] = f'attachment; filename="{outcome.filename}"'
            response["Cache-Control"] = "no-store"
            return response
        messages.success(request, _("The list is being prepared: follow its progress below, then download it."))
    return redirect(reverse("backoffice:compliance_members", args=[unit.pk]) + f"?campaign={campaign.pk}")


@login_required(login_url="backoffice:sign_in")
@require_GET
def export(request: SignedInRequest, unit_id: int) -> HttpResponse | StreamingHttpResponse:
    unit = _unit(request, unit_id)
    form = ReportForm(request.GET or None, campaigns=compliance.campaigns_for_unit(unit))
    if not form.is_valid():
        raise Http404
    campaign = compliance.pick_campaign(compliance.campaigns_for_unit(unit), form.cleaned_data["campaign"] or None)
    if campaign is None:
        raise Http404
    day = form.cleaned_data["date"] or timezone.localdate()
    try:
        result = compliance_report.compliance_report_export(
            actor=request.user, unit=unit, campaign=campaign, day=day,
            fmt=request.GET.get("format", "csv"), ip=client_ip(request),
        )
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(result.chunks, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required(login_url="backoffice:sign_in")
@require_POST
def remind_now(request: SignedInRequest, unit_id: int) -> HttpResponse:
    """"Remind now" for the unit's subtree (once per unit per day); back to the dashboard."""
    unit = _unit(request, unit_id)
    campaigns = compliance.campaigns_for_unit(unit)
    campaign = compliance.pick_campaign(campaigns, positive_id(request.POST.get("campaign")))
    if campaign is None:
        raise Http404
    try:
        reminders.unit_remind_now(actor=request.user, unit=unit, campaign=campaign, ip=client_ip(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reminders are on their way to the members who have not done what the campaign asks."))
    return redirect(reverse("backoffice:compliance_unit", args=[unit.pk]) + f"?campaign={campaign.pk}")
