"""Two lanes into Django: the JSON API under `/api/` with a middleware stack of its own, and the
pages with the full one (issue 19 item 1; docs/architecture.md, "A request, end to end").

The pages need sessions, CSRF, messages, django-otp, htmx, the staff timeouts, WhiteNoise and
GZip. An API request needs none of them — it carries a bearer token, never a cookie that counts,
and answers small JSON — but paid for all of them on every call (bench/RESULTS.md, "Issue 19").
So the entry points (khaibao/wsgi.py, khaibao/asgi.py) hold two Django handlers built from two
lists (khaibao/wiring.py: `MIDDLEWARE` for the pages, `API_MIDDLEWARE` for the API) and send a
request to one or the other by its path, before Django builds it. Both lanes share the settings,
the URLconf and the error handlers; the API lane keeps the security headers, overload shedding,
the body checks, the rate limits (with the access-token deny-list) and Idempotency-Key.

The test client takes the same lane (`core.testing.ApiLaneClient`, used by the `api` fixture in
conftest.py), so the API's tests exercise the stack production runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler

# The API's documentation is an HTML page (Swagger UI): it takes the pages' lane and its
# Content-Security-Policy, as a page.
_API_PAGES = ("/api/v1/docs",)
# Django builds a handler's chain from settings.MIDDLEWARE (BaseHandler.load_middleware); a lane
# lends it its own list for the time of the build. Builds happen at start-up (and on a test
# client's first request); the lock keeps two of them from lending at once.
_build_lock = threading.Lock()


def is_api_path(path: str) -> bool:
    """Whether a request for `path` takes the API lane (settings.API_LANE_PREFIXES: `/api/`, and
    in the benchmark its in-product references, so they run on the stack they are compared with)."""
    return path.startswith(tuple(settings.API_LANE_PREFIXES)) and not path.startswith(_API_PAGES)


def load_lane_middleware(handler: BaseHandler, middleware: Sequence[str], *, is_async: bool = False) -> None:
    """Build `handler`'s middleware chain from `middleware` instead of settings.MIDDLEWARE."""
    with _build_lock:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = list(middleware)
        try:
            BaseHandler.load_middleware(handler, is_async=is_async)
        finally:
            settings.MIDDLEWARE = full


def api_middleware() -> list[str]:
    return list(settings.API_MIDDLEWARE)


class ApiWSGIHandler(WSGIHandler):
    """Django's WSGI handler with the API's middleware stack."""

    def load_middleware(self, is_async: bool = False) -> None:
        load_lane_middleware(self, api_middleware(), is_async=is_async)


class ApiASGIHandler(ASGIHandler):
    """Django's ASGI handler with the API's middleware stack."""

    def load_middleware(self, is_async: bool = False) -> None:
        load_lane_middleware(self, api_middleware(), is_async=is_async)


class WsgiLanes:
    """The WSGI application: `/api/…` to the API lane, everything else to the pages' lane."""

    def __init__(self, *, api: Callable[..., Iterable[bytes]], site: Callable[..., Iterable[bytes]]) -> None:
        self.api = api
        self.site = site

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        lane = self.api if is_api_path(environ.get("PATH_INFO", "")) else self.site
        return lane(environ, start_response)


class AsgiLanes:
    """The ASGI application: the same split on the scope's path (lifespan and others go to the pages')."""

    def __init__(self, *, api: Any, site: Any) -> None:
        self.api = api
        self.site = site

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        lane = self.api if scope.get("type") == "http" and is_api_path(scope.get("path", "")) else self.site
        await lane(scope, receive, send)
