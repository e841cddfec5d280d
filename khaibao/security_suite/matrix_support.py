"""Requests and answers for the authorisation matrix: path values, outcomes, a DB fingerprint."""

from __future__ import annotations

import hashlib
from typing import Any

from django.apps import apps
from django.utils import timezone

from khaibao.security_suite.routes import Route

# Reference data no request can write (thousands of wards): left out to keep the digest cheap.
STATIC_APPS = frozenset({"places", "contenttypes", "auth"})
SIGN_IN_PATHS = ("/sign-in/", "/staff/sign-in/", "/staff/2fa/", "/admin/login/")


def path_values(sec: Any) -> dict[str, Any]:
    """The value every path parameter takes: the id of the world's object of that kind."""
    ids = sec.ids
    return {
        "person_id": ids["person"], "zone_id": ids["zone"], "place_id": ids["place"], "report_id": ids["report"],
        "photo_id": ids["photo"], "announcement_id": ids["news"], "notification_id": ids["notification"],
        "job_id": ids["export"], "grant_id": ids["grant"], "unit_id": ids["unit_a"], "campaign_id": ids["campaign"],
        "member_id": ids["member"], "import_id": ids["roster_import"], "appointment_id": ids["appointment"],
        "delegation_id": ids["delegation"], "venue_id": ids["venue"], "checkin_id": ids["checkin"], "code": sec.report_tracking_code, "day": timezone.localdate().isoformat(),
        "action": "rename", "answer": "confirm", "uidb64": "MQ", "token": "set-password-token",
        "path": "", "rest": "",
        # An erasure code is made and confirmed in one sitting by its owner (privacy tests);
        # here nobody holds one, so every role must get the same 404.
        "code_id": 999_999,
    }


def outcome(resp: Any) -> str:
    """"ok", "denied", "n/a" (method not allowed, for everyone) or "error" (5xx).

    A refused page may also send the visitor to a sign-in page, or — for a console page asked
    by an account that has no business there — to that account's own home.
    """
    status = resp.status_code
    path = resp.wsgi_request.path if hasattr(resp, "wsgi_request") else ""
    if path == "/healthz" and status == 503:
        return "ok"  # the health check answers 503 when the task worker is not running
    if status >= 500:
        return "error"
    if status == 405:
        return "n/a"
    if status in (401, 403, 404):
        return "denied"
    location = resp.get("Location", "").split("?")[0]
    if status in (301, 302, 303) and location.endswith(SIGN_IN_PATHS):
        return "denied"
    if status in (301, 302, 303) and path.startswith("/staff/") and location in ("/", "/staff/"):
        return "denied"
    return "ok"


def send(sec: Any, role: str, route: Route, body: Any = None) -> Any:
    url = route.url(path_values(sec))
    if route.kind == "api":
        client = sec.api(role)
        method = route.method.lower()
        if method in ("get", "delete"):
            return getattr(client, method)(url)
        return getattr(client, method)(url, body if body is not None else {})
    client = sec.web(role)
    if route.method == "GET":
        return client.get(url)
    return client.post(url, body or {})


def fingerprint() -> str:
    """A digest of every row of every table, but for bookkeeping a refused request may touch.

    Left out: sessions (each test client signs in), the tokens' coarse last-use stamps, and
    the rate-limit and idempotency bookkeeping tables if any.
    """
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        label = model._meta.label
        if label in ("sessions.Session", "otp_totp.TOTPDevice") or model._meta.app_label in STATIC_APPS:
            continue
        fields = [f.attname for f in model._meta.concrete_fields
                  if not (label == "accounts.ApiToken" and f.attname == "last_used_at")
                  and not (label == "accounts.Account" and f.attname == "last_login")]
        rows = model._default_manager.order_by("pk").values_list(*fields)
        digest.update(label.encode())
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()
