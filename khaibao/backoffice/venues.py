"""Officials' venue console (issue 20): the venues of their area with filters, one venue with
its daily counts and poster, verify or suspend it, and record that a case was there (which
warns everyone checked in at the same time). Check-ins themselves are never listed here: an
official sees who was at a venue only through a case's exposure lists (the case view)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import official_required
from khaibao.cases.case_view import case_person
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip
from khaibao.core.keyset import keyset_query
from khaibao.venues import runs, selectors, services
from khaibao.venues.models import VenueKind, VenueStatus
from khaibao.venues.poster import poster_svg

# A case's own check-in stands for a visit from a little before to a while after the scan
# (people check in on entry; a case stays a while and lingers at the door).
CASE_VISIT_BEFORE = timedelta(minutes=30)
CASE_VISIT_AFTER = timedelta(hours=2)


class FilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name, street or code"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("All")), *list(VenueStatus.choices)])
    kind = forms.ChoiceField(label=gettext_lazy("Kind of venue"), required=False,
                             choices=[("", gettext_lazy("All")), *list(VenueKind.choices)])


class CaseVisitForm(forms.Form):
    person_id = forms.IntegerField(label=gettext_lazy("Case's record number"), min_value=1)
    start = forms.DateTimeField(label=gettext_lazy("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=gettext_lazy("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


# Venues shown a page at a time; "Next page" carries the filters.
VENUES_PAGE = 200


@official_required
@require_GET
def venues_index(request: SignedInRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    params = {name: data[name] for name in form.fields if data.get(name)}
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.venues_for_official_page(
            request.user, status=data.get("status", ""), kind=data.get("kind", ""), query=data.get("q", ""),
            cursor=cursor, limit=VENUES_PAGE,
        )
    except ServiceError as exc:
        page, error = None, exc.message
    else:
        error = ""
    return render(request, "backoffice/venues/list.html", {
        "form": form, "venues": page.items if page else [], "total": page.total if page else None,
        "page_error": error,
        "first_url": keyset_query(params) if cursor else "",
        "next_url": keyset_query(params, page.next_cursor) if page and page.next_cursor else "",
    }, status=400 if error else 200)


def _detail(request: SignedInRequest, venue: Any, *, case_form: CaseVisitForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "backoffice/venues/detail.html", {
        "venue": venue, "counts": selectors.venue_daily_counts(venue), "statuses": VenueStatus.choices,
        "case_form": case_form or CaseVisitForm(), "svg": poster_svg(venue),
    }, status=status)


@official_required
@require_GET
def venue_detail(request: SignedInRequest, venue_id: int) -> HttpResponse:
    return _detail(request, selectors.venue_for_official(request.user, venue_id))


@official_required
@require_POST
def venue_status(request: SignedInRequest, venue_id: int) -> HttpResponse:
    venue = selectors.venue_for_official(request.user, venue_id)
    try:
        services.venue_status_set(actor=request.user, venue=venue, status=request.POST.get("status", ""), ip=client_ip(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The venue's status was changed."))
    return redirect("backoffice:venue", venue_id=venue.pk)


@official_required
@require_POST
def venue_case_visit(request: SignedInRequest, venue_id: int) -> HttpResponse:
    """Record that a case was at the venue: everyone checked in meanwhile is warned."""
    venue = selectors.venue_for_official(request.user, venue_id)
    form = CaseVisitForm(request.POST)
    if not form.is_valid():
        return _detail(request, venue, case_form=form, status=400)
    try:
        run = runs.case_visit_record(
            actor=request.user, venue=venue, person_id=form.cleaned_data["person_id"],
            start=form.cleaned_data["start"], end=form.cleaned_data["end"], ip=client_ip(request),
        )
    except ServiceError as exc:
        form_add_service_error(form, exc)
        return _detail(request, venue, case_form=form, status=exc.status)
    messages.success(request, _("Recorded. Everyone checked in at this venue during that time is being warned (%(venues)d venue).")
                     % {"venues": len(run.venue_ids)})
    return redirect("backoffice:venue", venue_id=venue.pk)


# --- A case's check-ins (from the case view) ---------------------------------------------------


@official_required
@require_GET
def case_checkins(request: SignedInRequest, person_id: int) -> HttpResponse:
    """The check-ins of a case of the official's area (last VENUE_CHECKIN_KEEP_DAYS days) and the venue exposures
    found for them — opening it is audited ("person.checkins_view")."""
    person = case_person(request.user, person_id, purpose="checkins_view", ip=client_ip(request))
    return render(request, "backoffice/venues/case_checkins.html", {
        "person": person, "rows": selectors.person_checkins(person.pk), "exposures": selectors.exposures_of(person.pk),
        "before": int(CASE_VISIT_BEFORE.total_seconds() // 60), "after": int(CASE_VISIT_AFTER.total_seconds() // 3600),
        "checkin_keep_days": settings.VENUE_CHECKIN_KEEP_DAYS,
    })


@official_required
@require_POST
def case_checkin_visit(request: SignedInRequest, person_id: int, checkin_id: int) -> HttpResponse:
    """The case's own check-in becomes a recorded visit: everyone at that venue from
    CASE_VISIT_BEFORE before to CASE_VISIT_AFTER after is warned."""
    ip = client_ip(request)
    person = case_person(request.user, person_id, purpose="checkins_view", ip=ip)
    checkin, venue = selectors.person_checkin_venue(person.pk, checkin_id)
    try:
        run = runs.case_visit_record(
            actor=request.user, venue=venue, person_id=person.pk, start=checkin.at - CASE_VISIT_BEFORE,
            end=checkin.at + CASE_VISIT_AFTER, ip=ip,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Recorded. Everyone checked in at this venue during that time is being warned (%(venues)d venue).")
                         % {"venues": len(run.venue_ids)})
    return redirect("backoffice:case_checkins", person_id=person.pk)
