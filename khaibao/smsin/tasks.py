"""Background work of the SMS channel: the replies to inbound messages and the hourly prune."""

from __future__ import annotations

from django_tasks import task


@task()
def inbound_sms_reply_send(inbound_id: int) -> str:
    """One attempt at the reply to an inbound SMS (smsin.outbox.reply_send)."""
    from khaibao.smsin.outbox import reply_send

    return reply_send(inbound_id)


@task()
def inbound_sms_replies_requeue() -> int:
    """Every minute (settings.PERIODIC_TASKS): enqueue again the replies whose time passed long
    ago — a lost enqueue, a worker killed mid-send (smsin.outbox)."""
    from khaibao.smsin.outbox import replies_requeue

    return replies_requeue()


@task()
def inbound_sms_prune() -> int:
    """Hourly (settings.PERIODIC_TASKS): forget inbound messages older than SMS_INBOUND_KEEP_DAYS."""
    from khaibao.smsin.services import inbound_sms_prune as prune

    return prune()
