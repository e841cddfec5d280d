"""Issue 17: `make run`'s terminal — routine periodic task runs are quiet (failures and slow
runs still show), and the development SMS stands out."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django_tasks import task

from khaibao.accounts.sms import send_sms
from khaibao.exports.tests.helpers import immediate_tasks
from khaibao.stats.tasks import stats_refresh


@task()
def _one_off_that_fails() -> None:
    raise RuntimeError("the gateway is down")


@pytest.fixture
def tasks_now(settings: Any) -> None:
    immediate_tasks(settings)


def _task_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django_tasks" and r.levelno >= level]


def test_it_keeps_routine_periodic_runs_out_of_the_info_log(db: None, tasks_now: None, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="django_tasks")
    stats_refresh.enqueue()
    assert not [line for line in _task_lines(caplog, logging.INFO) if "stats_refresh" in line]
    quiet = [line for line in _task_lines(caplog, logging.DEBUG) if "stats_refresh" in line and "state=" in line]
    assert len(quiet) == 2  # started and finished, at DEBUG


def test_it_still_shows_a_slow_periodic_run(db: None, tasks_now: None, caplog: Any, settings: Any) -> None:
    settings.TASK_SLOW_LOG_SECONDS = -1  # every run counts as slow
    caplog.set_level(logging.DEBUG, logger="django_tasks")
    stats_refresh.enqueue()
    warnings = _task_lines(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert "stats_refresh" in warnings[0]
    assert " took " in warnings[0]


def test_it_still_shows_a_failure_with_its_traceback(db: None, tasks_now: None, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="django_tasks")
    _one_off_that_fails.enqueue()
    errors = [r for r in caplog.records if r.name == "django_tasks" and r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "state=FAILED" in errors[0].getMessage()
    assert errors[0].exc_info is not None


def test_it_frames_the_development_sms(settings: Any, capsys: Any) -> None:
    settings.SMS_BACKEND = "console"
    send_sms(to="+84900000001", body="Khai Bao: your sign-in code is 123456. It expires in 5 minutes. Never share it.")
    out = capsys.readouterr().out.splitlines()
    framed = [line for line in out if line.startswith(("╔", "║", "╚"))]
    assert framed[0].startswith("╔═")
    assert framed[-1].startswith("╚═")
    assert "║ SMS to +84900000001" in framed[1]
    assert any("123456" in line for line in framed)
    assert len({len(line) for line in framed}) == 1  # a closed frame
