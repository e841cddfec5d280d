"""Overload shedding: answer 503 + Retry-After at once instead of letting requests time out.

Under a burst (a deadline rush, a morning peak) a worker that takes every request only makes
every request late: the queue in front of it grows, clients time out and retry, and the retries
deepen the queue. Two cheap checks, before any session, database or template work, keep each
worker at what it can serve in time and tell the rest to come back (mobile clients retry after
`Retry-After`):

* **time spent queued**: the reverse proxy stamps `X-Request-Start: t=<epoch>` when it accepts
  the request (nginx: `proxy_set_header X-Request-Start "t=${msec}";`); a request that already
  waited longer than OVERLOAD_MAX_QUEUE_MS cannot meet its latency target any more, and its
  client has likely given up — serving it would be wasted work. Seconds, milliseconds and
  microseconds since the epoch are all accepted (by magnitude), as New Relic's agents do.
  A client may forge the header, but only to have its own request refused.
* **requests in flight in this process**: with threaded workers, more than
  OVERLOAD_MAX_INFLIGHT requests at once only share the same GIL and database connections and
  all get slower; the surplus is refused instead.

Either check is off when its setting is 0. `/healthz` is never shed: a busy node is still alive,
and taking it out of the load balancer would push its load onto the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

HEADER = "X-Request-Start"
_EXEMPT = ("/healthz",)


def queued_ms(header: str, now: float) -> float | None:
    """Milliseconds between the proxy's `X-Request-Start` stamp and `now` (epoch seconds).

    None when the header is absent or not a number; never negative (clock skew between the
    proxy and this host)."""
    value = header.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        stamp = float(value)
    except ValueError:
        return None
    if stamp > 1e14:  # microseconds
        stamp /= 1e6
    elif stamp > 1e11:  # milliseconds
        stamp /= 1e3
    return max(0.0, (now - stamp) * 1000.0)


def _shed(request: HttpRequest, reason: str) -> HttpResponse:
    retry_after = str(settings.OVERLOAD_RETRY_AFTER_SECONDS)
    message = _("The service is busy. Please try again in a few seconds.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": {"code": "overloaded", "message": message, "fields": {}}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = retry_after
    response["X-Overload"] = reason
    response["Cache-Control"] = "no-store"
    # Deliberate, and counted by the proxy's access log: thousands of "Service Unavailable" error
    # lines a second during a burst would only add I/O where there is none to spare.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class OverloadMiddleware:
    """First in MIDDLEWARE: refuses with 503 + Retry-After what this worker cannot serve in time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.max_queue_ms = settings.OVERLOAD_MAX_QUEUE_MS
        limit = settings.OVERLOAD_MAX_INFLIGHT
        self.slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_EXEMPT):
            return self.get_response(request)
        if self.max_queue_ms > 0:
            stamp = request.headers.get(HEADER)
            if stamp is not None:
                waited = queued_ms(stamp, time.time())
                if waited is not None and waited > self.max_queue_ms:
                    return _shed(request, "queue")
        if self.slots is None:
            return self.get_response(request)
        if not self.slots.acquire(blocking=False):
            return _shed(request, "inflight")
        try:
            return self.get_response(request)
        finally:
            self.slots.release()
