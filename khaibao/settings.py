"""Khai Báo settings: one module, every deployment knob read from the environment.

Development needs nothing set (SQLite, console SMS, throwaway keys). With DEBUG off the
process refuses to start unless real secrets are provided — see docs/operations.md.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.fernet import Fernet
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from khaibao.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-khaibao-secret-key-do-not-use-in-production-0123456789"  # noqa: S105

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY", "")


def _dev_key(purpose: str) -> str:
    """A stable development-only key derived from the dev secret, never used with DEBUG off."""
    digest = hashlib.sha256(f"{DEV_SECRET_KEY}:{purpose}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
        )
elif not SECRET_KEY:
    SECRET_KEY = DEV_SECRET_KEY

# Field encryption (Fernet keys, comma-separated: the first encrypts, all decrypt) and the
# separate HMAC key for blind indexes. Separate keys so that rotating one never forces the other.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env_str("BLIND_INDEX_KEY", "")
# Ed25519 private key (PEM, or base64 of the 32 raw bytes) that signs QR health passes.
PASS_SIGNING_KEY = env_str("PASS_SIGNING_KEY", "")
# Public keys (base64 of 32 raw bytes) of retired pass-signing keys, still accepted until their passes expire.
PASS_VERIFY_KEYS = env_list("PASS_VERIFY_KEYS")
if not DEBUG:
    missing = [
        name
        for name, value in (
            ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS),
            ("BLIND_INDEX_KEY", BLIND_INDEX_KEY),
            ("PASS_SIGNING_KEY", PASS_SIGNING_KEY),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"Missing required keys with DEBUG off: {', '.join(missing)}")
    # A malformed key would otherwise surface only at the first encrypted write.
    try:
        for _key in FIELD_ENCRYPTION_KEYS:
            Fernet(_key.encode())
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each)"
        ) from exc
    if len(BLIND_INDEX_KEY) < 32:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 32 characters")
else:
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_dev_key("field-encryption")]
    BLIND_INDEX_KEY = BLIND_INDEX_KEY or _dev_key("blind-index")
    PASS_SIGNING_KEY = PASS_SIGNING_KEY or _dev_key("pass-signing")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The project's fixed composition (apps, middleware, templates, periodic jobs, hooks) is in
# khaibao/wiring.py, with where static files come from and the permissions policy: nothing
# there depends on the environment. Imported as settings of this module.
from khaibao.wiring import (  # noqa: E402, F401
    API_LANE_PREFIXES,
    API_MIDDLEWARE,
    AREA_PUBLISHED_HOOKS,
    ASSESSMENT_EXPOSURE_SOURCES,
    ASSESSMENT_ZONE_SOURCES,
    DAILY_REMINDER_SOURCES,
    HEALTH_BACKLOG_SOURCES,
    INSTALLED_APPS,
    MIDDLEWARE,
    PERIODIC_TASKS,
    PERMISSIONS_POLICY,
    PERSON_HOME_MOVED_HOOKS,
    REPORT_REPLIED_HOOKS,
    RUSH_ROUTES,
    SELF_PERSON_ADDED_HOOKS,
    STATICFILES_DIRS,
    STATUS_READ_SOURCES,
    TEMPLATES,
    ZONE_WARNING_EXCLUSIONS,
)

ROOT_URLCONF = "khaibao.urls"
WSGI_APPLICATION = "khaibao.wsgi.application"
ASGI_APPLICATION = "khaibao.asgi.application"

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

# --- Cache (rate limits, lockouts) ----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "khaibao"),
            # A hung Redis must not hang requests: the rate limiter falls back to a per-process
            # store on any cache error (khaibao/accounts/ratelimit.py), so fail fast.
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env_int("REDIS_CONNECT_TIMEOUT_MS", 500) / 1000,
                "SOCKET_TIMEOUT": env_int("REDIS_TIMEOUT_MS", 500) / 1000,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Account"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:sign_in"
STAFF_LOGIN_URL = "backoffice:sign_in"
STAFF_IDLE_TIMEOUT_SECONDS = env_int("STAFF_IDLE_TIMEOUT_SECONDS", 30 * 60)
# However active, a staff session ends this long after sign-in (a stolen cookie stops working).
STAFF_ABSOLUTE_TIMEOUT_SECONDS = env_int("STAFF_ABSOLUTE_TIMEOUT_SECONDS", 12 * 60 * 60)
STAFF_LOCKOUT_THRESHOLD = env_int("STAFF_LOCKOUT_THRESHOLD", 5)
STAFF_LOCKOUT_IP_THRESHOLD = env_int("STAFF_LOCKOUT_IP_THRESHOLD", 20)
STAFF_LOCKOUT_SECONDS = env_int("STAFF_LOCKOUT_SECONDS", 15 * 60)
OTP_TOTP_ISSUER = "Khai Báo"

# Citizen one-time codes (DESIGN.md §7)
OTP_CODE_TTL_SECONDS = env_int("OTP_CODE_TTL_SECONDS", 5 * 60)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_COOLDOWN_SECONDS = env_int("OTP_COOLDOWN_SECONDS", 60)
OTP_IP_LIMIT_PER_HOUR = env_int("OTP_IP_LIMIT_PER_HOUR", 30)
# Sign-in codes sent per hour across all phones and networks: caps the SMS bill when a flood
# comes from many addresses at once (each address within its own limit).
OTP_SMS_GLOBAL_LIMIT_PER_HOUR = env_int("OTP_SMS_GLOBAL_LIMIT_PER_HOUR", 5000)
# A sign-in code the gateway refused is sent again, at most OTP_SMS_ATTEMPTS times in all and
# within OTP_SMS_DEADLINE_SECONDS (the person waits on the page); then they are told it failed
# and may ask again after OTP_SMS_RETRY_AFTER_SECONDS (accounts/sms.py).
OTP_SMS_ATTEMPTS = env_int("OTP_SMS_ATTEMPTS", 3)
OTP_SMS_DEADLINE_SECONDS = env_int("OTP_SMS_DEADLINE_SECONDS", 8)
OTP_SMS_RETRY_AFTER_SECONDS = env_int("OTP_SMS_RETRY_AFTER_SECONDS", 30)
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)
# Signed access tokens and refresh tokens (decision 0008; khaibao/accounts/access_tokens.py,
# docs/api.md "Tokens"). Keys: comma-separated, at least 32 characters each; the first signs, all
# verify — to rotate, put the new key first and keep the old one for API_ACCESS_TOKEN_SECONDS.
# Empty: one key derived from SECRET_KEY (rotating SECRET_KEY then signs every app out within
# one access-token lifetime, until its refresh).
API_ACCESS_TOKEN_SECONDS = env_int("API_ACCESS_TOKEN_SECONDS", 15 * 60)
API_REFRESH_TOKEN_DAYS = env_int("API_REFRESH_TOKEN_DAYS", 30)
API_ACCESS_TOKEN_KEYS = env_list("API_ACCESS_TOKEN_KEYS")
if any(len(_key) < 32 for _key in API_ACCESS_TOKEN_KEYS):
    raise ImproperlyConfigured("API_ACCESS_TOKEN_KEYS must be at least 32 characters each")
if not 60 <= API_ACCESS_TOKEN_SECONDS <= 3600:
    raise ImproperlyConfigured("API_ACCESS_TOKEN_SECONDS must be between 60 and 3600")
# Bearer-token use, per minute (khaibao/api/middleware.py). Per address is generous: mobile
# carriers put many phones behind one address.
API_RATE_PER_TOKEN_PER_MINUTE = env_int("API_RATE_PER_TOKEN_PER_MINUTE", 300)
API_RATE_PER_IP_PER_MINUTE = env_int("API_RATE_PER_IP_PER_MINUTE", 1200)
API_BAD_TOKEN_PER_IP_PER_MINUTE = env_int("API_BAD_TOKEN_PER_IP_PER_MINUTE", 30)

# --- SMS ------------------------------------------------------------------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "console")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms.jsonl"))
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "")
SMS_HTTP_AUTH_HEADER = env_str("SMS_HTTP_AUTH_HEADER", "")
SMS_HTTP_BODY_TEMPLATE = env_str("SMS_HTTP_BODY_TEMPLATE", '{"to": "{to}", "text": "{body}"}')
SMS_HTTP_TIMEOUT_SECONDS = env_int("SMS_HTTP_TIMEOUT_SECONDS", 10)
if SMS_BACKEND not in {"console", "file", "http"}:
    raise ImproperlyConfigured("SMS_BACKEND must be one of: console, file, http")
if SMS_BACKEND == "http" and not SMS_HTTP_URL:
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL")
# Inbound SMS (issue 10): the gateway signs each webhook call with this shared secret
# (HMAC-SHA256); empty turns the webhook off (503). docs/sms.md shows how to sign.
SMS_INBOUND_SECRET = env_str("SMS_INBOUND_SECRET", "")
if SMS_INBOUND_SECRET and len(SMS_INBOUND_SECRET) < 32:
    raise ImproperlyConfigured("SMS_INBOUND_SECRET must be at least 32 characters")
SMS_INBOUND_MAX_SKEW_SECONDS = env_int("SMS_INBOUND_MAX_SKEW_SECONDS", 300)
SMS_INBOUND_MAX_BODY_BYTES = env_int("SMS_INBOUND_MAX_BODY_BYTES", 4096)
SMS_INBOUND_REPLIES_PER_HOUR = env_int("SMS_INBOUND_REPLIES_PER_HOUR", 20)
SMS_INBOUND_KEEP_DAYS = env_int("SMS_INBOUND_KEEP_DAYS", 30)
# Where people reach the site: links in SMS messages (e.g. contact-tracing invitations).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Tasks ----------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Days without contact (no daily update, no official's action) before someone under
# monitoring is marked lost to follow-up (issue 4 §4).
# Months of daily-update partitions kept created ahead of the current one (PostgreSQL).
DAILY_UPDATE_PARTITION_MONTHS_AHEAD = env_int("DAILY_UPDATE_PARTITION_MONTHS_AHEAD", 3)
FOLLOWUP_LOST_AFTER_DAYS = env_int("FOLLOWUP_LOST_AFTER_DAYS", 3)
TASK_RESULTS_KEEP_DAYS = env_int("TASK_RESULTS_KEEP_DAYS", 7)
# Routine periodic runs are logged at DEBUG; one slower than this is logged as a warning (core/tasklog.py).
TASK_SLOW_LOG_SECONDS = env_int("TASK_SLOW_LOG_SECONDS", 5)
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15)
WORKER_STALE_SECONDS = env_int("WORKER_STALE_SECONDS", 120)
# /healthz (core/health.py): its own database queries give up after HEALTHZ_DB_TIMEOUT_MS, and
# background work is "piling up" when a periodic job is overdue, a task or a source's oldest
# item (HEALTH_BACKLOG_SOURCES, khaibao/wiring.py) has waited longer than HEALTH_MAX_BACKLOG_SECONDS.
HEALTHZ_DB_TIMEOUT_MS = env_int("HEALTHZ_DB_TIMEOUT_MS", 1000)
HEALTH_MAX_BACKLOG_SECONDS = env_int("HEALTH_MAX_BACKLOG_SECONDS", 600)
# After a database or queue error the worker waits 1, 2, 4 … seconds (with jitter) up to this.
WORKER_BACKOFF_MAX_SECONDS = env_int("WORKER_BACKOFF_MAX_SECONDS", 30)

# --- Notifications (inbox, SMS / e-mail / Web Push deliveries, daily reminder) ------------
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 10_000)
SMS_MAX_CHARS = env_int("SMS_MAX_CHARS", 320)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 4)
# Retry waits: base × factor^(n-1) → 1, 5, 25 minutes.
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 60)
NOTIFY_RETRY_FACTOR = env_int("NOTIFY_RETRY_FACTOR", 5)
NOTIFY_SEND_LEASE_SECONDS = env_int("NOTIFY_SEND_LEASE_SECONDS", 5 * 60)
NOTIFY_REQUEUE_GRACE_SECONDS = env_int("NOTIFY_REQUEUE_GRACE_SECONDS", 2 * 60)
# Per channel, across all workers (the cache is shared): what the gateway / mail relay accepts.
NOTIFY_RATE_LIMITS_PER_MINUTE = {
    "sms": env_int("NOTIFY_SMS_PER_MINUTE", 600),
    "email": env_int("NOTIFY_EMAIL_PER_MINUTE", 600),
    "webpush": env_int("NOTIFY_WEBPUSH_PER_MINUTE", 6000),
}
DAILY_REMINDER_HOUR = env_int("DAILY_REMINDER_HOUR", 19)  # local time (TIME_ZONE)
DAILY_REMINDER_SMS = env_bool("DAILY_REMINDER_SMS", default=False)
DAILY_REMINDER_BATCH = env_int("DAILY_REMINDER_BATCH", 500)
# Web Push (VAPID): `manage.py vapid_keys` prints a fresh pair. Empty → Web Push is off.
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:admin@localhost")
WEBPUSH_TTL_SECONDS = env_int("WEBPUSH_TTL_SECONDS", 24 * 3600)
WEBPUSH_TIMEOUT_SECONDS = env_int("WEBPUSH_TIMEOUT_SECONDS", 10)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Khai Báo <no-reply@localhost>")

# --- Exports (officials' CSV/XLSX downloads) ----------------------------------------------
EXPORT_ROOT = Path(env_str("EXPORT_ROOT", str(BASE_DIR / "var" / "exports")))
EXPORT_LINK_TTL_HOURS = env_int("EXPORT_LINK_TTL_HOURS", 24)
# Up to this many rows an export streams in the response; more runs as a background job.
EXPORT_STREAM_MAX_ROWS = env_int("EXPORT_STREAM_MAX_ROWS", 5000)
EXPORT_DAILY_CAP = env_int("EXPORT_DAILY_CAP", 20)
# Adding or changing people with an ID number, per account and hour: a duplicate number is
# accepted and reviewed by officials (no registration oracle), and trying many numbers is bounded.
ID_NUMBER_ATTEMPTS_PER_HOUR = env_int("ID_NUMBER_ATTEMPTS_PER_HOUR", 20)
# A household's people, unless a health official raised it (people/limits.py); the people a
# volunteer assists at once when their appointment does not say (issue 18, item 6).
HOUSEHOLD_MAX_PEOPLE = env_int("HOUSEHOLD_MAX_PEOPLE", 20)
VOLUNTEER_MAX_ASSISTED = env_int("VOLUNTEER_MAX_ASSISTED", 30)
# A background export whose worker died is started again up to this many times in all, then
# failed; one still queued after EXPORT_REQUEUE_AFTER_SECONDS with no task waiting is enqueued again.
EXPORT_MAX_ATTEMPTS = env_int("EXPORT_MAX_ATTEMPTS", 2)
EXPORT_REQUEUE_AFTER_SECONDS = env_int("EXPORT_REQUEUE_AFTER_SECONDS", 600)

# --- Citizen reports (issue 6) -------------------------------------------------------------
# Photos live on local disk outside any public URL; only an access-checked view serves them.
REPORT_MEDIA_ROOT = Path(env_str("REPORT_MEDIA_ROOT", str(BASE_DIR / "var" / "report-media")))
REPORT_TARGET_HOURS = env_int("REPORT_TARGET_HOURS", 48)
# Per hour: submissions per account, per phone and per client address.
REPORT_RATE_PER_ACCOUNT = env_int("REPORT_RATE_PER_ACCOUNT", 5)
REPORT_RATE_PER_PHONE = env_int("REPORT_RATE_PER_PHONE", 5)
REPORT_RATE_PER_IP = env_int("REPORT_RATE_PER_IP", 10)
# Proof of work for anonymous reports (ALTCHA): the largest number to search, ~1 s on a phone.
REPORT_POW_MAX_NUMBER = env_int("REPORT_POW_MAX_NUMBER", 100_000)
# POST /api/v1/reports carries up to 3 photos of 5 MB plus text: the one exception to API_MAX_BODY_BYTES.
REPORT_API_MAX_BODY_BYTES = env_int("REPORT_API_MAX_BODY_BYTES", 16 * 1024 * 1024)

# --- Retention and data-subject rights (issue 8; docs/privacy.md) ------------------------
# Health data (declarations, daily updates, assessments, statuses, contacts, follow-up, passes,
# zone warnings) is erased this many days after the person's last activity.
RETENTION_HEALTH_DAYS = env_int("RETENTION_HEALTH_DAYS", 180)
# System logs must be kept at least 12 months (Personal Data Protection decree): never less.
RETENTION_AUDIT_DAYS = env_int("RETENTION_AUDIT_DAYS", 365)
RETENTION_NOTIFICATION_DAYS = env_int("RETENTION_NOTIFICATION_DAYS", 90)
# Closed citizen reports lose their personal parts (address, description, photos, reporter).
RETENTION_REPORT_DAYS = env_int("RETENTION_REPORT_DAYS", 365)
# One-time codes, idempotency records, expired sessions.
RETENTION_SHORT_LIVED_HOURS = env_int("RETENTION_SHORT_LIVED_HOURS", 24)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 500)
# Per table per periodic run, so one run stays short; the command runs until nothing is due.
RETENTION_MAX_BATCHES = env_int("RETENTION_MAX_BATCHES", 20)
if RETENTION_AUDIT_DAYS < 365:
    raise ImproperlyConfigured("RETENTION_AUDIT_DAYS must be at least 365 (system logs are kept 12 months)")
for _name in ("RETENTION_HEALTH_DAYS", "RETENTION_NOTIFICATION_DAYS", "RETENTION_REPORT_DAYS",
              "RETENTION_SHORT_LIVED_HOURS", "RETENTION_BATCH_SIZE", "RETENTION_MAX_BATCHES"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1")

# --- Venue check-in (issue 20; docs/venues.md) -----------------------------------------------
# Check-ins are short-lived: erased by the retention job this many days after the visit.
VENUE_CHECKIN_KEEP_DAYS = env_int("VENUE_CHECKIN_KEEP_DAYS", 21)
# A second check-in of the same person at the same venue within this many minutes is the same one.
VENUE_CHECKIN_REPEAT_MINUTES = env_int("VENUE_CHECKIN_REPEAT_MINUTES", 10)
# How old a check-in's `at` may be (an offline check-in keeps the time of the scan); older is refused.
VENUE_CHECKIN_MAX_AGE_HOURS = env_int("VENUE_CHECKIN_MAX_AGE_HOURS", 72)
# Check-ins one account may post per minute (a household checking in is a few; a script is many).
VENUE_CHECKIN_RATE_PER_MINUTE = env_int("VENUE_CHECKIN_RATE_PER_MINUTE", 60)
# A zone reaches check-ins made during its validity, at most this many days back.
VENUE_ZONE_LOOKBACK_DAYS = env_int("VENUE_ZONE_LOOKBACK_DAYS", 14)
# People warned per transaction by a venue exposure run.
VENUE_EXPOSURE_BATCH_SIZE = env_int("VENUE_EXPOSURE_BATCH_SIZE", 500)
for _name in ("VENUE_CHECKIN_KEEP_DAYS", "VENUE_CHECKIN_REPEAT_MINUTES", "VENUE_CHECKIN_MAX_AGE_HOURS",
              "VENUE_CHECKIN_RATE_PER_MINUTE", "VENUE_ZONE_LOOKBACK_DAYS", "VENUE_EXPOSURE_BATCH_SIZE"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1")

# --- Requests -------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
# Overload shedding (khaibao/core/overload.py, docs/operations.md): refuse with 503 + Retry-After
# a request that already waited this long behind the proxy (its X-Request-Start stamp), or that
# finds this many requests already running in the worker process. 0 turns a check off.
OVERLOAD_MAX_QUEUE_MS = env_int("OVERLOAD_MAX_QUEUE_MS", 1000)
OVERLOAD_MAX_INFLIGHT = env_int("OVERLOAD_MAX_INFLIGHT", 0)
OVERLOAD_RETRY_AFTER_SECONDS = env_int("OVERLOAD_RETRY_AFTER_SECONDS", 2)
# Rush mode (decision D, docs/decisions/0008, core/overload.py): a late request to a route of
# RUSH_ROUTES (khaibao/wiring.py: the daily update) is stored first and answered 202 instead of
# refused, up to RUSH_MAX_QUEUE_MS of queueing (0: no bound); then every request to those routes
# in that process is for RUSH_HOLD_SECONDS. The worker assesses what is pending in batches of
# RUSH_BATCH_SIZE people (monitoring/pending.py). RUSH_MODE=0: refused with 503 like the rest.
RUSH_MODE = env_bool("RUSH_MODE", True)
RUSH_MAX_QUEUE_MS = env_int("RUSH_MAX_QUEUE_MS", 2_500)
RUSH_HOLD_SECONDS = env_int("RUSH_HOLD_SECONDS", 5)
RUSH_BATCH_SIZE = env_int("RUSH_BATCH_SIZE", 500)
# Behind a trusted reverse proxy, the number of proxies whose X-Forwarded-For entries we trust.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "khaibao" / "locale"]
# Thousands grouped by three where a number is formatted with grouping (the `grouped` filter):
# Django's Vietnamese formats give the separator (".") but not the grouping.
NUMBER_GROUPING = 3
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Production: `manage.py collectstatic` writes hashed, brotli- and gzip-compressed copies to
# STATIC_ROOT, served by WhiteNoise with a year's immutable caching. Development and tests
# serve the source files as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Decided by the environment's DEBUG, not the test runner's: tests serve the source files too.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# An expired form says so in the person's language, with a way back (Django's own page is English).
CSRF_FAILURE_VIEW = "khaibao.core.error_views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp) on every response: no inline script or style anywhere —
# pages keep their JavaScript and CSS in khaibao/static/ and pass data through data-* attributes
# and json_script. See docs/security.md.
MAP_TILE_SOURCES = env_list("MAP_TILE_SOURCES", ["https://tile.openstreetmap.org"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF],
        # data: for the images Leaflet and Swagger UI embed in their CSS; tiles for the maps.
        "img-src": [csp_constants.SELF, "data:", *MAP_TILE_SOURCES],
        "connect-src": [csp_constants.SELF],
        "font-src": [csp_constants.SELF],
        "media-src": [csp_constants.SELF],
        "worker-src": [csp_constants.SELF],
        "manifest-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe /healthz over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}
