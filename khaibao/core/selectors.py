from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from khaibao.core.models import WorkerHeartbeat


def health_report() -> tuple[bool, dict[str, Any]]:
    """Database reachable and a worker heartbeat younger than WORKER_STALE_SECONDS."""
    report: dict[str, Any] = {"database": "ok", "worker": "ok"}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        last = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    except Exception as exc:  # any database failure means unhealthy
        return False, {
            "status": "down",
            "database": "error",
            "detail": type(exc).__name__,
            "worker": "unknown",
        }
    report["worker_last_heartbeat"] = last.isoformat() if last else None
    if last is None or timezone.now() - last > timedelta(seconds=settings.WORKER_STALE_SECONDS):
        report["worker"] = "stale" if last else "never_seen"
        healthy = False
    report["status"] = "ok" if healthy else "degraded"
    return healthy, report
