"""Failures answer in the caller's format (DEBUG off): the API's JSON error with 503 + Retry-After
when the database is unavailable or past a time limit, 500 with an error id (also in the log line)
for anything else, 403/404 JSON; pages get calm Vietnamese/English pages with a way back.

The database failure is injected where a request meets the database (the daily-update service,
the home page's news), as a restart or a cancelled statement would surface there."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings

from khaibao.passes.tests.helpers import sign_in_staff

pytestmark = pytest.mark.usefixtures("_debug_off")

UPDATE = {"symptoms": [], "temperature": 36.6, "feeling": "well"}


@pytest.fixture
def _debug_off() -> Any:
    with override_settings(DEBUG=False):
        yield


def _api_client(api: Any, account: Any) -> Any:
    client = api.as_(account)
    # Without this the test client re-raises the view's exception instead of returning the answer.
    client.client = Client(raise_request_exception=False)
    return client


def _update(client: Any, person: Any) -> Any:
    return client.put(f"/people/{person.id}/updates/{date.today().isoformat()}", UPDATE)


class _PgError(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _db_error(message: str, sqlstate: str | None, kind: type[Exception] = OperationalError) -> Exception:
    """An error as Django raises it from psycopg: the driver's error (with its SQLSTATE) as cause."""
    exc = kind(message)
    exc.__cause__ = _PgError(message, sqlstate)
    return exc


@pytest.mark.parametrize(
    ("message", "sqlstate", "kind"),
    [
        ("connection failed: Connection refused", None, OperationalError),
        ("terminating connection due to administrator command", "57P01", OperationalError),
        ("canceling statement due to statement timeout", "57014", OperationalError),
        ("canceling statement due to lock timeout", "55P03", OperationalError),
        ("connection already closed", None, InterfaceError),
    ],
)
def test_it_answers_503_with_retry_after_in_the_api_format_when_the_database_is_unavailable(
    world: Any, api: Any, settings: Any, caplog: Any, message: str, sqlstate: str | None, kind: type[Exception]
) -> None:
    client = _api_client(api, world.lan)
    with mock.patch("khaibao.monitoring.services.daily_update_put", side_effect=_db_error(message, sqlstate, kind)):
        resp = _update(client, world.lan_self)

    assert resp.status_code == 503
    assert resp["Content-Type"].startswith("application/json")
    assert resp["Retry-After"] == str(settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS)
    error = resp.json()["error"]
    assert error["code"] == "unavailable"
    assert error["message"]
    # One log line with the id, no traceback flood.
    lines = [r for r in caplog.records if error["id"] in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert lines[0].exc_info is None


def test_it_answers_500_with_an_error_id_that_is_in_the_log(world: Any, api: Any, caplog: Any) -> None:
    client = _api_client(api, world.lan)
    with mock.patch("khaibao.monitoring.services.daily_update_put", side_effect=RuntimeError("a bug")):
        resp = _update(client, world.lan_self)

    assert resp.status_code == 500
    assert resp["Content-Type"].startswith("application/json")
    error = resp.json()["error"]
    assert error["code"] == "server_error"
    assert re.fullmatch(r"[0-9a-f]{12}", error["id"])
    assert "a bug" not in resp.content.decode()  # no internals leak
    logged = [r for r in caplog.records if error["id"] in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None  # the traceback, for whoever debugs it


def test_it_treats_a_bug_that_happens_to_be_a_database_error_as_500(world: Any, api: Any) -> None:
    client = _api_client(api, world.lan)
    bug = _db_error('column "nope" does not exist', "42703", kind=OperationalError)
    with mock.patch("khaibao.monitoring.services.daily_update_put", side_effect=bug):
        resp = _update(client, world.lan_self)
    assert resp.status_code == 500
    assert "Retry-After" not in resp


def test_it_answers_json_403_when_a_permission_check_refuses_under_the_api(world: Any, api: Any) -> None:
    from django.core.exceptions import PermissionDenied

    client = _api_client(api, world.lan)
    with mock.patch("khaibao.api.declarations.declarations_history", side_effect=PermissionDenied):
        resp = client.get(f"/people/{world.lan_self.id}/declarations")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"


def test_it_answers_json_404_outside_the_api_routers(client: Client, db: Any) -> None:
    resp = client.get("/api/v2/anything")  # no v1 router matches: Django's 404 handler answers
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_it_shows_a_503_page_with_a_way_home_when_the_database_is_unavailable(world: Any) -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("khaibao.web.views.home_news", side_effect=_db_error("the database system is starting up", "57P03")):
        resp = client.get("/")
    assert resp.status_code == 503
    assert resp["Retry-After"]
    html = resp.content.decode()
    assert "Dịch vụ đang bận trong giây lát" in html  # Vietnamese first
    assert 'href="/"' in html


def test_it_shows_a_500_page_in_english_with_the_error_id(world: Any, caplog: Any) -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("khaibao.web.views.home_news", side_effect=RuntimeError("a bug")):
        resp = client.get("/", headers={"Accept-Language": "en"})
    assert resp.status_code == 500
    html = resp.content.decode()
    assert "Something went wrong on our side" in html
    error_id = re.search(r"error code: ([0-9a-f]{12})", html).group(1)
    assert any(error_id in r.getMessage() for r in caplog.records)
    assert 'href="/"' in html


def test_it_renders_the_500_page_without_the_database_or_the_session(world: Any) -> None:
    client = Client(raise_request_exception=False)
    boom = _db_error("connection failed", None)
    with mock.patch("khaibao.web.views.home_news", side_effect=boom), \
            mock.patch("django.contrib.sessions.backends.db.SessionStore.load", side_effect=boom), \
            mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=boom):
        resp = client.get("/")
    assert resp.status_code == 503
    assert "Khai Báo" in resp.content.decode()


def test_it_shows_404_pages_with_a_way_back(world: Any) -> None:
    client = Client()
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404
    assert "Không tìm thấy trang này" in resp.content.decode()
    assert 'href="/"' in resp.content.decode()
    resp = client.get("/staff/no-such-page/", headers={"Accept-Language": "en"})
    assert resp.status_code == 404
    assert "We could not find this page" in resp.content.decode()
    assert 'href="/staff/"' in resp.content.decode()


def test_it_shows_a_403_page_with_the_way_back_to_the_console(world: Any) -> None:
    client = Client()
    sign_in_staff(client, world.province)  # a province official may not review break-glass accesses
    resp = client.get("/staff/break-glass/review/", headers={"Accept-Language": "en"})
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "You cannot open this page" in html
    assert "Back to the staff console" in html


def test_it_says_plainly_when_a_form_expired(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    resp = client.post("/sign-in/", {"phone": "0900000001"})
    assert resp.status_code == 403
    assert "Biểu mẫu này đã hết hạn" in resp.content.decode()
