"""`/healthz`: does this deployment do its work? One check per part, each with its numbers.

* `app` — a trivial template renders (template engine, translations, static files manifest): a
  site whose every page fails must not look healthy;
* `database` — answers `SELECT 1` within HEALTHZ_DB_TIMEOUT_MS; every query of the health check
  runs under that bound (SET LOCAL statement_timeout and lock_timeout on PostgreSQL), so a
  locked table or a stalled server makes /healthz answer 503 quickly instead of hanging, and
  none of its queries touches the tables requests write to;
* `worker` — the newest worker heartbeat (a task the worker runs) is younger than
  WORKER_STALE_SECONDS;
* `jobs` — work is not piling up: the most overdue periodic job, the oldest task waiting for a
  worker and the sources in HEALTH_BACKLOG_SOURCES (the oldest due notification delivery) are
  all within HEALTH_MAX_BACKLOG_SECONDS;
* `sign_in_sms` (detail only, never fails the answer) — sign-in codes sent and not sent in the
  last hour.

The numbers are counts and ages — nothing about any person — so `?detail` needs no token.
`?web` checks only what an app server needs to serve requests (app, database): for load
balancers, which must not take every app server out because the workers are behind.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from khaibao.core.counters import counters_since
from khaibao.core.failures import describe, is_transient
from khaibao.core.models import ScheduledRun, WorkerHeartbeat
from khaibao.core.schedule import periodic_tasks
from khaibao.core.workers import live_workers

logger = logging.getLogger(__name__)

WEB_CHECKS = ("app", "database")
ALL_CHECKS = ("app", "database", "worker", "jobs")


def _app() -> dict[str, Any]:
    try:
        rendered = render_to_string("healthz.html")
    except Exception as exc:  # any failure here is what every page would hit
        logger.warning("healthz: the app cannot render a page: %s", describe(exc))
        return {"ok": False, "state": "error", "error": type(exc).__name__}
    return {"ok": bool(rendered.strip()), "state": "ok"}


def _bound_this_transaction() -> None:
    if connection.vendor != "postgresql":
        return
    ms = int(settings.HEALTHZ_DB_TIMEOUT_MS)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {ms}")
        cursor.execute(f"SET LOCAL lock_timeout = {ms}")


def _age(now: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else round(max(0.0, (now - moment).total_seconds()), 1)


def _worker(now: datetime) -> dict[str, Any]:
    last = (
        WorkerHeartbeat.objects.filter(beat_at__isnull=False)
        .order_by("-beat_at")
        .values_list("beat_at", flat=True)
        .first()
    )
    age = _age(now, last)
    if last is None:
        state = "never_seen"
    elif age is not None and age > settings.WORKER_STALE_SECONDS:
        state = "stale"
    else:
        state = "ok"
    return {
        "ok": state == "ok",
        "state": state,
        "last_heartbeat": last.isoformat() if last else None,
        "heartbeat_age_seconds": age,
        "live_workers": len(live_workers(now=now)),
    }


def _most_overdue_periodic_job(now: datetime) -> tuple[str | None, float]:
    """The periodic job whose next slot is furthest past (one index probe per job)."""
    worst: tuple[str | None, float] = (None, 0.0)
    epoch = now.timestamp()
    for path, every in periodic_tasks():
        last_slot = (
            ScheduledRun.objects.filter(name=path).order_by("-slot").values_list("slot", flat=True).first()
        )
        if last_slot is None:
            continue  # never scheduled yet: the worker check tells that story
        overdue = epoch - (last_slot + 1) * every
        if overdue > worst[1]:
            worst = (path, round(overdue, 1))
    return worst


def _oldest_ready_task(now: datetime) -> float:
    """How long the task waiting longest for a worker has waited: since it was enqueued, or since
    its `run_after` for a delayed one.

    Index probes only (django_tasks_db's ready index: priority, run_after, enqueued_at), one
    priority at a time: a MIN over the ready tasks grows with them (~65 ms at 300k, review
    "scale") and a backlog must not read as a slow database.
    """
    never = get_date_max()
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY).order_by()
    oldest: list[datetime] = []
    below = ready
    # The project enqueues every task at one priority, so this loop runs once or twice.
    while (priority := below.order_by("-priority").values_list("priority", flat=True).first()) is not None:
        same = ready.filter(priority=priority)
        undelayed = same.filter(run_after=never).order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        delayed = same.filter(run_after__lt=never).order_by("run_after").values_list("run_after", flat=True).first()
        oldest += [moment for moment in (undelayed, delayed) if moment is not None]
        below = ready.filter(priority__lt=priority)
    ages = [_age(now, moment) for moment in oldest]
    return max([a for a in ages if a is not None], default=0.0)


def _jobs(now: datetime) -> dict[str, Any]:
    job, overdue = _most_overdue_periodic_job(now)
    numbers: dict[str, Any] = {
        "most_overdue_periodic_job": job,
        "most_overdue_periodic_job_seconds": overdue,
        "oldest_ready_task_seconds": _oldest_ready_task(now),
    }
    for path in settings.HEALTH_BACKLOG_SOURCES:
        numbers.update(import_string(path)(now=now))
    limit = settings.HEALTH_MAX_BACKLOG_SECONDS
    late = sorted(k for k, v in numbers.items() if k.endswith("_seconds") and (v or 0) > limit)
    return {"ok": not late, "state": "piling_up" if late else "ok", "late": late, **numbers}


def _sign_in_sms(now: datetime) -> dict[str, Any]:
    counts = counters_since(["sms.sign_in.sent", "sms.sign_in.failed"], now - timedelta(hours=1))
    return {
        "ok": True,
        "state": "ok",
        "sent_last_hour": counts["sms.sign_in.sent"],
        "failed_last_hour": counts["sms.sign_in.failed"],
    }


def _database_checks(now: datetime, names: tuple[str, ...], detail: bool) -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {}
    try:
        with transaction.atomic():
            _bound_this_transaction()
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            checks["database"] = {"ok": True, "state": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}
            if "worker" in names:
                checks["worker"] = _worker(now)
            if "jobs" in names:
                checks["jobs"] = _jobs(now)
            if detail:
                checks["sign_in_sms"] = _sign_in_sms(now)
    except DatabaseError as exc:
        # A query past the bound is "slow"; anything else means the database cannot be used.
        slow = getattr(exc.__cause__, "sqlstate", None) in ("57014", "55P03")
        logger.warning("healthz: database %s: %s", "slow" if slow else "error", describe(exc))
        checks = {"database": {"ok": False, "state": "slow" if slow else "error", "error": type(exc).__name__,
                               "transient": is_transient(exc)}}
        for name in names:
            if name not in ("app", "database"):
                checks[name] = {"ok": False, "state": "unknown"}
    return checks


def health_report(*, detail: bool = False, web_only: bool = False) -> tuple[bool, dict[str, Any]]:
    """(healthy, report): healthy only when every check asked for is fine."""
    names = WEB_CHECKS if web_only else ALL_CHECKS
    now = timezone.now()
    checks = {"app": _app(), **_database_checks(now, names, detail)}
    healthy = all(checks[name]["ok"] for name in names)
    report: dict[str, Any] = {name: checks[name]["state"] for name in names}
    if "worker" in checks and "last_heartbeat" in checks["worker"]:
        report["worker_last_heartbeat"] = checks["worker"]["last_heartbeat"]
    report["status"] = "ok" if healthy else ("down" if not checks["database"]["ok"] else "degraded")
    if detail:
        report["checks"] = checks
    return healthy, report
