"""Officials' console for epidemic zones: the list of zones and places, declare, change (a new
version each time), end, history and the warning job's progress. The same services as the API;
places with a time window are zone_places.py, whom a zone reaches before publishing zone_steps.py."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.zone_access import declare_context, declarer, manages, official, province_choice
from khaibao.backoffice.zone_forms import ZoneForm, apply_errors, local
from khaibao.backoffice.zone_steps import published_message, reach_sentence, unreachable_sentence, zone_step
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip, confirmed_post
from khaibao.core.keyset import keyset_page, keyset_query
from khaibao.core.params import code_in_range, positive_id
from khaibao.core.submissions import submission_once
from khaibao.zones import selectors
from khaibao.zones.changes import zone_changeable, zone_expired
from khaibao.zones.inputs import province_map_bounds
from khaibao.zones.models import ZoneVersion, ZoneWarningRun
from khaibao.zones.reach import ZoneReach, version_reach
from khaibao.zones.zones import zone_declare, zone_update

# Zones and place notices shown a page at a time each, newest first.
ZONES_PAGE = 50


@login_required(login_url="backoffice:sign_in")
@require_GET
def zones_index(request: SignedInRequest) -> HttpResponse:
    user = official(request)
    # Read as an id (core.params): a number too large for the column is no filter, not a 500.
    province = positive_id(request.GET.get("province"))
    if province is not None and not code_in_range(province):
        province = None
    if province is None and user.scope_level != "national":
        province = user.scope_province_id or (user.scope_ward.province_id if user.scope_ward_id else None)
    # Each list pages on its own cursor; its links keep the province and the other list's page.
    cursors = {name: request.GET.get(name) or None for name in ("zones_cursor", "places_cursor")}
    lists = {
        "zones": selectors.zones_for_console(user, province_code=province),
        "places": selectors.places_for_console(user, province_code=province),
    }
    context: dict[str, Any] = {
        "provinces": selectors.provinces_for_select(),
        "province": province,
        "can_declare": selectors.can_declare_zones(user),
    }
    failed = False
    for name, listed in lists.items():
        key = f"{name}_cursor"
        context[f"{name}_error"] = ""
        try:
            # The id breaks ties between rows created at the same moment (keyset pages need it).
            page = keyset_page(listed.order_by("-created_at", "-pk"), cursor=cursors[key], limit=ZONES_PAGE, count=True)
        except ServiceError as exc:
            page, failed = None, True
            context[f"{name}_error"] = exc.message
        others = {k: v for k, v in cursors.items() if k != key and v}
        params = {**({"province": province} if province is not None else {}), **others}
        context[name] = page.items if page else []
        context[f"{name}_total"] = page.total if page else None
        context[f"{name}_first_url"] = keyset_query(params) if cursors[key] else ""
        context[f"{name}_next_url"] = keyset_query(params, page.next_cursor, name=key) if page and page.next_cursor else ""
    return render(request, "backoffice/zones/index.html", context, status=400 if failed else 200)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
@submission_once
def zone_create(request: SignedInRequest) -> HttpResponse:
    """Declare a zone: whom it reaches is shown before it is published (zone_steps)."""
    user = declarer(request)
    province = province_choice(request, user)
    form = ZoneForm(request.POST or None, province_code=province)
    reach = None
    if request.method == "POST" and form.is_valid():
        step = zone_step(
            request, user=user, form=form, apply_errors=apply_errors,
            make_form=lambda data: ZoneForm(data, province_code=province),
            service_input=lambda f: f.service_input(province_code=province),
        )
        form, reach = step.form, step.reach
        if step.publish:
            try:
                version = zone_declare(actor=user, data=form.service_input(province_code=province), ip=client_ip(request))
            except ServiceError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, published_message(version_reach(version), warned=_warned(version)))
                return redirect("backoffice:zone_detail", zone_id=version.zone_id)
    context = {
        "form": form, "zone": None, **declare_context(user, province),
        **_reach_context(reach),
    }
    return render(request, "backoffice/zones/zone_form.html", context, status=400 if form.errors else 200)


def _warned(version: ZoneVersion) -> bool:
    return ZoneWarningRun.objects.filter(zone_version=version).exists()


def _reach_context(reach: ZoneReach | None, *, published: bool = False) -> dict[str, Any]:
    return {
        "reach": reach,
        "reach_sentence": reach_sentence(reach, published=published) if reach is not None else "",
        "reach_unreachable": unreachable_sentence(reach) if reach is not None else "",
    }


def _zone_initial(version: ZoneVersion) -> dict[str, Any]:
    return {
        "name": version.name, "level": version.level, "lockdown": version.lockdown, "isolation": version.isolation,
        "whole_province": version.whole_province, "wards": [w.code for w in version.wards.all()],
        "circle_lat": version.circle_lat, "circle_lon": version.circle_lon,
        "circle_radius_m": version.circle_radius_m,
        "polygon": json.dumps(version.polygon) if version.polygon else "",
        "valid_from": local(version.valid_from), "valid_until": local(version.valid_until),
        "advice_vi": version.advice_vi, "advice_en": version.advice_en,
    }


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
@submission_once
def zone_edit(request: SignedInRequest, zone_id: int) -> HttpResponse:
    user = declarer(request)
    zone = selectors.zone_for_manager(user, zone_id)
    current = zone.current
    assert current is not None
    initial = _zone_initial(current)
    form = ZoneForm(request.POST or None, province_code=zone.province_id, initial=initial)
    reach = None
    if request.method == "POST" and form.is_valid():
        step = zone_step(
            request, user=user, form=form, apply_errors=apply_errors, zone=zone,
            make_form=lambda data: ZoneForm(data, province_code=zone.province_id, initial=initial),
            service_input=lambda f: f.service_input(),
        )
        form, reach = step.form, step.reach
        if step.publish:
            try:
                version = zone_update(actor=user, zone=zone, data=form.service_input(), ip=client_ip(request))
            except ServiceError as exc:
                apply_errors(form, exc)
            else:
                if version.pk == current.pk:
                    messages.info(request, _("Nothing changed."))
                else:
                    messages.success(request, " ".join([
                        _("Saved as version %(number)d.") % {"number": version.number},
                        published_message(version_reach(version), warned=_warned(version)),
                    ]))
                return redirect("backoffice:zone_detail", zone_id=zone.pk)
    context = {
        "form": form, "province": zone.province_id, "zone": zone, "choose_province": False, **_reach_context(reach),
        "expired": zone_expired(current, timezone.now()),
        "map_bounds": province_map_bounds(zone.province_id),
    }
    return render(request, "backoffice/zones/zone_form.html", context, status=400 if form.errors else 200)


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def zone_end(request: SignedInRequest, zone_id: int) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what ending the
    zone changes; the confirmation page's POST (`confirmed=1`) ends it."""
    user = declarer(request)
    zone = selectors.zone_for_manager(user, zone_id)
    if confirmed_post(request):
        try:
            zone_update(actor=user, zone=zone, end=True, ip=client_ip(request))
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The zone is ended. Its history is kept."))
        return redirect("backoffice:zone_detail", zone_id=zone.pk)
    current = zone.current
    assert current is not None  # every zone is created with its first version
    return render(request, "confirm.html", {
        "console": True,
        "question": _("End the zone %(name)s now?") % {"name": current.name},
        "consequences": [
            # Ending is never retroactive (zones.selectors._version_fact): a stay while it was in
            # force keeps counting.
            _("It stops counting as an epidemic area now: it comes off the public list, sends no new warnings "
              "and no longer counts in risk assessments from this moment. A stay there while it was in force "
              "still counts."),
            _("Warnings already sent are not taken back."),
        ],
        "kept": _("The zone and all its versions stay in its history."),
        "button": _("Yes, end the zone"),
        "cancel_url": reverse("backoffice:zone_detail", args=[zone.pk]),
        # Ended, or its validity already ran out: there is nothing left to end.
        "done": "" if zone_changeable(current, timezone.now()) else _("This zone has already ended."),
    })


