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
  The stamp is believed only when OVERLOAD_TRUST_REQUEST_START (on by default behind a trusted
  proxy: TRUSTED_PROXY_COUNT > 0), i.e. when the proxy sets the header itself and so overwrites
  whatever a client sent; otherwise it is ignored and the queue checks do nothing. A stamp is not
  only about its own request: a late one on a rush route puts the whole process in rush mode
  (below) and every stamp feeds the standing queue's history, so a client that could write it
  would decide, for every other client of the process, whether their daily update is assessed.
* **requests in flight in this process**: with threaded workers, more than
  OVERLOAD_MAX_INFLIGHT requests at once only share the same GIL and database connections and
  all get slower; the surplus is refused instead.

* **a standing queue** (CoDel's idea, as Facebook's servers apply it to their request queues):
  a burst that comes and goes is what the queue is for, but a queue that never empties only
  makes every request later. When for OVERLOAD_STANDING_AFTER_MS no request reached this process
  having waited less than a fifth of OVERLOAD_STANDING_QUEUE_MS, the queue is standing, and the
  time a request may have waited drops to OVERLOAD_STANDING_QUEUE_MS: what waited longer is
  refused at once — cheaply, at the WSGI wrapper — so the queue shrinks instead of growing until
  the clients time out (bench/RESULTS.md, "Issue 19, the 10× burst"). The first request that
  waited less ends it.

Either check is off when its setting is 0. `/healthz` is never shed: a busy node is still alive,
and taking it out of the load balancer would push its load onto the others.

