"""Inbound SMS (tin nhắn đến) from feature phones, one row per gateway message."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from khaibao.core.fields import EncryptedTextField


class ReplyStatus(models.TextChoices):
    # Admin-only words, as the rest of this model's (no citizen or official reads them).
    HELD = "held", "held back (hourly limit)"
    QUEUED = "queued", "queued"
    SENT = "sent", "sent"
    FAILED = "failed", "failed, will be retried"
    GAVE_UP = "gave_up", "gave up"


class InboundSms(models.Model):
    """One message the gateway delivered, what it meant and what was answered.

    `message_id` is the gateway's id and unique: a gateway that delivers the same message twice
    (a retry after a timeout) gets the first answer back and nothing happens twice. The text
    and the reply are encrypted: a registration carries an ID number, a reply a risk level.
    """

    message_id = models.CharField(max_length=100, unique=True)
    phone = EncryptedTextField()
    phone_index = models.CharField(max_length=64, db_index=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_sms"
    )
    text = EncryptedTextField(blank=True, default="")
    # The command's code in clear (admin, filters): a daily update is "daily_update" whether the
    # person is well or has symptoms — which one is health data, in the encrypted text only.
    command = models.CharField(max_length=20)
    outcome = models.CharField(max_length=30)
    reply = EncryptedTextField(blank=True, default="")
    received_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Empty when the reply was held back (too many replies to one phone in an hour).
    reply_queued = models.BooleanField(default=True)
    # Where the reply is (outbox.py): held back, queued, sent, failed (retrying) or gave up;
    # blank on rows received before replies were sent by the worker (migration 0005).
    reply_status = models.CharField(max_length=10, choices=ReplyStatus.choices, blank=True, default="")

    class Meta:
        verbose_name = "inbound SMS"
        verbose_name_plural = "inbound SMS"
        # The hourly prune's range (services.inbound_sms_prune); built CONCURRENTLY on
        # PostgreSQL (migration 0004).
        indexes = [models.Index(fields=["created_at"], name="smsin_created_at")]

    def __str__(self) -> str:
        return f"inbound SMS {self.message_id} ({self.command})"


class InboundSmsReply(models.Model):
    """The outbox of one reply while it waits or is retried (outbox.py): written with the message
    in the webhook's transaction, sent by the worker, deleted once sent or given up.

    It holds no text and no phone: both stay encrypted on the message (`InboundSms.reply`,
    `.phone`), so a reply waiting here is erased or pruned with its message (CASCADE).
    """

    inbound = models.OneToOneField(InboundSms, primary_key=True, on_delete=models.CASCADE, related_name="reply_outbox")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "inbound SMS reply waiting"
        verbose_name_plural = "inbound SMS replies waiting"
        # The sweep looks for replies whose time has come (every row here is pending).
        indexes = [models.Index(fields=["next_attempt_at"], name="smsin_reply_due")]

    def __str__(self) -> str:
        return f"reply to inbound SMS {self.inbound_id} ({self.attempts} attempts)"
