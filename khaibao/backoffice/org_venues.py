"""Organisation admins' venues (issue 20, item 1): the venues of their unit with each one's
check-ins today (a count, never who), registering one with the citizen's form, a venue's page
with its daily counts, and its printable A4 poster. Registering is `venues.services.venue_register`
(allowed for Role.ORG_ADMIN; the venue belongs to the admin's unit); which venues an admin runs
is `venues.selectors.venues_run_by` / `venue_for_operator` (404 alike for missing and others').
Nothing here shows who checked in, or anyone's health."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import staff_passes
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip
from khaibao.core.submissions import submission_key_field, submission_once
from khaibao.orgs.access import is_org_admin
from khaibao.venues import selectors, services
from khaibao.venues.forms import VenueForm
from khaibao.venues.poster import poster_download, poster_page

PAGE = 50

org_admin_required = staff_passes(is_org_admin)


class OrgVenueForm(VenueForm):
    """The citizen's venue form with the console's submission key: registered once per click."""

    submission_key = submission_key_field()


@org_admin_required
@require_GET
def venues_index(request: SignedInRequest) -> HttpResponse:
    page = Paginator(selectors.venues_run_by(request.user), PAGE).get_page(request.GET.get("page"))
    venues = list(page.object_list)
    today = selectors.venues_checkins_on(venues)
    rows = [{"venue": v, "today": today.get(v.pk, 0)} for v in venues]
    return render(request, "backoffice/org_venues/list.html", {"rows": rows, "page": page, "unit": request.user.org_unit})


@org_admin_required
@require_http_methods(["GET", "POST"])
@submission_once
def venue_new(request: SignedInRequest) -> HttpResponse:
    """Register a venue of the admin's unit: it gets its code and poster at once."""
    if request.method != "POST" or "_reload_wards" in request.POST:
        form = OrgVenueForm(request.POST if request.method == "POST" else None)
        return render(request, "backoffice/org_venues/new.html", {"form": form, "unit": request.user.org_unit})
    form = OrgVenueForm(request.POST)
    if form.is_valid():
        try:
            venue = services.venue_register(
                actor=request.user, data=services.VenueInput(**form.venue_data()), ip=client_ip(request)
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("The venue is registered with the code %(code)s. Print its poster and put it up at the entrance.")
                             % {"code": venue.code})
            return redirect("backoffice:org_venue", venue_id=venue.pk)
    else:
        status = 400
    return render(request, "backoffice/org_venues/new.html", {"form": form, "unit": request.user.org_unit}, status=status)


@org_admin_required
@require_GET
def venue_detail(request: SignedInRequest, venue_id: int) -> HttpResponse:
    venue = selectors.venue_for_operator(request.user, venue_id)
    return render(request, "backoffice/org_venues/detail.html", {"venue": venue, "counts": selectors.venue_daily_counts(venue)})


@org_admin_required
@require_GET
def venue_poster(request: SignedInRequest, venue_id: int) -> HttpResponse:
    """The A4 poster as a page that prints well (and a link to the SVG file)."""
    venue = selectors.venue_for_operator(request.user, venue_id)
    return render(request, "backoffice/org_venues/poster.html", {
        **poster_page(venue), "svg_url": reverse("backoffice:org_venue_poster_svg", args=[venue.pk]),
        "back_url": reverse("backoffice:org_venue", args=[venue.pk]),
    })


@org_admin_required
@require_GET
def venue_poster_svg(request: SignedInRequest, venue_id: int) -> HttpResponse:
    return poster_download(selectors.venue_for_operator(request.user, venue_id))
