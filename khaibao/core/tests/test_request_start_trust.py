"""X-Request-Start is believed only from a proxy that sets it (OVERLOAD_TRUST_REQUEST_START,
core/overload.py): straight from a client, a late stamp on the daily update would put the whole
process in rush mode — every other citizen's update answered 202 pending for RUSH_HOLD_SECONDS —
and a stream of them would feed the standing queue's history."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest

from khaibao.accounts.access_tokens import session_start
from khaibao.core import overload
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import PendingAssessment

WELL: dict[str, Any] = {"symptoms": [], "temperature": None, "feeling": "well"}


@pytest.fixture
def rush(settings: Any) -> Any:
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_MAX_QUEUE_MS = 0  # no bound: a slow first request of the run is not refused
    settings.RUSH_MODE = True
    settings.RUSH_LANE = True
    settings.RUSH_HOLD_SECONDS = 5
    settings.OVERLOAD_STANDING_QUEUE_MS = 1000
    settings.OVERLOAD_STANDING_AFTER_MS = 1000
    return settings


def _late() -> dict[str, str]:
    return {"X-Request-Start": f"t={time.time() - 2:.3f}"}


def _signed(api: Any, account: Any) -> Any:
    return type(api)(token=session_start(account=account).access_token)


def _forge_then_update(api: Any, world: Any) -> tuple[Any, Any]:
    forged = _signed(api, world.mai).put(f"/people/{world.mai_self.id}/updates/{ago(0)}", WELL, headers=_late())
    other = _signed(api, world.lan).put(f"/people/{world.lan_self.id}/updates/{ago(0)}", WELL)  # no stamp
    return forged, other


def test_a_client_stamp_puts_no_one_in_rush_mode(world, api, rush):
    rush.OVERLOAD_TRUST_REQUEST_START = False  # no proxy that stamps: the header is the client's

    forged, other = _forge_then_update(api, world)

    assert forged.status_code == 201, forged.content  # served as if unstamped: assessed
    assert other.status_code == 201, other.content
    assert other.json()["assessment"] != {"status": "pending"}
    assert not overload.rush_active()
    assert not PendingAssessment.objects.exists()


def test_behind_the_stamping_proxy_one_late_request_holds_the_process_in_rush_mode(world, api, rush):
    # The design (decision 0008 D): a stamp the proxy set is the queue's own time.
    rush.OVERLOAD_TRUST_REQUEST_START = True

    forged, other = _forge_then_update(api, world)

    assert (forged.status_code, other.status_code) == (202, 202)
    assert overload.rush_active()


@pytest.mark.parametrize(("trusted", "rush_route", "verdict"), [
    (False, True, None), (False, False, None), (True, True, "rush"), (True, False, "refuse"),
])
def test_admission_believes_the_stamp_only_when_trusted(rush, trusted, rush_route, verdict):
    rush.OVERLOAD_TRUST_REQUEST_START = trusted
    overload.rush_reset()
    now = time.time()
    method, path = ("PUT", f"/api/v1/people/7/updates/{ago(0)}") if rush_route else ("GET", "/api/v1/me")

    assert overload.admission(method, path, f"t={now - 2:.3f}", now) == verdict
    assert overload.rush_active(now) is (verdict == "rush")


def test_client_stamps_do_not_make_a_standing_queue(rush):
    rush.OVERLOAD_TRUST_REQUEST_START = False
    rush.OVERLOAD_MAX_QUEUE_MS = 0  # only the standing queue's check
    now = time.time()
    # Two seconds of requests that each claim 400 ms of queueing (more than a fifth of 1000 ms)…
    for i in range(21):
        overload.admission("GET", "/api/v1/me", f"t={now + i / 10 - 0.4:.3f}", now + i / 10)
    # …then one that claims 1.5 s: under a standing queue it would be refused.
    assert overload.admission("GET", "/api/v1/me", f"t={now + 0.6:.3f}", now + 2.1) is None


def test_the_wsgi_entry_point_ignores_a_client_stamp(world, rush):
    from wsgiref.util import setup_testing_defaults

    from khaibao.wsgi import application

    rush.OVERLOAD_TRUST_REQUEST_START = False
    seen: list[dict[str, Any]] = []

    def django_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [])
        return [b""]

    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        statuses.append(status)

    for method, path in (("PUT", f"/api/v1/people/{world.lan_self.id}/updates/{ago(0)}"), ("GET", "/api/v1/me")):
        environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_X_REQUEST_START": _late()["X-Request-Start"]}
        setup_testing_defaults(environ)
        with mock.patch.object(application, "application", django_app):
            b"".join(application(environ, start_response))
    assert statuses == ["200 OK", "200 OK"]  # neither refused
    assert [overload.RUSH_ENVIRON in environ for environ in seen] == [False, False]  # not marked
    assert not overload.rush_active()
