"""Response headers Django's SecurityMiddleware does not set: Permissions-Policy and no-store.

Content-Security-Policy comes from django-csp, HSTS / nosniff / Referrer-Policy from Django's
SecurityMiddleware, X-Frame-Options from its clickjacking middleware (settings.py, Security).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def _permissions_policy() -> str:
    return ", ".join(f"{feature}={allow}" for feature, allow in settings.PERMISSIONS_POLICY.items())


def _is_personal(request: HttpRequest) -> bool:
    """Whether the answer may hold personal data: anything signed in, and every API call.

    The API is included whole: its anonymous answers (sign-in codes, report tracking) are
    about one person too. Views that serve public data set their own Cache-Control.
    """
    if request.path.startswith("/api/"):
        return True
    if "Authorization" in request.headers:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; `Cache-Control: no-store` on personal answers.

    A view that already chose a Cache-Control keeps it (public zone data, the service worker),
    so this only fills the gap: an authenticated page no view thought about is never stored by
    a browser, a proxy or a shared device's back button.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.permissions_policy = _permissions_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.permissions_policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.permissions_policy
        if "Cache-Control" not in response and _is_personal(request):
            patch_cache_control(response, no_store=True, private=True)
        return response


# JSON is never a document to run scripts in or frame: the strictest policy, one fixed string
# (django-csp composes the pages' policy on every response).
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class ApiSecurityHeadersMiddleware:
    """The API lane's headers (khaibao/core/lanes.py) beside Django's SecurityMiddleware:
    Content-Security-Policy, X-Frame-Options, Permissions-Policy and `Cache-Control: no-store`
    (every API answer is personal, see `_is_personal`) — fixed strings, set once per answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.fixed = {
            "Content-Security-Policy": API_CONTENT_SECURITY_POLICY,
            "X-Frame-Options": "DENY",
            "Permissions-Policy": _permissions_policy(),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in self.fixed.items():
            if value and name not in response:
                response[name] = value
        if "Cache-Control" not in response:
            # What patch_cache_control(no_store=True, private=True) writes when there is none.
            response["Cache-Control"] = "no-store, private"
        return response
