from __future__ import annotations

from django.db import models


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
