"""Khai Báo settings, the messaging and background part: SMS out and in, the task worker,
notifications and e-mail.

Read from the environment like every setting and imported by khaibao/settings.py (the one
DJANGO_SETTINGS_MODULE); kept apart only so that each file stays readable.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from khaibao.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

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
# The number (or short code) people text, as they dial it: printed on venue posters beside
# "CHECKIN <code>". Empty: the posters leave the SMS way out rather than point nowhere.
SMS_INBOUND_NUMBER = env_str("SMS_INBOUND_NUMBER", "")
if SMS_INBOUND_NUMBER and not re.fullmatch(r"\+?[0-9]{3,15}", SMS_INBOUND_NUMBER):
    raise ImproperlyConfigured("SMS_INBOUND_NUMBER must be the number as dialled: 3 to 15 digits, e.g. 8079 or 0912345678")
# Where people reach the site: links in SMS messages (e.g. contact-tracing invitations).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def health_hotlines_check(numbers: list[str]) -> list[str]:
    """The health hotlines as given, or ImproperlyConfigured: at least one, each 3–15 digits."""
    if not numbers:
        raise ImproperlyConfigured("HEALTH_HOTLINES must list at least one number")
    for number in numbers:
        if not (number.isascii() and number.isdigit() and 3 <= len(number) <= 15):
            raise ImproperlyConfigured(
                f"HEALTH_HOTLINES: {number!r} must be national digits as dialled (3 to 15 digits, e.g. 19009095)"
            )
    return numbers


# The health hotlines every page, SMS and advice gives (khaibao/core/hotlines.py), the main one
# first: the only place the numbers are written.
HEALTH_HOTLINES = health_hotlines_check(env_list("HEALTH_HOTLINES", ["19009095", "19003228"]))

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
# The worker's CPU priority below the web servers' where they share a machine (core/cpu_priority.py:
# its nice value, and its session's autogroup when it leads one); 0 leaves it as the servers'.
WORKER_NICE = env_int("WORKER_NICE", 10)

# --- Notifications (inbox, SMS / e-mail / Web Push deliveries, daily reminder) ------------
# Health notifications only (zone warnings, exposures, daily reminders): organisations' campaign
# reminders never take from it.
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 10_000)
# Organisations' campaign reminders by SMS (orgs/sms_budget.py) count apart: at most
# ORG_SMS_DAILY_BUDGET a local day for all organisations together, of which one organisation (a
# root unit's tree, sub-units and sub-admins included) takes at most ORG_SMS_PER_ORG_DAILY.
ORG_SMS_DAILY_BUDGET = env_int("ORG_SMS_DAILY_BUDGET", 10_000)
ORG_SMS_PER_ORG_DAILY = env_int("ORG_SMS_PER_ORG_DAILY", 2_000)
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
# The push services a browser's subscription may name (a leading dot: any subdomain): the worker
# posts to that address, so any other — an internal host, a cloud metadata address — is refused.
WEBPUSH_ALLOWED_HOSTS = env_list(
    "WEBPUSH_ALLOWED_HOSTS",
    ["fcm.googleapis.com", ".push.services.mozilla.com", ".notify.windows.com", "web.push.apple.com"],
)

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
