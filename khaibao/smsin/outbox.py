"""The reply to an inbound SMS: queued with the message, sent by the worker, retried, given up.

Before (review "scale" #9), the webhook sent the reply over HTTP inside the gateway's request, on
commit: each message held a web worker for the gateway's round trip (up to
`SMS_HTTP_TIMEOUT_SECONDS`), and a failed reply was only logged — lost. Now, as a traced
contact's invitation (tracing/invitations.py):

* `reply_queue` writes an `InboundSmsReply` outbox row in the webhook's transaction (the text and
  the phone stay encrypted on the message) and enqueues `inbound_sms_reply_send` once it commits —
  an enqueue, never the SMS itself: the webhook answers as soon as the row commits;
* the worker sends it (`reply_send`); a failure is retried after `core.retries.retry_delay`
  (the deliveries' `NOTIFY_*` schedule) until `NOTIFY_MAX_ATTEMPTS`, then the reply is given up —
  logged, counted (hourly operational counter `sms.inbound_reply.gave_up`, `core_opscounter`)
  and marked on the message (`InboundSms.reply_status`, Django admin);
* an attempt is claimed with a conditional UPDATE (a lease of `NOTIFY_SEND_LEASE_SECONDS`), so a
  duplicate task never sends twice; the outbox row is deleted once sent or given up;
* `replies_requeue` (periodic, `inbound_sms_replies_requeue`) enqueues again the replies whose
  time passed `NOTIFY_REQUEUE_GRACE_SECONDS` ago: a lost enqueue, a worker killed mid-send.

Replies are not notification `Delivery` rows: those belong to an inbox message of an account, and
a reply answers a phone that may have no account yet (a registration refused, an unknown number).
They do not count against `SMS_DAILY_BUDGET` (docs/sms.md, "Replies").
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from khaibao.accounts.sms import send_sms
from khaibao.core.counters import counter_add
from khaibao.core.retries import attempt_claim, attempt_enqueue, attempt_failed, lost_requeue
from khaibao.smsin.models import InboundSms, InboundSmsReply, ReplyStatus
from khaibao.smsin.tasks import inbound_sms_reply_send

logger = logging.getLogger(__name__)



def reply_queue(row: InboundSms) -> None:
    """Queue the reply of the message just stored, in the caller's transaction; the worker is
    told once that transaction commits. The caller has set `row.reply_status` to queued."""
    now = timezone.now()
    InboundSmsReply.objects.create(inbound=row, next_attempt_at=now, created_at=now)
    row_id = row.pk
    # robust: whatever goes wrong here, the outbox row stays and the sweep sends it.
    transaction.on_commit(lambda: _enqueue(row_id), robust=True)


def reply_send(inbound_id: int) -> str:
    """One attempt at the reply of inbound message `inbound_id` if it is due; returns what
    happened ("sent", "failed" — retried later —, "gave_up", "not_due", "skipped")."""
    now = timezone.now()
    waiting = _waiting(inbound_id)
    if waiting is None:  # sent, given up, or its message erased or pruned
        return "skipped"
    if waiting.next_attempt_at > now:
        return "not_due"
    if not attempt_claim(InboundSmsReply, inbound_id, waiting.attempts, now):  # another worker has it
        return "skipped"
    attempt = waiting.attempts + 1
    message = waiting.inbound
    try:
        # Already unaccented and fitted into one SMS when it was written (services._fit).
        send_sms(to=message.phone, body=message.reply)
    except Exception as exc:
        error, retry_at = attempt_failed(inbound_id, attempt, exc, what="reply to inbound SMS")
        if retry_at is None:
            return _finish(inbound_id, ReplyStatus.GAVE_UP, attempt, error)
        with transaction.atomic():
            InboundSmsReply.objects.filter(pk=inbound_id).update(last_error=error, next_attempt_at=retry_at)
            InboundSms.objects.filter(pk=inbound_id).update(reply_status=ReplyStatus.FAILED)
        _enqueue(inbound_id, retry_at)
        return "failed"
    return _finish(inbound_id, ReplyStatus.SENT, attempt, "")


def _waiting(inbound_id: int) -> InboundSmsReply | None:
    # Read before the claim: another worker may claim it in between, which the claim detects.
    return InboundSmsReply.objects.filter(pk=inbound_id).select_related("inbound").first()


def _finish(inbound_id: int, status: str, attempt: int, error: str) -> str:
    with transaction.atomic():
        InboundSmsReply.objects.filter(pk=inbound_id).delete()
        InboundSms.objects.filter(pk=inbound_id).update(reply_status=status)
    if status == ReplyStatus.GAVE_UP:
        counter_add("sms.inbound_reply.gave_up")
        logger.warning("reply to inbound SMS %s gave up after %s attempt(s): %s", inbound_id, attempt, error)
    return str(status)


def _enqueue(inbound_id: int, at: datetime | None = None) -> None:
    attempt_enqueue(inbound_sms_reply_send, inbound_id, at, what="the reply to inbound SMS")


def replies_requeue() -> int:
    """Enqueue again the replies whose time passed long ago (a lost enqueue, a worker killed
    mid-send); harmless when the original attempt still runs, as `reply_send` claims first."""
    return lost_requeue(InboundSmsReply, inbound_sms_reply_send, what="the reply to inbound SMS")
