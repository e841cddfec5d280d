from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by the task worker itself (as a task), so a fresh row proves tasks really run."""

    worker_id = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
