from __future__ import annotations

from django.db import models
from django.utils import timezone

from khaibao.core.fields import EncryptedBinaryField


class WorkerHeartbeat(models.Model):
    """One row per worker process (`manage.py run_worker`), two clocks:

    * `beat_at` is written by a task the worker enqueues for itself, so a fresh value proves that
      tasks really run (/healthz);
    * `alive_at` is written directly by the worker's keeper thread every few seconds, so a fresh
      value proves the process lives and reaches the database, however long its current task
      takes; the sweep closes the tasks of workers whose `alive_at` went stale (core/workers.py).
    Both stop while the worker cannot reach the database.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField(null=True, blank=True)
    alive_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.worker_id} alive {self.alive_at} beat {self.beat_at}"


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


class OpsCounter(models.Model):
    """How often something operators must see happened, per hour (e.g. sign-in SMS that could not
    be sent): /healthz?detail shows the last hour's counts. Kept a week (core/counters.py)."""

    name = models.CharField(max_length=100)
    hour = models.DateTimeField()  # the start of the hour (UTC)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "hour"], name="ops_counter_once_per_hour")]

    def __str__(self) -> str:
        return f"{self.name} {self.hour:%Y-%m-%d %H}h: {self.count}"


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
