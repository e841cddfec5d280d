"""The API lane (khaibao/core/lanes.py): its own middleware stack, and what it keeps."""

from __future__ import annotations

import asyncio
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core import signals
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from khaibao.core.lanes import WsgiLanes, is_api_path
from khaibao.wsgi import application

LEFT_OUT = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "khaibao.accounts.middleware.StaffIdleTimeoutMiddleware",
    "khaibao.accounts.middleware.OfficialSecondFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
)
KEPT = (
    "khaibao.core.overload.OverloadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "khaibao.api.middleware.ApiBodyLimitMiddleware",
    "khaibao.api.middleware.ApiTokenRateLimitMiddleware",
    "khaibao.api.idempotency.IdempotencyMiddleware",
)


def wsgi(path: str, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None) -> Any:
    """One request through the production WSGI entry point (khaibao/wsgi.py)."""
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(), "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0), "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started["status"] = int(status.split()[0])
        started["headers"] = dict(response_headers)

    # As Django's test client does: the test's transaction must outlive the request.
    signals.request_started.disconnect(close_old_connections)
    try:
        chunks = application(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
    finally:
        signals.request_started.connect(close_old_connections)
    return started["status"], started["headers"], content


def test_the_api_lane_leaves_out_what_only_pages_need():
    assert isinstance(application.application, WsgiLanes)
    for name in LEFT_OUT:
        assert name in settings.MIDDLEWARE, name  # still on the pages' lane
        assert name not in settings.API_MIDDLEWARE, name
    for name in KEPT:
        assert name in settings.API_MIDDLEWARE, name
    # Shedding runs before anything else can do work.
    assert settings.API_MIDDLEWARE[0] == "khaibao.core.overload.OverloadMiddleware"


def test_the_lanes_split_by_path():
    assert is_api_path("/api/v1/me")
    assert not is_api_path("/api/v1/docs")  # an HTML page: the pages' lane and their policy
    assert not is_api_path("/household/")
    assert not is_api_path("/apiary")


def test_an_api_answer_keeps_the_security_headers_and_sets_no_cookie(world, api):
    token = api.as_(world.lan).token
    status, headers, content = wsgi("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert status == 200, content
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "no-store" in headers["Cache-Control"]
    assert "camera=(self)" in headers["Permissions-Policy"]
    assert "Set-Cookie" not in headers
    assert "Content-Encoding" not in headers  # no GZip of small JSON
    assert int(headers["Content-Length"]) == len(content)


def test_a_page_still_takes_the_full_stack(db):
    status, headers, _content = wsgi("/", headers={"Accept-Encoding": "gzip"})

    assert status == 200
    assert "'self'" in headers["Content-Security-Policy"]  # django-csp's page policy
    assert headers.get("Content-Encoding") == "gzip"


def test_the_api_docs_page_takes_the_pages_lane(db):
    status, headers, _content = wsgi("/api/v1/docs")

    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_a_session_cookie_on_an_api_call_reads_no_session(world, api):
    client = api.as_(world.lan)
    client.client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32

    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/me")

    assert resp.status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"]]
    assert "Set-Cookie" not in resp.headers
    assert not resp.cookies


def test_the_api_lane_refuses_bodies_it_cannot_take(world, api):
    client = api.as_(world.lan)

    too_big = client.client.put(
        f"/api/v1/people/{world.lan_self.id}/updates/2026-01-01", b"{}", content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}", "Content-Length": str(settings.API_MAX_BODY_BYTES + 1)},
    )
    wrong_type = client.client.put(
        f"/api/v1/people/{world.lan_self.id}/updates/2026-01-01", b"a=1", content_type="text/plain",
        headers={"Authorization": f"Bearer {client.token}"},
    )

    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "body_too_large"
    assert wrong_type.status_code == 415
    assert wrong_type.json()["error"]["code"] == "unsupported_media_type"


def test_the_api_lane_limits_the_rate(world, api, settings):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = 2
    client = api.as_(world.lan)

    answers = [client.get("/me").status_code for _ in range(3)]

    assert answers == [200, 200, 429]


def test_the_api_lane_sheds_requests_that_waited_too_long(world, api, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 1000
    stale = f"t={time.time() - 5:.3f}"

    resp = api.as_(world.lan).get("/me", headers={"X-Request-Start": stale})

    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "overloaded"
    assert resp["Retry-After"]


def test_the_api_lane_replays_an_idempotent_post(world, api):
    client = api.as_(world.lan)
    body = {"full_name": "Lê Văn Tèo", "sex": "male", "birth_year": 2018, "relation": "child", "ward_code": 70}
    key = {"Idempotency-Key": "lane-1"}

    first = client.post("/people", body, headers=key)
    again = client.post("/people", body, headers=key)

    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_the_api_lane_answers_in_the_language_asked(world, api):
    english = api.get("/me", headers={"Accept-Language": "en"})
    vietnamese = api.get("/me")

    assert english.status_code == vietnamese.status_code == 401
    assert english.json()["error"]["message"].startswith("Sign in first")
    assert english.json()["error"]["message"] != vietnamese.json()["error"]["message"]
    assert json.loads(english.content)["error"]["code"] == "unauthorized"


def test_the_asgi_entry_point_splits_the_same_way():
    from khaibao.core.lanes import AsgiLanes

    seen: list[str] = []

    def app(name: str) -> Any:
        async def call(scope: dict[str, Any], receive: Any, send: Any) -> None:
            seen.append(name)

        return call

    lanes = AsgiLanes(api=app("api"), site=app("site"))
    for scope in ({"type": "http", "path": "/api/v1/me"}, {"type": "http", "path": "/household/"},
                  {"type": "http", "path": "/api/v1/docs"}, {"type": "lifespan"}):
        # In a thread of its own: a browser test earlier in this worker may leave a running event
        # loop on the main thread (Playwright's sync API), where asyncio.run refuses to start.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, lanes(scope, None, None)).result()

    assert seen == ["api", "site", "site", "site"]
