"""The officials' service health page: is the service doing its work, and is it in rush mode?

The numbers are /healthz's (core/health.py: database, worker, background jobs) and rush mode's
(monitoring/pending.py: daily updates stored first under overload and still waiting for their
assessment). Counts and ages only — nothing about any person.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import official_required
from khaibao.core.health import health_report
from khaibao.core.overload import rush_active
from khaibao.monitoring.pending import pending_backlog

# Rush mode's promise (decision D): every update stored first is assessed within this long.
RUSH_PROMISE_SECONDS = 60


def _rush_numbers(checks: dict[str, Any]) -> dict[str, Any]:
    """Rush mode's numbers: /healthz's jobs check already holds them (pending_backlog is one of
    HEALTH_BACKLOG_SOURCES), and reading a large backlog twice doubled the page's cost. Read here
    only when that source is not configured; none when the database could not be read."""
    jobs = checks.get("jobs", {})
    if "rush_pending_assessments" in jobs:
        return jobs
    if not checks.get("database", {}).get("ok"):
        return {}
    return pending_backlog(now=timezone.now())


@official_required
@require_GET
def health(request: SignedInRequest) -> HttpResponse:
    healthy, report = health_report(detail=True)
    checks = report.get("checks", {})
    rush = _rush_numbers(checks)
    return render(request, "backoffice/health.html", {
        "healthy": healthy,
        "report": report,
        "database": checks.get("database", {}),
        "worker": checks.get("worker", {}),
        "jobs": checks.get("jobs", {}),
        "rush": rush,
        # On while updates wait, or while this server still holds rush mode after a late request.
        "rush_on": bool(rush.get("rush_pending_assessments")) or rush_active(),
        "rush_late": (rush.get("oldest_pending_assessment_seconds") or 0) > RUSH_PROMISE_SECONDS,
        "rush_promise": RUSH_PROMISE_SECONDS,
        "rush_enabled": settings.RUSH_MODE,
        # htmx refreshes the page's numbers while the rush lasts.
        "refresh": bool(rush.get("rush_pending_assessments")),
    })
