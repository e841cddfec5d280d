"""Officials' console for places with a time window (mốc dịch tễ): publish, change (a new version
each time), withdraw and history. The same services as the API; the zones' pages are zones.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.zone_access import declare_context, declarer, manages, official, province_choice
from khaibao.backoffice.zone_forms import PlaceForm, apply_errors, local
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip, confirmed_post
from khaibao.core.submissions import submission_once
from khaibao.zones import selectors
from khaibao.zones.inputs import PlaceInput, province_map_bounds
from khaibao.zones.models import PlaceVersion
from khaibao.zones.places import place_declare, place_update


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
@submission_once
def place_create(request: SignedInRequest) -> HttpResponse:
    """Publish a place: the province (national officials choose it), the form, the service, then
    the new place's page."""
    user = declarer(request)
    province = province_choice(request, user)
    form = PlaceForm(request.POST or None, province_code=province)
    if request.method == "POST" and form.is_valid():
        try:
            version = place_declare(actor=user, data=form.service_input(province_code=province), ip=client_ip(request))
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _place_published(version))
            return redirect("backoffice:place_detail", place_id=version.place_id)
    context = {
        "form": form, "place": None, **declare_context(user, province),
    }
    return render(request, "backoffice/zones/place_form.html", context, status=400 if form.errors else 200)


def _place_published(version: PlaceVersion) -> str:
    # People are found by ward: a place without one warns nobody (issue 17, major 2).
    if version.ward_id is None:
        return _(
            "The place is published. Nobody is warned: it has no ward. People who check their location will see it; "
            "choose its ward to warn the residents and those who declared travel there."
        )
    return _("The place is published. The residents of its ward and those who declared travel there are being warned.")


def _place_initial(version: PlaceVersion) -> dict[str, Any]:
    return {
        "name": version.name, "ward": version.ward_id, "lat": version.lat, "lon": version.lon,
        "radius_m": version.radius_m, "window_start": local(version.window_start),
        "window_end": local(version.window_end), "advice_vi": version.advice_vi, "advice_en": version.advice_en,
    }


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
@submission_once
def place_edit(request: SignedInRequest, place_id: int) -> HttpResponse:
    user = declarer(request)
    place = selectors.place_for_manager(user, place_id)
    current = place.current
    assert current is not None
    form = PlaceForm(request.POST or None, province_code=place.province_id, initial=_place_initial(current))
    if request.method == "POST" and form.is_valid():
        try:
            place_update(actor=user, place=place, data=form.service_input(), ip=client_ip(request))
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("backoffice:place_detail", place_id=place.pk)
    context = {
        "form": form, "province": place.province_id, "place": place, "choose_province": False,
        "map_bounds": province_map_bounds(place.province_id),
    }
    return render(request, "backoffice/zones/place_form.html", context, status=400 if form.errors else 200)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def place_withdraw(request: SignedInRequest, place_id: int) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what withdrawing
    the public notice changes; the confirmation page's POST (`confirmed=1`) withdraws it."""
    user = declarer(request)
    place = selectors.place_for_manager(user, place_id)
    if confirmed_post(request):
        place_update(actor=user, place=place, data=PlaceInput(withdrawn=True), ip=client_ip(request))
        messages.success(request, _("The notice is withdrawn. Its history is kept."))
        return redirect("backoffice:place_detail", place_id=place.pk)
    current = place.current
    assert current is not None
    start, end = (date_format(timezone.localtime(t), "H:i d/m/Y") for t in (current.window_start, current.window_end))
    return render(request, "confirm.html", {
        "console": True,
        "question": _("Withdraw the notice %(name)s (%(start)s – %(end)s)?") % {
            "name": current.name, "start": start, "end": end},
        "consequences": [
            _("It comes off the public list now: citizens no longer see it, and it no longer comes up when they "
              "check a place or their ward."),
            _("Warnings already sent are not taken back. This cannot be undone from the console."),
        ],
        "kept": _("The notice and its history stay on record."),
        "button": _("Yes, withdraw"),
        "cancel_url": reverse("backoffice:place_detail", args=[place.pk]),
        "done": _("This notice is already withdrawn.") if current.withdrawn else "",
    })


@login_required(login_url="backoffice:sign_in")
@require_GET
def place_detail(request: SignedInRequest, place_id: int) -> HttpResponse:
    user = official(request)
    place = selectors.place_for_official(user, place_id)
    versions = selectors.place_versions(place)
    context = {
        "place": place, "current": versions[0] if versions else None, "versions": versions,
        "can_manage": selectors.can_declare_zones(user) and manages(user, place.province_id),
    }
    return render(request, "backoffice/zones/place_detail.html", context)
