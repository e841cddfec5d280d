"""What a failure means to the one who waits for the answer.

A database that is unreachable, restarting or past a time limit (statement_timeout, lock_timeout,
a deadlock) is **transient**: the same request will likely succeed in a few seconds, so it answers
503 with Retry-After and is logged as one line. Anything else is a bug: 500 with an error id that
the person can quote and that appears in the log line beside the traceback.
"""

from __future__ import annotations

import logging
import secrets

from django.db import InterfaceError, OperationalError

logger = logging.getLogger("khaibao.failures")

# PostgreSQL SQLSTATE classes and codes that pass: connection exception, insufficient resources,
# operator intervention (query cancelled by statement_timeout, server shutting down or starting),
# system error, transaction rollback (serialisation failure, deadlock), lock_not_available.
_TRANSIENT_SQLSTATE_CLASSES = {"08", "53", "57", "58", "40"}
_TRANSIENT_SQLSTATES = {"55P03"}
# SQLite: another writer holds the database (busy_timeout passed), or the disk failed.
_TRANSIENT_SQLITE_PREFIXES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL")


def is_transient(exc: BaseException | None) -> bool:
    """Whether `exc` is database trouble that retrying later may get past (503), not a bug (500)."""
    if isinstance(exc, InterfaceError):
        return True  # the connection was closed under us (server restart, pg_terminate_backend)
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlite_name = getattr(cause, "sqlite_errorname", None)
    if sqlite_name is not None:
        return str(sqlite_name).startswith(_TRANSIENT_SQLITE_PREFIXES)
    sqlstate = getattr(cause, "sqlstate", None)
    if not sqlstate:
        return True  # psycopg could not connect or lost the connection: no SQLSTATE then
    return sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES or sqlstate in _TRANSIENT_SQLSTATES


def new_error_id() -> str:
    """A short id for one failure, shown to the person and written in the log line."""
    return secrets.token_hex(6)


def describe(exc: BaseException) -> str:
    """`ClassName: first line of the message` — enough for a log line, never a traceback."""
    cause = exc.__cause__ or exc
    first_line = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__


def log_failure(*, method: str, path: str, exc: BaseException | None, error_id: str, transient: bool) -> None:
    """One line for a transient failure (a database restart must not flood the log with
    tracebacks); the traceback for a bug. Both carry the error id the person was shown."""
    if transient and exc is not None:
        logger.warning("503 %s %s error_id=%s database unavailable: %s", method, path, error_id, describe(exc))
    else:
        logger.error("500 %s %s error_id=%s", method, path, error_id, exc_info=exc)
