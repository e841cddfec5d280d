from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

_STAMP_EVERY_SECONDS = 60
# Paths a signed-in official may reach before completing the second factor.
_SECOND_FACTOR_OPEN_PREFIXES = ("/staff/2fa/", "/staff/sign-out", "/static/", "/i18n/", "/healthz", "/api/")


SIGNED_IN_AT = "signed_in_at"


def stamp_sign_in(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """On every sign-in (user_logged_in), start the session's absolute clock."""
    request.session[SIGNED_IN_AT] = time.time()


class StaffIdleTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_TIMEOUT_SECONDS without a request (DESIGN.md §7), and
    STAFF_ABSOLUTE_TIMEOUT_SECONDS after signing in however active they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and getattr(user, "is_staff_role", False):
            last = request.session.get("last_activity")
            signed_in_at = request.session.get(SIGNED_IN_AT)
            if signed_in_at is not None and time.time() - float(signed_in_at) > settings.STAFF_ABSOLUTE_TIMEOUT_SECONDS:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect(settings.STAFF_LOGIN_URL)
            if last is not None and time.time() - float(last) > settings.STAFF_IDLE_TIMEOUT_SECONDS:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.STAFF_IDLE_TIMEOUT_SECONDS // 60},
                )
                return redirect(settings.STAFF_LOGIN_URL)
        response = self.get_response(request)
        # Stamped after the view, so the sign-in request itself starts the idle clock.
        user = request.user
        if user.is_authenticated and getattr(user, "is_staff_role", False):
            now = time.time()
            last = request.session.get("last_activity")
            # Re-stamp at most once a minute: a session write on every console request costs
            # more than a minute of precision on a 30-minute timeout is worth.
            if last is None or now - float(last) >= _STAMP_EVERY_SECONDS:
                request.session["last_activity"] = now
            # A session signed in before this rule existed starts its clock now.
            request.session.setdefault(SIGNED_IN_AT, now)
        return response


class OfficialSecondFactorMiddleware:
    """Officials (and other roles that reach personal data) must pass TOTP before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "needs_second_factor", False)
            and not user.is_verified()  # type: ignore[union-attr,attr-defined]
            and not request.path.startswith(_SECOND_FACTOR_OPEN_PREFIXES)
        ):
            return redirect("backoffice:two_factor")
        return self.get_response(request)
