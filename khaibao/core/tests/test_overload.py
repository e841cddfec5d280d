"""Overload shedding (khaibao/core/overload.py): 503 + Retry-After, nothing written."""

from __future__ import annotations

import json
import threading
import time
from unittest import mock

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import DailyUpdate
from khaibao.passes import selectors as pass_selectors

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}


def _put_update(client, world, stamp: str | None):
    headers = {"X-Request-Start": stamp} if stamp is not None else {}
    return client.put(f"/people/{world.lan_child.id}/updates/{ago(0)}", WELL, headers=headers)


def test_it_refuses_a_request_that_waited_too_long_in_the_queue(world, api, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_MODE = False  # on, a late daily update is stored first (test_rush.py)
    client = api.as_(world.lan)

    resp = _put_update(client, world, f"t={time.time() - 2:.3f}")

    assert resp.status_code == 503
    assert resp["Retry-After"] == str(settings.OVERLOAD_RETRY_AFTER_SECONDS)
    assert resp["X-Overload"] == "queue"
    assert resp.json()["error"]["code"] == "overloaded"
    assert not DailyUpdate.objects.exists()


def test_it_serves_a_request_stamped_recently(world, api, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    client = api.as_(world.lan)

    # nginx's $msec (seconds), milliseconds and microseconds are all understood.
    for stamp_of in (
        lambda now: f"t={now:.3f}", lambda now: str(int(now * 1000)), lambda now: f"t={int(now * 1_000_000)}"
    ):
        stamp = stamp_of(time.time())
        resp = _put_update(client, world, stamp)
        assert resp.status_code in (200, 201), (stamp, resp.content)
    assert DailyUpdate.objects.filter(person=world.lan_child).count() == 1


def test_it_ignores_the_stamp_when_the_check_is_off(world, api, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 0
    client = api.as_(world.lan)

    resp = _put_update(client, world, f"t={time.time() - 3600:.3f}")

    assert resp.status_code == 201
    assert DailyUpdate.objects.filter(person=world.lan_child).exists()


def test_it_ignores_a_stamp_that_is_not_a_time(world, api, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    client = api.as_(world.lan)

    resp = _put_update(client, world, "t=yesterday")

    assert resp.status_code == 201


def test_it_answers_pages_in_plain_text(db, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500

    resp = Client().get("/", headers={"X-Request-Start": f"t={time.time() - 5:.3f}"})

    assert resp.status_code == 503
    assert resp["Content-Type"].startswith("text/plain")
    assert resp["Retry-After"]


def test_it_never_sheds_the_health_check(db, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500

    resp = Client().get("/healthz", headers={"X-Request-Start": f"t={time.time() - 5:.3f}"})

    assert resp.status_code != 503 or resp.json()["worker"] == "never_seen"
    assert not resp.has_header("X-Overload")


def test_it_refuses_requests_beyond_the_in_flight_limit(db, settings):
    """With room for one request per process, a second one arriving while the first is still
    running gets 503 at once; after the first finishes, requests are served again."""
    settings.OVERLOAD_MAX_INFLIGHT = 1
    settings.OVERLOAD_MAX_QUEUE_MS = 0
    client = Client()  # one handler = one worker process's middleware chain
    started, release = threading.Event(), threading.Event()
    real_keys = pass_selectors.pass_public_keys()

    def slow_keys():
        started.set()
        release.wait(10)
        return real_keys

    results: dict[str, int] = {}

    def first_request():
        results["first"] = client.get("/api/v1/passes/keys").status_code

    with mock.patch.object(pass_selectors, "pass_public_keys", side_effect=slow_keys):
        thread = threading.Thread(target=first_request)
        thread.start()
        try:
            assert started.wait(10)
            second = client.get("/api/v1/passes/keys")
        finally:
            release.set()
            thread.join(10)

    assert second.status_code == 503
    assert second["X-Overload"] == "inflight"
    assert second["Retry-After"] == str(settings.OVERLOAD_RETRY_AFTER_SECONDS)
    assert results["first"] == 200
    assert client.get("/api/v1/passes/keys").status_code == 200


def _wsgi(path: str, stamp: str | None, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    """One request through the production WSGI entry point (khaibao/wsgi.py), as granian calls it."""
    from wsgiref.util import setup_testing_defaults

    from khaibao.wsgi import application

    environ: dict[str, object] = {"PATH_INFO": path, "REQUEST_METHOD": method}
    if stamp is not None:
        environ["HTTP_X_REQUEST_START"] = stamp
    setup_testing_defaults(environ)
    answer: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]


def test_the_wsgi_entry_point_refuses_a_late_request_before_django_sees_it(world, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_MODE = False  # on, a late daily update is let through marked (monitoring/tests/test_rush.py)

    from khaibao.wsgi import application

    with CaptureQueriesContext(connection) as queries, mock.patch.object(application, "application") as django_app:
        status, headers, body = _wsgi(f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}",
                                      f"t={time.time() - 2:.3f}", method="PUT")

    assert status.startswith("503")
    assert headers["Retry-After"] == str(settings.OVERLOAD_RETRY_AFTER_SECONDS)
    assert headers["X-Overload"] == "queue"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "overloaded"
    assert not django_app.called
    assert len(queries) == 0
    assert not DailyUpdate.objects.exists()


def test_the_wsgi_entry_point_passes_fresh_unstamped_and_health_requests_to_django(db, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    old = f"t={time.time() - 5:.3f}"

    for path, stamp in (("/api/v1/passes/keys", f"t={time.time():.3f}"), ("/api/v1/passes/keys", None),
                        ("/healthz", old)):
        status, headers, _body = _wsgi(path, stamp)
        assert "X-Overload" not in headers, (path, stamp, status)

    status, headers, body = _wsgi("/", old)
    assert status.startswith("503")
    assert headers["Content-Type"].startswith("text/plain")
    assert body.decode()


def test_the_wsgi_entry_point_ignores_the_stamp_when_the_check_is_off(db, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 0

    status, headers, _body = _wsgi("/api/v1/passes/keys", f"t={time.time() - 3600:.3f}")

    assert status.startswith("200")
    assert "X-Overload" not in headers
