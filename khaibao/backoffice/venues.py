"""Officials' venue console (issue 20): the venues of their area with filters, one venue with
its daily counts and poster, verify or suspend it, and record that a case was there (which
warns everyone checked in at the same time). Check-ins themselves are never listed here: an
official sees who was at a venue only through a case's exposure lists (the case view)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import official_required
from khaibao.cases.case_view import case_person
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post
from khaibao.core.keyset import keyset_pager
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
    pager = keyset_pager(request, lambda cursor: selectors.venues_for_official_page(
        request.user, status=data.get("status", ""), kind=data.get("kind", ""), query=data.get("q", ""),
        cursor=cursor, limit=VENUES_PAGE,
    ), params=params)
    return render(request, "backoffice/venues/list.html", {
        "form": form, "venues": pager.page.items if pager.page else [], **pager.context,
    }, status=pager.status)


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


def _visit_confirmation(
    request: SignedInRequest, *, person: Any, venue: Any, start: datetime, end: datetime,
    cancel_url: str, carried: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    """The confirmation page of "a case was here": whom it warns, or that it was recorded already."""
    preview = runs.case_visit_preview(person_id=person.pk, venue=venue, start=start, end=end)
    when = {"person": person.full_name, "venue": venue.name, "start": _local(preview.start), "end": _local(preview.end)}
    context: dict[str, Any] = {
        "console": True,
        "question": _("Record that %(person)s, a case, was at %(venue)s from %(start)s to %(end)s, and warn?") % when,
        "cancel_url": cancel_url,
    }
    if preview.existing is not None:
        context["done"] = _("This visit was already recorded on %(when)s and the people checked in then were warned. "
                            "Nothing more will be sent.") % {"when": _local(preview.existing.created_at)}
        return render(request, "confirm.html", context)
    if preview.present:
        reach = ngettext(
            "%(count)d person checked in at this venue during that time will be warned and re-assessed now.",
            "%(count)d people checked in at this venue during that time will be warned and re-assessed now.",
            preview.present,
        ) % {"count": preview.present}
    else:
        reach = _("Nobody else checked in at this venue during that time so far: nobody will be warned now.")
    context.update({
        "consequences": [
            reach,
            _("They are warned in the app and, as each of them chose, by SMS that they were at a place at the "
              "same time as a case. The warning never names the case."),
            _("A warning cannot be taken back. Recording the same visit again sends nothing more."),
        ],
        "button": _("Yes, record and warn"),
        "carried": carried or [],
    })
    return render(request, "confirm.html", context)


def _local(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "H:i d/m/Y")


def _visit_recorded(request: SignedInRequest, run: Any, created: bool) -> None:
    if created:
        messages.success(request, _("Recorded. Everyone checked in at this venue during that time is being warned (%(venues)d venue).")
                         % {"venues": len(run.venue_ids)})
    else:
        messages.info(request, _("This visit was already recorded: nothing more was sent."))


@official_required
@require_POST
def venue_case_visit(request: SignedInRequest, venue_id: int) -> HttpResponse:
    """Record that a case was at the venue: everyone checked in meanwhile is warned. The form's
    POST shows the confirmation (whom it warns); its POST (`confirmed=1`, the form's fields
    carried along) records the visit — once: the same case, venue and period again sends nothing."""
    venue = selectors.venue_for_official(request.user, venue_id)
    form = CaseVisitForm(request.POST)
    if not form.is_valid():
        return _detail(request, venue, case_form=form, status=400)
    ip = client_ip(request)
    person_id, start, end = form.cleaned_data["person_id"], form.cleaned_data["start"], form.cleaned_data["end"]
    if not confirmed_post(request):
        errors = runs.case_visit_period_errors(start=start, end=end, now=timezone.now())
        for name, message in errors.items():
            form.add_error(name, message)
        if errors:
            return _detail(request, venue, case_form=form, status=400)
        person = case_person(request.user, person_id, purpose="case_view", ip=ip)
        return _visit_confirmation(
            request, person=person, venue=venue, start=start, end=end,
            cancel_url=reverse("backoffice:venue", args=[venue.pk]),
            carried=[(name, str(form.data.get(name, ""))) for name in form.fields],
        )
    try:
        run, created = runs.case_visit_put(actor=request.user, venue=venue, person_id=person_id, start=start, end=end, ip=ip)
    except ServiceError as exc:
        form_add_service_error(form, exc)
        return _detail(request, venue, case_form=form, status=exc.status)
    _visit_recorded(request, run, created)
    return redirect("backoffice:venue", venue_id=venue.pk)


# --- A case's check-ins (from the case view) ---------------------------------------------------


# A case's check-ins a page at a time, newest first: a person checking in all day for
# VENUE_CHECKIN_KEEP_DAYS days would otherwise make one page of thousands of rows.
CASE_CHECKINS_PAGE = 100


@official_required
@require_GET
def case_checkins(request: SignedInRequest, person_id: int) -> HttpResponse:
    """The check-ins of a case of the official's area (last VENUE_CHECKIN_KEEP_DAYS days), a page
    at a time, and the venue exposures found for them — opening each page is audited
    ("person.checkins_view")."""
    person = case_person(request.user, person_id, purpose="checkins_view", ip=client_ip(request))
    pager = keyset_pager(request, lambda cursor: selectors.person_checkins_page(
        person.pk, cursor=cursor, limit=CASE_CHECKINS_PAGE))
    return render(request, "backoffice/venues/case_checkins.html", {
        "person": person, "rows": pager.page.items if pager.page else [], **pager.context,
        "exposures": selectors.exposures_of(person.pk),
        "before": int(CASE_VISIT_BEFORE.total_seconds() // 60), "after": int(CASE_VISIT_AFTER.total_seconds() // 3600),
        "checkin_keep_days": settings.VENUE_CHECKIN_KEEP_DAYS,
    }, status=pager.status)


@official_required
@require_POST
def case_checkin_visit(request: SignedInRequest, person_id: int, checkin_id: int) -> HttpResponse:
    """The case's own check-in becomes a recorded visit: everyone at that venue from
    CASE_VISIT_BEFORE before to CASE_VISIT_AFTER after is warned. The button's POST shows the
    confirmation; its POST (`confirmed=1`) records the visit, once."""
    ip = client_ip(request)
    person = case_person(request.user, person_id, purpose="checkins_view", ip=ip)
    checkin, venue = selectors.person_checkin_venue(person.pk, checkin_id)
    start, end = checkin.at - CASE_VISIT_BEFORE, checkin.at + CASE_VISIT_AFTER
    back = reverse("backoffice:case_checkins", args=[person.pk])
    if not confirmed_post(request):
        errors = runs.case_visit_period_errors(start=start, end=end, now=timezone.now())
        if errors:
            messages.error(request, " ".join(errors.values()))
            return redirect(back)
        return _visit_confirmation(request, person=person, venue=venue, start=start, end=end, cancel_url=back)
    try:
        run, created = runs.case_visit_put(actor=request.user, venue=venue, person_id=person.pk, start=start, end=end, ip=ip)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        _visit_recorded(request, run, created)
    return redirect(back)
