from __future__ import annotations

from django.db import models


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
