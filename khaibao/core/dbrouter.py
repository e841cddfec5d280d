"""Read-replica routing (DESIGN.md §9, docs/scaling.md).

With `DATABASE_REPLICA_URL` set, the alias "replica" is a streaming standby of "default".
Nothing is routed to it by model: a read goes to the replica only inside an explicit
`use_replica()` block — put around statistics selectors, dashboards and export jobs, which
read rollups or long lists and can bear a replica lag of seconds — and only when all of:

* a replica is configured and, by the last check (at most `HEALTH_CHECK_SECONDS` old), reachable
  and no more than `REPLICA_MAX_LAG_SECONDS` behind;
* the current HTTP request is a safe one (GET, HEAD, OPTIONS): a request that writes reads
  its own writes from the primary;
* the primary connection is not inside a transaction (`atomic`): a transaction's reads must
  see its own uncommitted writes and hold its locks.

Everything else — every write, every read outside the blocks — goes to "default", also for
objects that were loaded from the replica (their related objects are fetched from the primary
once the block has ended).
"""

from __future__ import annotations

import threading
import time
from contextlib import ContextDecorator
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
HEALTH_CHECK_SECONDS = 5.0
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_in_block: ContextVar[bool] = ContextVar("khaibao_replica_block", default=False)
_unsafe_request: ContextVar[bool] = ContextVar("khaibao_unsafe_request", default=False)

class use_replica(ContextDecorator):  # a statement in use: `with use_replica():`
    """Let the reads inside this block (or decorated function) go to the read replica when the
    rules of this module allow it. Nesting is harmless; writes inside still go to the primary."""

    def __init__(self) -> None:
        self._token: Token[bool] | None = None

    def _recreate_cm(self) -> use_replica:
        # A fresh instance per call, so a decorated function may run in several threads at once.
        return use_replica()

    def __enter__(self) -> use_replica:
        self._token = _in_block.set(True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _in_block.reset(self._token)
            self._token = None


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class _Health:
    """The replica's last known health, shared by the threads of one process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = -1e18
        self.usable = False

    def usable_now(self) -> bool:
        now = time.monotonic()
        with self.lock:
            if now - self.checked_at < HEALTH_CHECK_SECONDS:
                return self.usable
        from khaibao.core.selectors import replica_status

        usable = replica_status().usable
        with self.lock:
            self.checked_at, self.usable = now, usable
        return usable

    def forget(self) -> None:
        with self.lock:
            self.checked_at = -1e18


_health = _Health()


def replica_health_forget() -> None:
    """Check the replica again at the next routed read (tests, or after a failover)."""
    _health.forget()


def reading_from_replica() -> bool:
    """Whether a read made here and now would go to the replica."""
    if not _in_block.get() or not replica_configured() or _unsafe_request.get():
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    return _health.usable_now()


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads to the replica inside `use_replica()`, all else to default."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return REPLICA if reading_from_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same rows: an object read from the replica may be linked to one
        # read from the primary.
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # A standby is read-only and receives the schema with the WAL.
        return False if db == REPLICA else None


def _request_started(sender: Any, environ: dict[str, Any] | None = None, scope: dict[str, Any] | None = None,
                     **kwargs: Any) -> None:
    method = (environ or {}).get("REQUEST_METHOD") or (scope or {}).get("method") or "GET"
    _unsafe_request.set(str(method).upper() not in _SAFE_METHODS)


def _request_finished(sender: Any, **kwargs: Any) -> None:
    _unsafe_request.set(False)


def connect_signals() -> None:
    """Called by CoreConfig.ready(): know, during a request, whether it may write."""
    request_started.connect(_request_started, dispatch_uid="khaibao.core.dbrouter.request_started")
    request_finished.connect(_request_finished, dispatch_uid="khaibao.core.dbrouter.request_finished")
