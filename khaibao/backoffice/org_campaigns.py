"""Organisation admins' console: a unit's campaigns — create, edit, archive (with
confirmation). The same services as the API (khaibao.orgs.campaigns)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.orgs import org_admin
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post
from khaibao.core.submissions import submission_key_field, submission_once
from khaibao.orgs import access, campaigns
from khaibao.orgs.models import Campaign, ReminderPolicy


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    starts_on = forms.DateField(
        label=gettext_lazy("Start"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    target_declared = forms.BooleanField(label=gettext_lazy("Everyone declared at least once since the start"), required=False, initial=True)
    target_updated_daily = forms.BooleanField(label=gettext_lazy("Everyone sends an update every day"), required=False, initial=True)
    reminder_policy = forms.ChoiceField(label=gettext_lazy("Reminders"), choices=ReminderPolicy.choices, initial=ReminderPolicy.IN_APP)
    submission_key = submission_key_field()


def _campaign_values(form: CampaignForm) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k != "submission_key"}


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
@submission_once
def campaign_create(request: SignedInRequest, unit_id: int) -> HttpResponse:
    user = org_admin(request)
    unit = access.access_unit_for_user(user, unit_id)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_create(actor=user, unit=unit, ip=client_ip(request), **_campaign_values(form))
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Campaign created."))
            return redirect("backoffice:org_unit", unit_id=unit.pk)
    context = {"unit": unit, "form": form, "campaign": None}
    return render(request, "backoffice/orgs/campaign_form.html", context, status=400 if form.errors else 200)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
@submission_once
def campaign_edit(request: SignedInRequest, campaign_id: int) -> HttpResponse:
    user = org_admin(request)
    campaign: Campaign = access.access_campaign_for_user(user, campaign_id)
    initial = {
        "name": campaign.name, "starts_on": campaign.starts_on, "deadline": campaign.deadline,
        "target_declared": campaign.target_declared, "target_updated_daily": campaign.target_updated_daily,
        "reminder_policy": campaign.reminder_policy,
    }
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_update(actor=user, campaign=campaign, ip=client_ip(request), **_campaign_values(form))
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("backoffice:org_unit", unit_id=campaign.unit_id)
    context = {"unit": campaign.unit, "form": form, "campaign": campaign}
    return render(request, "backoffice/orgs/campaign_form.html", context, status=400 if form.errors else 200)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def campaign_archive(request: SignedInRequest, campaign_id: int) -> HttpResponse:
    """GET asks for confirmation; the confirmed POST archives the campaign."""
    user = org_admin(request)
    campaign = access.access_campaign_for_user(user, campaign_id)
    if confirmed_post(request):
        campaigns.campaign_archive(actor=user, campaign=campaign, ip=client_ip(request))
        messages.success(request, _("Campaign archived."))
        return redirect("backoffice:org_unit", unit_id=campaign.unit_id)
    return render(request, "confirm.html", {
        "console": True,
        "question": _("Archive the campaign %(name)s?") % {"name": campaign.name},
        "consequences": [_(
            "It stops now: no more reminders are sent for it, it leaves this unit's page and the compliance "
            "dashboard, and it can no longer be changed. This cannot be undone."
        )],
        "kept": _("The figures already counted stay on record."),
        "button": _("Yes, archive"),
        "cancel_url": reverse("backoffice:org_unit", args=[campaign.unit_id]),
        "done": _("This campaign is archived.") if campaign.archived_at else "",
    })
