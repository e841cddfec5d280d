"""Rush mode (decision D, docs/decisions/0008): under overload a daily update is stored first
(202 + Location), a worker assesses it in batches, nothing acknowledged is lost or assessed twice."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.core import overload
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import Assessment, DailyUpdate, PendingAssessment, PersonStatus
from khaibao.monitoring.pending import pending_assess_all, pending_assess_batch, pending_backlog

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}
COUGH = {"symptoms": ["cough"], "temperature": None, "feeling": "unwell"}


def _late() -> dict[str, str]:
    return {"X-Request-Start": f"t={time.time() - 2:.3f}"}


@pytest.fixture
def overloaded(settings: Any) -> Any:
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_MAX_QUEUE_MS = 10_000
    settings.RUSH_MODE = True
    # Each test's late requests are the bound's cases, not a standing queue (test_standing_queue.py).
    settings.OVERLOAD_STANDING_QUEUE_MS = 0
    return settings


def _put(client: Any, person: Any, body: dict[str, Any], headers: dict[str, str] | None = None, day: int = 0) -> Any:
    return client.put(f"/people/{person.id}/updates/{ago(day)}", body, headers=headers or {})


def test_a_late_daily_update_is_stored_first_and_answered_202(world, api, overloaded):
    client = api.as_(world.lan)
    client.post(f"/people/{world.lan_child.id}/declarations", declaration())
    status_before = PersonStatus.objects.get(person=world.lan_child)

    resp = _put(client, world.lan_child, COUGH, _late())

    assert resp.status_code == 202, resp.content
    assert resp.json()["assessment"] == {"status": "pending"}
    assert resp.json()["symptoms"] == ["cough"]
    assert resp["Location"] == f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}"
    update = DailyUpdate.objects.get(person=world.lan_child)
    assert PendingAssessment.objects.get(daily_update_id=update.pk).person_id == world.lan_child.id
    assert AuditEvent.objects.filter(action="daily_update.create", object_id=str(update.pk)).count() == 1
    # Not assessed yet: no new assessment, the status row untouched.
    assert Assessment.objects.filter(person=world.lan_child).count() == 1
    assert PersonStatus.objects.get(person=world.lan_child).assessed_at == status_before.assessed_at


@pytest.mark.postgres_only
def test_storing_first_is_one_statement(world, api, overloaded):
    # The view's own path (SQLite, volunteers, RUSH_LANE=0); the rush lane's: api/tests/test_rush_lane.py.
    overloaded.RUSH_LANE = False
    client = api.as_(world.lan)
    client.post(f"/people/{world.lan_child.id}/declarations", declaration())
    with CaptureQueriesContext(connection) as queries:
        resp = _put(client, world.lan_child, WELL, _late())
    assert resp.status_code == 202
    service = [q["sql"] for q in queries if "monitoring_" in q["sql"]]
    assert len(service) == 1, service
    assert service[0].startswith('WITH written AS (INSERT INTO "monitoring_dailyupdate"')
    assert "monitoring_pendingassessment" in service[0]
    assert 'INSERT INTO "audit_auditevent"' in service[0]


def test_the_poll_says_pending_then_done_with_the_final_level(world, api, overloaded):
    client = api.as_(world.lan)
    client.post(f"/people/{world.lan_child.id}/declarations", declaration())
    location = _put(client, world.lan_child, COUGH, _late())["Location"]

    waiting = client.get(location).json()["assessment"]
    assert (waiting["status"], waiting["level"]) == ("pending", None)
    result = pending_assess_batch()

    assert (result.updates, result.people, result.changed) == (1, 1, 1)
    polled = client.get(location).json()["assessment"]
    assert polled["status"] == "done"
    assert polled["level"] == "medium"
    assert client.get(f"/people/{world.lan_child.id}/status").json()["level"] == "medium"
    change = Assessment.objects.filter(person=world.lan_child).latest("created_at")
    assert change.daily_update_id == DailyUpdate.objects.get(person=world.lan_child).pk
    assert not PendingAssessment.objects.exists()
    assert pending_assess_batch().updates == 0  # nothing is assessed twice
    assert AuditEvent.objects.filter(action="daily_update.assess", person_id=world.lan_child.id).count() == 1


def test_other_late_requests_are_still_refused(world, api, overloaded):
    client = api.as_(world.lan)
    refused = client.get(f"/people/{world.lan_child.id}/status", headers=_late())
    assert refused.status_code == 503
    assert refused["Retry-After"]


def test_a_daily_update_that_waited_past_the_rush_bound_is_refused(world, api, overloaded):
    overloaded.RUSH_MAX_QUEUE_MS = 1000
    resp = _put(api.as_(world.lan), world.lan_child, WELL, _late())
    assert resp.status_code == 503
    assert resp["Retry-After"]
    assert not DailyUpdate.objects.exists()


def test_rush_mode_off_refuses_as_before(world, api, overloaded):
    overloaded.RUSH_MODE = False
    resp = _put(api.as_(world.lan), world.lan_child, WELL, _late())
    assert resp.status_code == 503
    assert not DailyUpdate.objects.exists()


def test_the_process_stays_in_rush_mode_for_the_hold(world, api, overloaded):
    client = api.as_(world.lan)
    assert _put(client, world.lan_child, WELL).status_code == 201  # not overloaded: assessed at once
    assert _put(client, world.lan_self, WELL, _late()).status_code == 202
    assert overload.rush_active()
    assert _put(client, world.lan_parent, WELL).status_code == 202  # on time, but the rush holds
    overload.rush_reset()
    assert _put(client, world.lan_parent, WELL).status_code == 200


def test_the_wsgi_wrapper_marks_instead_of_refusing(overloaded):
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    wrapped = overload.ShedLateRequests(app)
    stamp = f"t={time.time() - 2:.3f}"
    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": f"/api/v1/people/7/updates/{ago(0)}", "HTTP_X_REQUEST_START": stamp}
    wrapped(environ, lambda *a: None)
    assert seen[overload.RUSH_ENVIRON] is True

    statuses: list[str] = []
    body = wrapped(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/people/7/status", "HTTP_X_REQUEST_START": stamp},
        lambda status, headers: statuses.append(status),
    )
    assert statuses == ["503 Service Unavailable"]
    assert json.loads(b"".join(body))["error"]["code"] == "overloaded"


def test_the_status_page_says_assessing_then_shows_the_level(world, api, overloaded):
    client = api.as_(world.lan)
    client.post(f"/people/{world.lan_child.id}/declarations", declaration())
    browser = Client()
    browser.force_login(world.lan)
    sent = browser.post(f"/people/{world.lan_child.id}/update/", {"well": "1"}, headers=_late())
    assert sent.status_code == 302
    overload.rush_reset()
    html = browser.get(sent["Location"]).content.decode()
    assert 'id="assessment-pending"' in html
    assert 'hx-trigger="every 5s"' in html  # the worker's period (PERIODIC_TASKS)
    assert PendingAssessment.objects.filter(person=world.lan_child).exists()

    pending_assess_batch()
    html = browser.get(f"/people/{world.lan_child.id}/").content.decode()
    assert 'id="assessment-pending"' not in html
    assert "hx-trigger" not in html.split('id="assessment"')[1].split(">")[0]


def test_when_to_look_again_is_the_workers_period_everywhere(world, api, overloaded):
    # One owner: the drain's period in PERIODIC_TASKS. The 202, the pending poll and the status
    # page all say it, so none of them asks a busy service more often than the worker drains.
    overloaded.PERIODIC_TASKS = [
        (path, 7 if path == "khaibao.monitoring.tasks.pending_assessments_run" else every)
        for path, every in overloaded.PERIODIC_TASKS
    ]
    client = api.as_(world.lan)
    client.post(f"/people/{world.lan_child.id}/declarations", declaration())
    stored = _put(client, world.lan_child, COUGH, _late())
    assert (stored.status_code, stored["Retry-After"]) == (202, "7")
    waiting = client.get(stored["Location"])
    assert (waiting.json()["assessment"]["status"], waiting["Retry-After"]) == ("pending", "7")

    browser = Client()
    browser.force_login(world.lan)
    html = browser.get(f"/people/{world.lan_child.id}/").content.decode()
    assert 'hx-trigger="every 7s"' in html
    assert '<meta http-equiv="refresh" content="7">' in html
    # A fact, not only a promise: when the waiting update was received, in local time.
    queued = PendingAssessment.objects.get(person=world.lan_child).queued_at
    assert f"lúc {timezone.localtime(queued):%H:%M}, khi hệ thống đang bận" in html

    pending_assess_batch()
    done = client.get(stored["Location"])
    assert done.json()["assessment"]["status"] == "done"
    assert "Retry-After" not in done


def test_the_backlog_is_in_the_health_numbers(world, api, overloaded):
    client = api.as_(world.lan)
    _put(client, world.lan_child, WELL, _late())
    _put(client, world.lan_self, WELL, _late())
    numbers = pending_backlog(now=timezone.now())
    assert numbers["rush_pending_assessments"] == 2
    assert numbers["oldest_pending_assessment_seconds"] >= 0
    pending_assess_all()
    numbers = pending_backlog(now=timezone.now())
    assert numbers["rush_pending_assessments"] == 0
    assert numbers["rush_assessed_last_hour"] == 2
    detail = Client().get("/healthz?detail").json()
    assert detail["checks"]["jobs"]["rush_assessed_last_hour"] == 2


# --- Induced overload: many clients at once, half of them late, a worker draining meanwhile ---


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_under_an_induced_overload_every_acknowledged_update_is_stored_once_and_assessed_once(world, api, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_HOLD_SECONDS = 0  # only the late ones take the rush path: both paths race
    settings.OVERLOAD_STANDING_QUEUE_MS = 0  # late stamps for over a second would be a standing queue
    people = [world.lan_self, world.lan_child, world.lan_parent]
    token = api.as_(world.lan).token
    api.as_(world.lan).post(f"/people/{world.lan_child.id}/declarations", declaration())
    plan = [(person, day, body, late) for person in people for day in (0, 1) for body in (WELL, COUGH) for late in (True, False)]
    answers: list[tuple[Any, int, int]] = []
    stop = threading.Event()
    barrier = threading.Barrier(len(plan) + 1)

    def send(person: Any, day: int, body: dict[str, Any], late: bool) -> None:
        try:
            client = type(api)(token)
            barrier.wait(timeout=20)
            resp = _put(client, person, body, _late() if late else None, day=day)
            answers.append((person.pk, day, resp.status_code))
        finally:
            connections.close_all()

    def drain() -> None:
        try:
            barrier.wait(timeout=20)
            while not stop.is_set():
                pending_assess_batch(limit=2)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=args) for args in plan]
    worker = threading.Thread(target=drain)
    for t in [*threads, worker]:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stop.set()
    worker.join(timeout=60)
    pending_assess_all()

    codes = Counter(code for _p, _d, code in answers)
    assert set(codes) <= {200, 201, 202}, codes
    assert codes[202] > 0
    assert codes[200] + codes[201] > 0
    acknowledged = {(p, d) for p, d, _code in answers}
    stored = Counter((u.person_id, (world_today() - u.day).days) for u in DailyUpdate.objects.filter(person__in=people))
    assert set(stored) == acknowledged
    assert set(stored.values()) == {1}  # once each
    assert not PendingAssessment.objects.exists()
    # Every write stored first was assessed by exactly one batch (its `daily_update.assess` events):
    # a row stored first, assessed, then stored first again by a later PUT of the same day is
    # rightly assessed again — so no row is named by more batches than it had writes stored
    # first (and none is left pending: above). A row stored first and then replaced by an update
    # assessed at once needs no batch.
    assessed = Counter(
        update_id for e in AuditEvent.objects.filter(action="daily_update.assess") for update_id in e.data["updates"]
    )
    assert assessed, "no update was stored first"
    rows = {(u.person_id, (world_today() - u.day).days): u.pk for u in DailyUpdate.objects.filter(person__in=people)}
    stored_first = Counter(rows[(p, d)] for p, d, code in answers if code == 202)
    assert set(assessed) <= set(stored_first), (assessed, stored_first)
    assert all(assessed[pk] <= stored_first[pk] for pk in assessed), (assessed, stored_first)
    # The citizen sees the final level: the one a fresh synchronous update computes from the same rows.
    client = api.as_(world.lan)
    for person in people:
        seen = client.get(f"/people/{person.id}/status").json()["level"]
        again = client.put(f"/people/{person.id}/updates/{ago(0)}", _today_body(person)).json()["assessment"]["level"]
        assert seen == again, person


def world_today() -> Any:
    return timezone.localdate()


def _today_body(person: Any) -> dict[str, Any]:
    update = DailyUpdate.objects.get(person=person, day=world_today())
    return {"symptoms": update.symptoms, "temperature": None, "feeling": update.feeling}