**Rush mode** (decision D, docs/decisions/0008). A few writes can be *stored first*: answered 202
at once and finished by a worker (the daily update: monitoring/services.py `daily_update_store`).
For a request to one of those (`RUSH_ROUTES`, wired in khaibao/wiring.py) the queue check does not
refuse: it marks the request (`rush_requested`) and lets it through, since storing it costs less
than a refusal and its retry — unless it waited longer than RUSH_MAX_QUEUE_MS, past which its
client has given up and it is refused like any other. Once a marked request came, every request to
those routes in this process is marked for RUSH_HOLD_SECONDS: the queue drains sooner than if
only the late ones took the short path. One late request (its stamp the proxy's, above) is enough:
that is the design, a process whose queue made one request late is behind for the rest. Under a
standing queue a request to those routes is stored first up to OVERLOAD_STANDING_QUEUE_MS of
waiting and refused past it. RUSH_MODE=0 turns it off (those requests are refused too).

The queue check runs twice over: `ShedLateRequests` wraps the WSGI application (khaibao/wsgi.py)
and refuses before Django builds a request at all, and the middleware keeps it for every other
way in (ASGI, the test client, `runserver`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

HEADER = "X-Request-Start"
_EXEMPT = ("/healthz",)
# Where the WSGI wrapper and the middleware leave their mark on a request to be stored first
# (the WSGI environ becomes the request's META).
RUSH_ENVIRON = "khaibao.rush"
# Until when (time.time()) this process marks every request to a rush route (RUSH_HOLD_SECONDS).
_rush_until = 0.0
# Since when (time.time()) every stamped request this process saw had waited more than the clear
# mark (a fifth of OVERLOAD_STANDING_QUEUE_MS); None after one that waited less. And when the last
# stamped request came: a pause longer than OVERLOAD_STANDING_AFTER_MS is not a standing queue.
_queued_since: float | None = None
_last_stamped = 0.0


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


def _waited_too_long(waited: float | None) -> bool:
    """Whether a request that waited `waited` ms (`queued_ms`; None: no stamp, or a bad one) waited
    longer than OVERLOAD_MAX_QUEUE_MS; never when the check is off."""
    limit = settings.OVERLOAD_MAX_QUEUE_MS
    return limit > 0 and waited is not None and waited > limit


@cache
def _rush_routes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((method, re.compile(pattern)) for method, pattern in settings.RUSH_ROUTES)


def rush_route(method: str, path: str) -> bool:
    """Whether `method` `path` is a write that may be stored first (settings.RUSH_ROUTES)."""
    return any(method == m and pattern.fullmatch(path) for m, pattern in _rush_routes())


def standing_queue(waited: float | None, now: float) -> bool:
    """Record a request that waited `waited` ms (None: not stamped) and tell whether the queue in
    front of this process is standing (see the module's docstring); never when the check is off."""
    global _queued_since, _last_stamped
    limit = settings.OVERLOAD_STANDING_QUEUE_MS
    if limit <= 0 or waited is None:
        return False
    after = settings.OVERLOAD_STANDING_AFTER_MS / 1000.0
    if waited < limit / 5 or now - _last_stamped > after:
        _queued_since = None if waited < limit / 5 else now
    elif _queued_since is None:
        _queued_since = now
    _last_stamped = now
    return _queued_since is not None and now - _queued_since >= after


def admission(method: str, path: str, stamp: str | None, now: float) -> str | None:
    """"rush" to let a request through marked, "refuse" to shed it, None to serve it as usual."""
    global _rush_until
    # A stamp the proxy did not set is the client's word: believed, it would put the process in
    # rush mode for every other client (module docstring).
    waited = queued_ms(stamp, now) if stamp is not None and settings.OVERLOAD_TRUST_REQUEST_START else None
    standing = standing_queue(waited, now)
    late = _waited_too_long(waited)  # the stamp parsed once
    if not late and not standing and now >= _rush_until:
        return None  # the common case: no regex matched
    rush = settings.RUSH_MODE and rush_route(method, path)
    if standing and (waited or 0.0) > settings.OVERLOAD_STANDING_QUEUE_MS:
        return "refuse"
    if not rush:
        return "refuse" if late else None
    if late or standing:
        if late and settings.RUSH_MAX_QUEUE_MS > 0 and (waited or 0.0) > settings.RUSH_MAX_QUEUE_MS:
            return "refuse"
        _rush_until = now + settings.RUSH_HOLD_SECONDS
        return "rush"
    return "rush" if now < _rush_until else None


def rush_active(now: float | None = None) -> bool:
    """Whether this process is in rush mode (it marked a late request less than
    RUSH_HOLD_SECONDS ago)."""
    return (now or time.time()) < _rush_until


def rush_reset() -> None:
    """End this process's rush hold and forget its queue's history (tests; an operator's shell)."""
    global _rush_until, _queued_since, _last_stamped
    _rush_until, _queued_since, _last_stamped = 0.0, None, 0.0


def rush_requested(request: HttpRequest) -> bool:
    """Whether the overload checks marked `request` to be stored first (rush mode)."""
    return bool(request.META.get(RUSH_ENVIRON))


def _refusal(path: str) -> tuple[str, bytes]:
    # Content type and body of a 503: the API's error format for the API, plain text elsewhere.
    message = _("The service is busy. Please try again in a few seconds.")
    if path.startswith("/api/"):
        body = {"error": {"code": "overloaded", "message": message, "fields": {}}}
        return "application/json", json.dumps(body, ensure_ascii=False).encode()
    return "text/plain; charset=utf-8", message.encode()


def _refusal_headers(reason: str) -> dict[str, str]:
    return {
        "Retry-After": str(settings.OVERLOAD_RETRY_AFTER_SECONDS), "X-Overload": reason, "Cache-Control": "no-store",
    }


def _shed(request: HttpRequest, reason: str) -> HttpResponse:
    content_type, body = _refusal(request.path)
    response = HttpResponse(body, status=503, content_type=content_type)
    for name, value in _refusal_headers(reason).items():
        response[name] = value
    # Deliberate, and counted by the proxy's access log: thousands of "Service Unavailable" error
    # lines a second during a burst would only add I/O where there is none to spare.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class OverloadMiddleware:
    """First in MIDDLEWARE: refuses with 503 + Retry-After what this worker cannot serve in time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        limit = settings.OVERLOAD_MAX_INFLIGHT
        self.slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_EXEMPT):
            return self.get_response(request)
        verdict = admission(request.method or "", request.path_info, request.headers.get(HEADER), time.time())
        if verdict == "refuse":
            return _shed(request, "queue")
        if verdict == "rush":
            request.META[RUSH_ENVIRON] = True
        if self.slots is None:
            return self.get_response(request)
        if not self.slots.acquire(blocking=False):
            return _shed(request, "inflight")
        try:
            return self.get_response(request)
        finally:
            self.slots.release()


class ShedLateRequests:
    """WSGI wrapper: the queue check, before Django builds the request.

    Under a burst most of a worker's time goes into refusing. Refused by the middleware, each
    request still pays for Django's request object, its request_started/finished signals (which
    check the database connection) and the middleware chain; refused here it costs a dictionary
    lookup and a float parse — 9 µs instead of 37 µs of Python per refusal — so fewer clients
    are left waiting until they time out (bench/RESULTS.md, "Third pass": burst).
    """

    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(_EXEMPT):
            return self.application(environ, start_response)
        verdict = admission(environ.get("REQUEST_METHOD", ""), path, environ.get("HTTP_X_REQUEST_START"), time.time())
        if verdict != "refuse":
            if verdict == "rush":
                environ[RUSH_ENVIRON] = True
            return self.application(environ, start_response)
        content_type, body = _refusal(path)
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **_refusal_headers("queue")}
        start_response("503 Service Unavailable", list(headers.items()))
        return [body]
