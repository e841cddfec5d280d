"""Citizen pages for venue check-in (issue 20): check in (scan, the poster's URL or a typed
code), one's check-ins of the last VENUE_CHECKIN_KEEP_DAYS days (delete any), and the venues one runs — register,
daily counts, the printable A4 poster.

The check-in form works offline: the service worker keeps it in the outbox with its
submission key and the time of the scan (`scanned_at`, filled by static/js/checkin.js when the
form is sent), and posts it once the connection returns (web/submissions.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post, mark_rate_limited
from khaibao.core.keyset import keyset_pager
from khaibao.core.params import positive_id
from khaibao.venues import selectors, services
from khaibao.venues.forms import VenueForm
from khaibao.venues.models import CheckInVia
from khaibao.venues.poster import checkin_url, poster_download, poster_page
from khaibao.web.household import citizen_required
from khaibao.web.submissions import submission_once


class CheckInForm(forms.Form):
    venue_code = forms.CharField(
        label=gettext_lazy("Venue code (on the poster)"), max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    person_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Who is with you?"), coerce=int, widget=forms.CheckboxSelectMultiple,
    )
    # The time of the scan, for a check-in kept offline and sent later (ISO, from checkin.js).
    scanned_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    submission_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person_ids"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = people


def _checkin_page(request: SignedInRequest, form: CheckInForm, *, status: int = 200, venue: Any = None) -> HttpResponse:
    return render(request, "web/venues/checkin.html", {
        "form": form, "venue": venue, "checkin_keep_days": settings.VENUE_CHECKIN_KEEP_DAYS,
    }, status=status)


def _checkin_form(request: SignedInRequest, *, code: str = "", data: Any = None) -> CheckInForm:
    people = selectors.household_choices(request.user)
    initial = {"venue_code": code, "person_ids": [people[0][0]] if people else []}
    return CheckInForm(data, people=people, initial=initial)


@citizen_required
@require_http_methods(["GET", "POST"])
@submission_once
def checkin(request: SignedInRequest) -> HttpResponse:
    """Check in: the code typed or scanned, and who of the household is there."""
    if request.method != "POST":
        return _checkin_page(request, _checkin_form(request, code=request.GET.get("code", "")))
    form = _checkin_form(request, data=request.POST)
    if not form.is_valid():
        return _checkin_page(request, form, status=400)
    at: datetime | None = form.cleaned_data.get("scanned_at")
    offline = bool(request.headers.get("X-Khaibao-Outbox"))
    try:
        results = services.checkin_create(
            actor=request.user, venue_code=form.cleaned_data["venue_code"], person_ids=form.cleaned_data["person_ids"],
            at=at if offline else None, via=CheckInVia.OFFLINE if offline else CheckInVia.SCAN, ip=client_ip(request),
        )
    except ServiceError as exc:
        form_add_service_error(form, exc)
        return mark_rate_limited(_checkin_page(request, form, status=exc.status if exc.status != 404 else 400), exc)
    return redirect(f"{reverse('web:checkins')}?done={results[0].checkin.pk}")


@citizen_required
@require_GET
def checkin_code(request: SignedInRequest, code: str) -> HttpResponse:
    """The poster's URL (`/c/<code>`): what the phone's own camera app opens. Shows the venue
    and the household to choose from; the check-in itself is the form's POST."""
    venue = selectors.venue_by_code(services.code_normalise(code))
    form = _checkin_form(request, code=venue.code if venue else code)
    return _checkin_page(request, form, venue=venue if venue and venue.status != "suspended" else None)


# Check-ins shown a page at a time, newest first; "Older check-ins" leads to the rest.
CHECKINS_PAGE = 50


def _done_row(request: SignedInRequest, rows: list[selectors.CheckInRow], done: str) -> selectors.CheckInRow | None:
    """The check-in just made (`?done=`), to confirm it even when it is not on this page (an
    offline check-in sent late is older than the ones after it)."""
    checkin_id = positive_id(done)
    if checkin_id is None:
        return None
    found = next((r for r in rows if r.id == checkin_id), None)
    if found is not None:
        return found
    try:
        return selectors.checkin_rows([selectors.checkin_for_account(request.user, checkin_id)])[0]
    except Http404:
        return None


