"""The task worker: django-tasks-db's worker plus a keeper thread (liveness and periodic jobs).

Periodic jobs are enqueued as ordinary tasks (so any worker on any machine may run them); the
heartbeat is one of them, which is why /healthz can trust it.

The worker cannot be knocked over by its database: an error in its loop (PostgreSQL restarting,
its connection terminated, the database unreachable) is logged as one line, the connections are
closed so that the next try reconnects, and it tries again after a back-off of 1, 2, 4 … seconds
up to WORKER_BACKOFF_MAX_SECONDS, each drawn at random from its upper half so that workers
restarted together do not all come back at the same instant. While it cannot reach the database
its heartbeat and liveness stamps stop, so /healthz says so. Only SIGTERM/SIGINT stop it: it
finishes the running task, then exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from khaibao.core.cpu_priority import cpu_priority_lower
from khaibao.core.failures import describe
from khaibao.core.schedule import enqueue_due
from khaibao.core.tasks import worker_heartbeat
from khaibao.core.workers import task_fail, worker_alive

logger = logging.getLogger(__name__)

# A worker loop that ran this long without an error starts its back-off from the beginning again.
_HEALTHY_AFTER_SECONDS = 60.0


class Backoff:
    def __init__(self, first: float = 1.0, cap: float | None = None) -> None:
        self.first = first
        self.cap = float(cap if cap is not None else settings.WORKER_BACKOFF_MAX_SECONDS)
        self.failures = 0

    def next(self) -> float:
        ceiling = min(self.cap, self.first * 2 ** min(self.failures, 30))
        self.failures += 1
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret

    def reset(self) -> None:
        self.failures = 0


def _log(what: str, exc: BaseException, delay: float) -> None:
    # A database outage is expected weather: one line per try. Anything else gets its traceback.
    logger.warning(
        "%s: %s; trying again in %.1f s", what, describe(exc), delay, exc_info=not isinstance(exc, DatabaseError)
    )


def _close_connections() -> None:
    """Drop this thread's connections, broken or not, so that the next query reconnects."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            conn.close()


class ResilientWorker(Worker):
    """django-tasks-db's worker, remembering the task a database failure interrupted."""

    interrupted: tuple[str, BaseException] | None = None

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except BaseException as exc:
            # The task's own failure could not be recorded (the database went away): close its
            # row once the database is back, rather than leave it RUNNING for the sweep.
            self.interrupted = (str(db_task_result.id), exc)
            raise

    def serve(self) -> None:
        """Run until a signal stops the worker, through any number of database failures."""
        backoff = Backoff()
        while self.running:
            started = time.monotonic()
            try:
                if self.interrupted is not None:
                    task_fail(*self.interrupted)
                    self.interrupted = None
                self.run()
            except Exception as exc:
                if not self.running:
                    break
                if time.monotonic() - started > _HEALTHY_AFTER_SECONDS:
                    backoff.reset()
                delay = backoff.next()
                _log(f"worker {self.worker_id}", exc, delay)
                _close_connections()
                # A SIGTERM during this sleep ends the process at once (Worker.shutdown).
                time.sleep(delay)


def _keep(worker_id: str, stop: threading.Event, *, schedule: bool, tick: float) -> None:
    """The keeper thread: stamps liveness, enqueues the heartbeat and the due periodic jobs."""
    backoff = Backoff()
    last_beat = float("-inf")
    while not stop.is_set():
        wait = tick
        try:
            worker_alive(worker_id)
            if schedule:
                if time.monotonic() - last_beat >= settings.WORKER_HEARTBEAT_SECONDS:
                    worker_heartbeat.enqueue(worker_id)
                    last_beat = time.monotonic()
                enqueue_due()
            backoff.reset()
        except Exception as exc:  # the keeper must outlive anything, like the worker
            wait = backoff.next()
            _log(f"worker {worker_id} keeper", exc, wait)
            _close_connections()
        finally:
            close_old_connections()
        stop.wait(wait)


class Command(BaseCommand):
    help = "Run the background task worker (and its periodic-job scheduler)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--no-scheduler", action="store_true", help="Only run tasks.")
        parser.add_argument(
            "--tick", type=float, default=5.0, help="Seconds between the keeper's liveness stamps and scheduling."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = f"{socket.gethostname()}-{os.getpid()}"[:64]
        # Below the web servers where they share the machine: rush mode's deferred assessments
        # must not take the CPU from the requests it is there to acknowledge (core/cpu_priority.py).
        lowered = cpu_priority_lower(settings.WORKER_NICE)
        stop = threading.Event()
        keeper = threading.Thread(
            target=_keep,
            args=(worker_id, stop),
            kwargs={"schedule": not options["no_scheduler"], "tick": options["tick"]},
            name="worker-keeper",
            daemon=True,
        )
        keeper.start()
        self.stdout.write(f"Worker {worker_id} started" + (f" ({', '.join(lowered)})." if lowered else "."))
        worker = ResilientWorker(
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
            worker.serve()
        finally:
            stop.set()
