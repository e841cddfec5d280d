"""The one retry schedule of outbound messages sent by the worker: the notification deliveries
(notifications.tasks), a traced contact's invitation (tracing.invitations) and the reply to an
inbound SMS (smsin.outbox). Kept here, below all three, so each calls it instead of repeating
the arithmetic (the deliveries' app sits above tracing, and smsin above both).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def retry_delay(attempt: int) -> timedelta:
    """The wait after failed attempt number `attempt` (1-based):
    `NOTIFY_RETRY_BASE_SECONDS` × `NOTIFY_RETRY_FACTOR`^(attempt − 1) — 1, 5, 25 minutes by default."""
    return timedelta(seconds=settings.NOTIFY_RETRY_BASE_SECONDS * settings.NOTIFY_RETRY_FACTOR ** (attempt - 1))
