"""The zone form's steps before publishing (issue 17, major 2): see whom the zone reaches, attach
the wards its shape covers in one click, and confirm a zone that warns nobody — the page never
promises warnings that will not be sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from khaibao.core.errors import ServiceError
from khaibao.zones.inputs import ZoneInput
from khaibao.zones.models import Zone
from khaibao.zones.reach import ZoneReach, values_reach
from khaibao.zones.zones import zone_preview

PREVIEW, ATTACH, PUBLISH, LOCATION_ONLY = "preview", "attach", "publish", "publish_location_only"


@dataclass
class Step:
    form: Any
    reach: ZoneReach | None
    publish: bool


def zone_step(
    request: HttpRequest,
    *,
    user: Any,
    form: Any,
    make_form: Callable[[Any], Any],
    service_input: Callable[[Any], ZoneInput],
    apply_errors: Callable[[Any, ServiceError], None],
    zone: Zone | None = None,
) -> Step:
    """What a valid POST of the zone form does: "preview" shows the reach, "attach" ticks the
    suggested wards and shows the reach again, "publish" goes ahead unless the zone would warn
    nobody through its area (a circle or polygon alone), which needs "publish_location_only"."""
    step = request.POST.get("step") or PUBLISH
    try:
        values, province = zone_preview(actor=user, data=service_input(form), zone=zone)
    except ServiceError as exc:
        apply_errors(form, exc)
        return Step(form, None, False)
    reach = values_reach(values, province)
    if step == ATTACH and reach.suggested_new:
        data = request.POST.copy()
        data.setlist("wards", [*data.getlist("wards"), *(str(w.code) for w in reach.suggested_new)])
        form = make_form(data)
        if form.is_valid():
            values, province = zone_preview(actor=user, data=service_input(form), zone=zone)
            reach = values_reach(values, province)
        return Step(form, reach, False)
    if step == LOCATION_ONLY:
        return Step(form, reach, True)
    return Step(form, reach, step == PUBLISH and not reach.location_check_only)


def _ward_names(reach: ZoneReach) -> str:
    names = [w.name for w in reach.wards[:5]]
    more = len(reach.wards) - len(names)
    return ", ".join(names) + (_(" and %(n)d more") % {"n": more} if more > 0 else "")


def reach_sentence(reach: ZoneReach, *, published: bool = False) -> str:
    """Whom the zone's warnings go to, in one sentence that promises nothing untrue: the residents
    counted are those with someone to notify (`ZoneReach.reached`, as the warning job counts
    `warned`); the others are `unreachable_sentence`'s."""
    if reach.location_check_only:
        return _(
            "Nobody will be warned: people are found by ward, and this zone has only a circle or a polygon. "
            "Only people who check their own location will see it."
        )
    if not reach.level_warns:
        return _("Nobody will be warned at this level: the zone is shown on the zones page only.")
    place = reach.province.name if reach.province is not None else _ward_names(reach)
    if published:
        return ngettext(
            "Its warnings go to %(n)d person living in %(place)s and to those who declared travel there.",
            "Its warnings go to %(n)d people living in %(place)s and to those who declared travel there.",
            reach.reached,
        ) % {"n": reach.reached, "place": place}
    return ngettext(
        "%(n)d person living in %(place)s and those who declared travel there will be warned.",
        "%(n)d people living in %(place)s and those who declared travel there will be warned.",
        reach.reached,
    ) % {"n": reach.reached, "place": place}


def unreachable_sentence(reach: ZoneReach) -> str:
    """The residents a warning reaches nobody for (no account, household or volunteer), and what
    the official does about them; "" when there are none or nobody is warned anyway."""
    if reach.warns_nobody or not reach.unreachable:
        return ""
    return ngettext(
        "%(m)d person living there has nobody to notify (no account, household or volunteer): call them or visit.",
        "%(m)d people living there have nobody to notify (no account, household or volunteer): call them or visit.",
        reach.unreachable,
    ) % {"m": reach.unreachable}


def published_message(reach: ZoneReach, *, warned: bool) -> str:
    """The banner after publishing: warnings promised only when a warning run was queued."""
    if not warned or reach.warns_nobody:
        if reach.location_check_only:
            return _(
                "The zone is published. Nobody is warned: it has no ward. People who check their location will see it; "
                "attach the wards it covers to warn their residents."
            )
        return _("The zone is published. Nobody is warned by this change.")
    place = reach.province.name if reach.province is not None else _ward_names(reach)
    message = ngettext(
        "The zone is published. %(n)d person living in %(place)s and those who declared travel there are being warned.",
        "The zone is published. %(n)d people living in %(place)s and those who declared travel there are being warned.",
        reach.reached,
    ) % {"n": reach.reached, "place": place}
    unreachable = unreachable_sentence(reach)
    return f"{message} {unreachable}" if unreachable else message
