"""Consent withdrawals, erasures and their confirmation codes (issue 8 §2–§4).

Rows here name people by their pseudonymous id only (`person_id`, no foreign key): they must
outlive the person they are about, and they must never hold a name, phone or ID number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.accounts.models import OneTimeCode


class ErasureReason(models.TextChoices):
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    REQUEST = "request", _("Erasure requested by the citizen")


class ErasureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to run")
    DONE = "done", _("Done")


class ConsentWithdrawal(models.Model):
    """A household owner withdrew consent for one person: processing stopped at `withdrawn_at`."""

    person_id = models.BigIntegerField(unique=True)
    consent_version = models.CharField(max_length=20, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"consent withdrawn for person {self.person_id}"


class Erasure(models.Model):
    """The erasure of one person's data, run in the background by `privacy.tasks.erasure_run`.

    `counts` holds how many rows of each table went: numbers only, kept as evidence.
    """

    person_id = models.BigIntegerField(db_index=True)
    reason = models.CharField(max_length=20, choices=ErasureReason.choices)
    status = models.CharField(max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # While rows still feed statistics that are recomputed (today and yesterday), the person
    # is kept as an anonymous shell; the retention job removes it once this moment is past.
    shell_until = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"], name="erasure_status")]

    def __str__(self) -> str:
        return f"erasure of person {self.person_id} ({self.status})"


class ErasureCode(OneTimeCode):
    """A one-time code confirming an erasure, bound to one account and to the people chosen.

    Stored as a keyed hash; valid OTP_CODE_TTL_SECONDS; at most OTP_MAX_ATTEMPTS guesses.
    """

    # No index of its own: "erasure_code_recent" (account, -created_at) leads with it.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # What the code confirms: withdrawing consent or erasing (both end in an erasure).
    reason = models.CharField(max_length=20, choices=ErasureReason.choices)
    person_ids = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["account", "-created_at"], name="erasure_code_recent")]

    def __str__(self) -> str:
        return f"erasure code {self.pk}"
