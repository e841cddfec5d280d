from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from khaibao.accounts import otp
from khaibao.accounts.phones import mask_phone
from khaibao.core import crypto
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip, mark_rate_limited
from khaibao.monitoring.explain import status_level_display
from khaibao.monitoring.selectors import today_states
from khaibao.orgs.selectors import my_memberships
from khaibao.people.access import household_people, is_active_volunteer
from khaibao.people.models import Person
from khaibao.signin.services import citizen_sign_in_with_code
from khaibao.web.forms import CodeForm, PhoneForm
from khaibao.web.news import home_news
from khaibao.zones import lookup as zone_lookup
from khaibao.zones import present as zone_present

_SESSION_PHONE = "otp_phone"


def _pending_phone(request: HttpRequest) -> str:
    """The phone waiting for its code. Session rows are signed, not encrypted, so the phone is
    kept there encrypted like every other stored phone (issue 8: raw-database check)."""
    token = request.session.get(_SESSION_PHONE)
    if not token:
        return ""
    try:
        return crypto.decrypt(token)
    except ValueError:
        # Written under a key since removed, or by an older release: start again.
        return ""


def _home_zones(people: list[Person]) -> dict[int, dict[str, Any]]:
    """The highest zone in force at each home ward of `people` (by ward code), with its level's
    colour and word: the zones app's answer for a ward (as /zones/check gives it), the zones'
    state read once for the page, whatever the number of wards."""
    shown: dict[int, dict[str, Any]] = {}
    wards = {p.home_ward_id: p.home_ward for p in people}.values()
    for code, matches in zone_lookup.zones_at_wards(wards).items():
        zones = [m.entry for m in matches if m.entry.kind == "zone"]
        if zones:  # the zones app orders them highest level first
            shown[code] = {"entry": zones[0], "props": zone_present.properties(zones[0])}
    return shown


def home(request: HttpRequest) -> HttpResponse:
    people: list[Person] = []
    volunteer = memberships = False
    if request.user.is_authenticated and request.user.is_citizen:
        # The status rows come with the people (one query): the level of each, below.
        people = list(household_people(request.user).select_related("home_ward__province", "status"))
        volunteer = is_active_volunteer(request.user)
        # "Your organisations" is linked once the account is on any roster, answered or not.
        memberships = my_memberships(request.user).exists()
    # Each person with what is left to do today: declare, or send today's update; their level
    # as their status page words and colours it, and the zone their home ward is in, if any.
    states = today_states(people, timezone.localdate())
    zones = _home_zones(people)
    rows = [
        {
            "person": p,
            "state": states[p.pk],
            # RelatedObjectDoesNotExist is an AttributeError: no status row yet gives None.
            "level": status_level_display(getattr(p, "status", None)),
            "zone": zones.get(p.home_ward_id),
        }
        for p in people
    ]
    context = {"people": rows, "volunteer": volunteer, "memberships": memberships, **home_news(request)}
    return render(request, "web/home.html", context)


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number. The reply never tells whether the phone is registered."""
    form = PhoneForm(request.POST or None)
    refusal: ServiceError | None = None
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            otp.otp_request(phone=phone, ip=client_ip(request))
        except ServiceError as exc:
            refusal = exc
            form.add_error(None, exc.message)
        else:
            request.session[_SESSION_PHONE] = crypto.encrypt(phone)
            return redirect("web:sign_in_code")
    return mark_rate_limited(render(request, "web/sign_in.html", {"form": form}), refusal)


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS."""
    phone = _pending_phone(request)
    if not phone:
        return redirect("web:sign_in")
    form = CodeForm(request.POST or None)
    refusal: ServiceError | None = None
    used_up = False
    if request.method == "POST" and form.is_valid():
        try:
            account = citizen_sign_in_with_code(phone=phone, code=form.cleaned_data["code"], ip=client_ip(request))
        except ServiceError as exc:
            refusal = exc
            used_up = exc.code == "code_used_up"
            form.add_error("code", exc.fields.get("code", exc.message))
        else:
            login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            request.session.pop(_SESSION_PHONE, None)
            messages.success(request, _("You are signed in."))
            return redirect("web:home")
    return mark_rate_limited(
        render(
            request,
            "web/sign_in_code.html",
            {
                "form": form, "masked_phone": mask_phone(phone), "used_up": used_up,
                "ttl_minutes": settings.OTP_CODE_TTL_SECONDS // 60,
            },
        ),
        refusal,
    )


@require_POST
def sign_in_resend(request: HttpRequest) -> HttpResponse:
    """A new code to the phone waiting for one, without typing it again (the offer made when a
    code is used up or never came); the same limits as the first request."""
    phone = _pending_phone(request)
    if not phone:
        return redirect("web:sign_in")
    try:
        otp.otp_request(phone=phone, ip=client_ip(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A new code was sent to %(phone)s.") % {"phone": mask_phone(phone)})
    return redirect("web:sign_in_code")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("web:home")