@citizen_required
@require_GET
def checkins_mine(request: SignedInRequest) -> HttpResponse:
    pager = keyset_pager(request, lambda cursor: selectors.checkins_for_account(
        request.user, cursor=cursor, limit=CHECKINS_PAGE))
    rows = pager.page.items if pager.page else []
    return render(request, "web/venues/checkins.html", {
        "rows": rows, "done": _done_row(request, rows, request.GET.get("done", "")),
        "exposures": selectors.exposures_for_account(request.user),
        "checkin_keep_days": settings.VENUE_CHECKIN_KEEP_DAYS, **pager.context,
    }, status=pager.status)


@citizen_required
@require_http_methods(["GET", "POST"])
def checkin_remove(request: SignedInRequest, checkin_id: int) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what deleting the
    check-in means; the confirmation page's POST (`confirmed=1`) deletes it for good."""
    checkin = selectors.checkin_for_account(request.user, checkin_id)
    if confirmed_post(request):
        services.checkin_delete(actor=request.user, checkin=checkin, ip=client_ip(request))
        return redirect("web:checkins")
    row = selectors.checkin_rows([checkin])[0]
    return render(request, "confirm.html", {
        "console": False,
        "question": _("Delete the check-in of %(person)s at %(venue)s, %(when)s?") % {
            "person": row.person_name, "venue": row.venue_name,
            "when": date_format(timezone.localtime(row.at), "H:i d/m/Y"),
        },
        "consequences": [
            _("It is deleted now, for good: neither you nor the health authorities will see it again."),
            _("If a case turns out to have been there at the same time, you will not be warned about this visit."),
        ],
        "button": _("Yes, delete"),
        "cancel_url": reverse("web:checkins"),
    })


# --- Venues one runs -------------------------------------------------------------------------


@citizen_required
@require_http_methods(["GET", "POST"])
@submission_once
def venue_new(request: SignedInRequest) -> HttpResponse:
    """Register a venue one runs: it gets its code and poster at once. A double tap or a re-post
    of the same form (its submission key) registers it once."""
    if request.method != "POST" or "_reload_wards" in request.POST:
        form = VenueForm(request.POST if request.method == "POST" else None)
        return render(request, "web/venues/new.html", {"form": form})
    form = VenueForm(request.POST)
    if not form.is_valid():
        return render(request, "web/venues/new.html", {"form": form}, status=400)
    try:
        venue = services.venue_register(actor=request.user, data=services.VenueInput(**form.venue_data()), ip=client_ip(request))
    except ServiceError as exc:
        form_add_service_error(form, exc)
        return render(request, "web/venues/new.html", {"form": form}, status=exc.status)
    return redirect("web:venue_detail", venue_id=venue.pk)


# Venues one runs, a page at a time, newest first.
VENUES_PAGE = 50


@citizen_required
@require_GET
def venues_mine(request: SignedInRequest) -> HttpResponse:
    pager = keyset_pager(request, lambda cursor: selectors.venues_run_by_page(
        request.user, cursor=cursor, limit=VENUES_PAGE))
    return render(request, "web/venues/list.html", {
        "venues": pager.page.items if pager.page else [], **pager.context,
    }, status=pager.status)


@citizen_required
@require_GET
def venue_detail(request: SignedInRequest, venue_id: int) -> HttpResponse:
    venue = selectors.venue_for_operator(request.user, venue_id)
    return render(request, "web/venues/detail.html", {
        "venue": venue, "counts": selectors.venue_daily_counts(venue), "url": checkin_url(venue),
    })


@citizen_required
@require_GET
def venue_poster(request: SignedInRequest, venue_id: int) -> HttpResponse:
    """The A4 poster as a page that prints well (and a link to the SVG file)."""
    venue = selectors.venue_for_operator(request.user, venue_id)
    return render(request, "web/venues/poster.html", {
        **poster_page(venue), "svg_url": reverse("web:venue_poster_svg", args=[venue.pk]),
        "back_url": reverse("web:venue_detail", args=[venue.pk]),
    })


@citizen_required
@require_GET
def venue_poster_svg(request: SignedInRequest, venue_id: int) -> HttpResponse:
    return poster_download(selectors.venue_for_operator(request.user, venue_id))
