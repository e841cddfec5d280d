"""The task worker: django-tasks-db's worker plus a small scheduler thread for periodic jobs.

Periodic jobs are enqueued as ordinary tasks (so any worker on any machine may run them);
the heartbeat is one of them, which is why /healthz can trust it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from khaibao.core.schedule import enqueue_due
from khaibao.core.tasks import worker_heartbeat

logger = logging.getLogger(__name__)


def _scheduler(worker_id: str, stop: threading.Event) -> None:
    last_beat = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_beat >= settings.WORKER_HEARTBEAT_SECONDS:
                worker_heartbeat.enqueue(worker_id)
                last_beat = time.monotonic()
            enqueue_due()
        except Exception:  # a failed enqueue must not kill the scheduler
            logger.exception("scheduler tick failed")
        finally:
            close_old_connections()
        stop.wait(5)


class Command(BaseCommand):
    help = "Run the background task worker (and its periodic-job scheduler)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--no-scheduler", action="store_true", help="Only run tasks.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = f"{socket.gethostname()}-{os.getpid()}"[:64]
        stop = threading.Event()
        if not options["no_scheduler"]:
            threading.Thread(target=_scheduler, args=(worker_id, stop), daemon=True).start()
        self.stdout.write(f"Worker {worker_id} started.")
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        # Graceful stop on Ctrl-C / SIGTERM: finish the running task, then exit.
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
