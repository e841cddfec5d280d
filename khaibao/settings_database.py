"""Khai Báo settings, the database part: connections, time limits and the read replica.

Read from the environment like every setting and imported by khaibao/settings.py (the one
DJANGO_SETTINGS_MODULE); kept apart only so that each file stays readable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from khaibao.core.env import env_bool, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Database ------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'khaibao.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # transactions never both read-then-write (the audit hash chain and OTP attempt counters rely on it).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"),
    }
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# PostgreSQL: values sent apart from the statement, and a statement prepared the second time it
# runs on a connection, so the server stops parsing and planning the hot path's statements on
# every request: half the database CPU of a daily update (bench/RESULTS.md, "Hot path, second
# pass"). Set DB_PREPARED_STATEMENTS=0 behind a pooler in transaction mode that cannot keep
# prepared statements (PgBouncer before 1.21).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
_POSTGRES_OPTIONS: dict[str, Any] = (
    {"server_side_binding": True, "prepare_threshold": 2} if DB_PREPARED_STATEMENTS else {}
)
# Time limits on PostgreSQL (docs/operations.md, "Time limits"): a lock or a slow query ends in
# an error — 503 + Retry-After for a request — instead of holding the process. Requests get short
# limits, background jobs and commands long ones: the web entry points (khaibao/wsgi.py, asgi.py)
# set DB_TIMEOUT_PROFILE=web before the settings load; everything else defaults to "jobs".
# They travel as the connection's startup options; behind a pooler in transaction mode, which
# drops or refuses startup options, set DB_TIMEOUTS_AT_CONNECT=0 and give each profile's database
# role the same limits with ALTER ROLE … SET (docs/operations.md).
DB_TIMEOUT_PROFILE = env_str("DB_TIMEOUT_PROFILE", "jobs")
if DB_TIMEOUT_PROFILE not in {"web", "jobs"}:
    raise ImproperlyConfigured("DB_TIMEOUT_PROFILE must be web or jobs")
DB_TIMEOUTS_AT_CONNECT = env_bool("DB_TIMEOUTS_AT_CONNECT", True)
DB_TIMEOUTS_MS = {
    "web": {
        "statement_timeout": env_int("DB_STATEMENT_TIMEOUT_MS", 5000),
        "lock_timeout": env_int("DB_LOCK_TIMEOUT_MS", 2000),
        "idle_in_transaction_session_timeout": env_int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 30_000),
    },
    "jobs": {
        "statement_timeout": env_int("JOB_DB_STATEMENT_TIMEOUT_MS", 600_000),
        "lock_timeout": env_int("JOB_DB_LOCK_TIMEOUT_MS", 30_000),
        "idle_in_transaction_session_timeout": env_int("JOB_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 300_000),
    },
}
# Shown in pg_stat_activity, so an operator sees which kind of process holds a connection.
_POSTGRES_OPTIONS["application_name"] = f"khaibao-{DB_TIMEOUT_PROFILE}"
# A database host that does not answer (down, unreachable) must not hold a request either.
_POSTGRES_OPTIONS["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT_SECONDS", 5)
if DB_TIMEOUTS_AT_CONNECT:
    _POSTGRES_OPTIONS["options"] = " ".join(
        f"-c {name}={value}" for name, value in DB_TIMEOUTS_MS[DB_TIMEOUT_PROFILE].items()
    )
# A transient database failure (unreachable, restarting, a time limit hit) answers 503 with this
# Retry-After (khaibao/core/error_views.py).
DB_UNAVAILABLE_RETRY_AFTER_SECONDS = env_int("DB_UNAVAILABLE_RETRY_AFTER_SECONDS", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(_POSTGRES_OPTIONS)
# A streaming read replica (DESIGN.md §9): statistics, dashboards and exports read from it inside
# khaibao.core.dbrouter.use_replica(); everything else, and every write, uses "default".
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    DATABASES["replica"].setdefault("OPTIONS", {}).update(_POSTGRES_OPTIONS)
    # The test suite sees the replica as the primary: a test database cannot be created on a
    # read-only standby (the real-replica tests in khaibao/core/tests/test_replica.py add their own alias).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["khaibao.core.dbrouter.ReplicaRouter"]
# The dashboard warns above this replica lag; above the second, reads go to the primary.
REPLICA_LAG_WARNING_SECONDS = env_int("REPLICA_LAG_WARNING_SECONDS", 60)
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
