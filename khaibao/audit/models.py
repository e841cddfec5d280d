from __future__ import annotations

from django.conf import settings
from django.db import models

from khaibao.core.fields import EncryptedTextField


class AuditEvent(models.Model):
    """Append-only record of who did what to whom (DESIGN.md §7).

    Each row carries the hash of the previous row, so editing or deleting a row in the middle
    of the chain is detected by `manage.py verify_audit`. Rows are never updated by the app.
    """

    at = models.DateTimeField()
    # No SET_NULL and no database constraint: the hash covers actor_id, so the row must keep
    # the id even after the account is erased, or deleting an account would break the chain.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Kept even if the account row goes, so the trail stays readable.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # An official's stated reason (e.g. for revealing an ID number) is free text that may name a
    # person: encrypted. The hash covers the clear text, so re-encryption under a new key
    # (`manage.py rotate_keys`) never breaks the chain.
    reason = EncryptedTextField(blank=True)
    ip = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Both empty (prev_hash "", hash NULL) until `audit_seal` links the row into the chain.
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at"),
            # The DPO's search by actor name and by date (privacy/audit_trail.py); without them
            # both scanned the trail — 0.8 s and 0.45 s at 5M events (review "scale" #7).
            # Built CONCURRENTLY on PostgreSQL (migration 0008).
            models.Index(fields=["actor_label"], name="audit_actor_label"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"


class AuditChainAnchor(models.Model):
    """The one row (pk=1) remembering the last audit event removed by retention.

    Retention removes the oldest events (after RETENTION_AUDIT_DAYS): the chain then starts at
    a row whose `prev_hash` must equal `last_hash` here, so `audit_verify` still detects any
    other removal or edit.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    pruned_rows = models.BigIntegerField(default=0)
    pruned_at = models.DateTimeField()

    class Meta:
        # The table keeps the name it had in the privacy app, where the model was first written.
        db_table = "privacy_auditchainanchor"

    def __str__(self) -> str:
        return f"audit chain starts after {self.last_id}"