@login_required(login_url="backoffice:sign_in")
@require_GET
def zone_detail(request: SignedInRequest, zone_id: int) -> HttpResponse:
    user = official(request)
    zone = selectors.zone_for_official(user, zone_id)
    versions = selectors.zone_versions(zone)
    current, now = (versions[0] if versions else None), timezone.now()
    context = {
        "zone": zone,
        "current": current,
        # What the page offers (zones.changes: one owner with zone_update): an ended zone nothing,
        # an expired one only being put back in force with a new end.
        "changeable": current is not None and zone_changeable(current, now),
        "expired": current is not None and zone_expired(current, now),
        **_reach_context(version_reach(versions[0]) if versions else None, published=True),
        "versions": versions,
        "totals": selectors.zone_warning_totals(zone),
        "running": _running(versions),
        "can_manage": selectors.can_declare_zones(user) and manages(user, zone.province_id),
    }
    return render(request, "backoffice/zones/zone_detail.html", context)


@login_required(login_url="backoffice:sign_in")
@require_GET
def zone_progress(request: SignedInRequest, zone_id: int) -> HttpResponse:
    """The warning runs' progress (polled by htmx while a run is going)."""
    user = official(request)
    zone = selectors.zone_for_official(user, zone_id)
    versions = selectors.zone_versions(zone)
    return render(request, "backoffice/zones/_progress.html", {
        "zone": zone, "versions": versions, "totals": selectors.zone_warning_totals(zone),
        "running": _running(versions),
    })


def _running(versions: list[ZoneVersion]) -> bool:
    return any(getattr(v, "warning_run", None) is not None and v.warning_run.status != "done" for v in versions)
