"""Periodic job of the SMS channel."""

from __future__ import annotations

from django_tasks import task


@task()
def inbound_sms_prune() -> int:
    """Hourly (settings.PERIODIC_TASKS): forget inbound messages older than SMS_INBOUND_KEEP_DAYS."""
    from khaibao.smsin.services import inbound_sms_prune as prune

    return prune()
