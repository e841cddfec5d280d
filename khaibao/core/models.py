from __future__ import annotations

from django.db import models
from django.utils import timezone

from khaibao.core.fields import EncryptedBinaryField


class WorkerHeartbeat(models.Model):
    """Written by the task worker itself (as a task), so a fresh row proves tasks really run."""

    worker_id = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class ScheduledRun(models.Model):
    """One row per periodic job per time slot: with many workers on many machines, only the
    worker whose insert succeeds enqueues that slot's run (the unique constraint decides)."""

    name = models.CharField(max_length=200)
    slot = models.BigIntegerField()  # floor(unix time / interval)
    enqueued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="scheduled_run_once")]

    def __str__(self) -> str:
        return f"{self.name} #{self.slot}"


class IdempotencyRecord(models.Model):
    """The stored answer to a create request, replayed when the same key comes again: the API's
    `Idempotency-Key` and the citizen forms' submission key (core/idempotency.py owns both).

    `owner` scopes keys to the caller (an account, or an anonymous client) so one caller's key
    can never replay another's response.
    """

    owner = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    # A replayed create response names the person (phone, ID number, street): encrypted.
    body = EncryptedBinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # The table keeps the name it had in the api app, where the model was first written.
        db_table = "api_idempotencyrecord"
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
