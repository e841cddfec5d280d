"""Notifications: the in-app inbox, channel preferences and the deliveries to other channels.

A `Notification` is the in-app message (always written). Each further channel the account
chose (SMS, e-mail, Web Push) gets one `Delivery`, sent by the task worker with retries; a
delivery that never went out ends as `gave_up` (or `refused` when the daily SMS budget is
spent) and shows in the Django admin for system admins.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class Language(models.TextChoices):
    VI = "vi", _("Vietnamese")
    EN = "en", _("English")


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WEBPUSH = "webpush", _("Web Push")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")
    REFUSED = "refused", _("Refused (daily SMS budget spent)")


class Notification(models.Model):
    """One message in an account's inbox (thông báo).

    `person` is whom it is about (a household member, an assisted person), if anyone.
    `dedupe_key` makes a sender idempotent per account: one row per (account, key).
    """

    # No index of its own: "notification_inbox" (account, -id) leads with it.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notification_account_dedupe",
            )
        ]
        indexes = [
            # The inbox is a keyset scan newest first; the unread badge counts a partial index.
            models.Index(fields=["account", "-id"], name="notification_inbox"),
            models.Index(fields=["account"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for account {self.account_id}"


class ChannelPreference(models.Model):
    """How an account wants to be reached, besides the in-app inbox (always on).

    SMS is allowed by default but only used when the sender asks for it (`sms=True`): SMS
    costs money and counts against the daily budget. E-mail needs an address; Web Push needs
    a browser subscription.
    """

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="channel_preference"
    )
    sms = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    # Encrypted like the phones beside it (docs/privacy.md): checked as an address when saved (preferences.py).
    email_address = EncryptedTextField(blank=True, default="")
    webpush = models.BooleanField(default=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.VI)
    daily_reminder = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"preferences of account {self.account_id}"


class Delivery(models.Model):
    """One notification on one channel, sent by the worker (`tasks.deliver`) with retries."""

    # No index of its own: the unique (notification, channel) constraint leads with it.
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
        ]
        indexes = [
            # The sweeper looks for deliveries still waiting whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "failed"]),
                name="delivery_due",
            ),
            models.Index(fields=["status", "channel", "-created_at"], name="delivery_admin"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery {self.pk} ({self.status})"


class WebPushSubscription(models.Model):
    """A browser's Push API subscription (endpoint + keys) for an account."""

    # No index of its own: the unique (account, endpoint) constraint leads with it.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webpush_subscriptions",
        db_index=False,
    )
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "endpoint"], name="webpush_account_endpoint"),
        ]

    def __str__(self) -> str:
        return f"web push subscription {self.pk} of account {self.account_id}"


class SmsDailyCounter(models.Model):
    """SMS messages sent (or being sent) on one local day, against `SMS_DAILY_BUDGET`."""

    day = models.DateField(primary_key=True)
    sent = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.sent} sent, {self.refused} refused"
