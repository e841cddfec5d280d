"""Khai Báo settings: every deployment knob read from the environment — this module, with the
database, messaging and features' parts it imports (settings_database.py, settings_messaging.py,
settings_features.py).

Development needs nothing set (SQLite, console SMS, throwaway keys). With DEBUG off the
process refuses to start unless real secrets are provided — see docs/operations.md.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.fernet import Fernet
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from khaibao.core.env import env_bool, env_int, env_list, env_str
from khaibao.core.maps import tile_origin

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
    ACCOUNT_CLOSE_HOOKS,
    API_LANE_PREFIXES,
    API_MIDDLEWARE,
    AREA_PUBLISHED_HOOKS,
    ASSESSMENT_EXPOSURE_SOURCES,
    ASSESSMENT_ZONE_SOURCES,
    BLIND_INDEXES,
    CONTACT_REGISTERED_HOOKS,
    DAILY_REMINDER_SOURCES,
    HEALTH_BACKLOG_SOURCES,
    INSTALLED_APPS,
    MIDDLEWARE,
    PERIODIC_TASKS,
    PERMISSIONS_POLICY,
    PERSON_ERASE_HOOKS,
    PERSON_HOME_MOVED_HOOKS,
    PROCESSING_STOPPED,
    REPORT_REPLIED_HOOKS,
    RUSH_ROUTES,
    SELF_PERSON_ADDED_HOOKS,
    STATICFILES_DIRS,
    STATUS_READ_SOURCES,
    TEMPLATES,
)

ROOT_URLCONF = "khaibao.urls"
WSGI_APPLICATION = "khaibao.wsgi.application"
ASGI_APPLICATION = "khaibao.asgi.application"

# --- Database (connections, time limits, the read replica): khaibao/settings_database.py
from khaibao.settings_database import (  # noqa: E402, F401
    DATABASE_REPLICA_URL,
    DATABASE_ROUTERS,
    DATABASE_URL,
    DATABASES,
    DB_PREPARED_STATEMENTS,
    DB_TIMEOUT_PROFILE,
    DB_TIMEOUTS_AT_CONNECT,
    DB_TIMEOUTS_MS,
    DB_UNAVAILABLE_RETRY_AFTER_SECONDS,
    DEFAULT_AUTO_FIELD,
    REPLICA_LAG_WARNING_SECONDS,
    REPLICA_MAX_LAG_SECONDS,
)

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
# Failed staff sign-ins (khaibao/accounts/services.py): per account from one network (an IPv4
# address or an IPv6 /64), per network, and per account from all networks within an hour.
STAFF_LOCKOUT_THRESHOLD = env_int("STAFF_LOCKOUT_THRESHOLD", 5)
STAFF_LOCKOUT_IP_THRESHOLD = env_int("STAFF_LOCKOUT_IP_THRESHOLD", 20)
STAFF_LOCKOUT_ACCOUNT_THRESHOLD = env_int("STAFF_LOCKOUT_ACCOUNT_THRESHOLD", 50)
STAFF_LOCKOUT_SECONDS = env_int("STAFF_LOCKOUT_SECONDS", 15 * 60)
OTP_TOTP_ISSUER = "Khai Báo"

# Citizen one-time codes (DESIGN.md §7)
OTP_CODE_TTL_SECONDS = env_int("OTP_CODE_TTL_SECONDS", 5 * 60)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_COOLDOWN_SECONDS = env_int("OTP_COOLDOWN_SECONDS", 60)
OTP_IP_LIMIT_PER_HOUR = env_int("OTP_IP_LIMIT_PER_HOUR", 30)
# Sign-in codes one phone receives per hour, whoever asks and from however many addresses (an
# SMS flood aimed at one phone); counted from the phone's stored codes (accounts/otp.py).
OTP_PHONE_LIMIT_PER_HOUR = env_int("OTP_PHONE_LIMIT_PER_HOUR", 5)
if OTP_PHONE_LIMIT_PER_HOUR < 1:
    raise ImproperlyConfigured("OTP_PHONE_LIMIT_PER_HOUR must be at least 1")
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

# --- SMS, tasks, notifications, e-mail: khaibao/settings_messaging.py
# --- Exports, citizen reports, retention, venue check-in: khaibao/settings_features.py
from khaibao.settings_features import (  # noqa: E402, F401
    EXPORT_DAILY_CAP,
    EXPORT_LINK_TTL_HOURS,
    EXPORT_MAX_ATTEMPTS,
    EXPORT_REQUEUE_AFTER_SECONDS,
    EXPORT_ROOT,
    EXPORT_STREAM_MAX_ROWS,
    HOUSEHOLD_MAX_PEOPLE,
    ID_NUMBER_ATTEMPTS_PER_HOUR,
    ORG_REMIND_NOW_PER_HOUR,
    ORG_ROSTER_IMPORTS_PER_HOUR,
    REPORT_API_MAX_BODY_BYTES,
    REPORT_MEDIA_ROOT,
    REPORT_POW_MAX_NUMBER,
    REPORT_RATE_PER_ACCOUNT,
    REPORT_RATE_PER_IP,
    REPORT_RATE_PER_PHONE,
    REPORT_TARGET_HOURS,
    RETENTION_AUDIT_DAYS,
    RETENTION_BATCH_SIZE,
    RETENTION_HEALTH_DAYS,
    RETENTION_MAX_BATCHES,
    RETENTION_NOTIFICATION_DAYS,
    RETENTION_REPORT_DAYS,
    RETENTION_ROSTER_ERRORS_DAYS,
    RETENTION_ROSTER_REMOVED_DAYS,
    RETENTION_SHORT_LIVED_HOURS,
    VENUE_CHECKIN_KEEP_DAYS,
    VENUE_CHECKIN_MAX_AGE_HOURS,
    VENUE_CHECKIN_PARTITION_DAYS_AHEAD,
    VENUE_CHECKIN_RATE_PER_MINUTE,
    VENUE_CHECKIN_REPEAT_MINUTES,
    VENUE_EXPOSURE_BATCH_SIZE,
    VENUE_ZONE_LOOKBACK_DAYS,
    VOLUNTEER_MAX_ASSISTED,
    VOLUNTEER_PENDING_CONSENT_DAYS,
)
from khaibao.settings_messaging import (  # noqa: E402, F401
    DAILY_REMINDER_BATCH,
    DAILY_REMINDER_HOUR,
    DAILY_REMINDER_SMS,
    DAILY_UPDATE_PARTITION_MONTHS_AHEAD,
    DEFAULT_FROM_EMAIL,
    EMAIL_BACKEND,
    EMAIL_HOST,
    EMAIL_HOST_PASSWORD,
    EMAIL_HOST_USER,
    EMAIL_PORT,
    EMAIL_TIMEOUT,
    EMAIL_USE_SSL,
    EMAIL_USE_TLS,
    FOLLOWUP_LOST_AFTER_DAYS,
    HEALTH_HOTLINES,
    HEALTH_MAX_BACKLOG_SECONDS,
    HEALTHZ_DB_TIMEOUT_MS,
    NOTIFY_MAX_ATTEMPTS,
    NOTIFY_RATE_LIMITS_PER_MINUTE,
    NOTIFY_REQUEUE_GRACE_SECONDS,
    NOTIFY_RETRY_BASE_SECONDS,
    NOTIFY_RETRY_FACTOR,
    NOTIFY_SEND_LEASE_SECONDS,
    ORG_SMS_DAILY_BUDGET,
    ORG_SMS_PER_ORG_DAILY,
    PUBLIC_BASE_URL,
    SMS_BACKEND,
    SMS_DAILY_BUDGET,
    SMS_FILE_PATH,
    SMS_HTTP_AUTH_HEADER,
    SMS_HTTP_BODY_TEMPLATE,
    SMS_HTTP_TIMEOUT_SECONDS,
    SMS_HTTP_URL,
    SMS_INBOUND_KEEP_DAYS,
    SMS_INBOUND_MAX_BODY_BYTES,
    SMS_INBOUND_MAX_SKEW_SECONDS,
    SMS_INBOUND_NUMBER,
    SMS_INBOUND_REPLIES_PER_HOUR,
    SMS_INBOUND_SECRET,
    SMS_MAX_CHARS,
    TASK_RESULTS_KEEP_DAYS,
    TASK_SLOW_LOG_SECONDS,
    TASKS,
    VAPID_PRIVATE_KEY,
    VAPID_PUBLIC_KEY,
    VAPID_SUBJECT,
    WEBPUSH_ALLOWED_HOSTS,
    WEBPUSH_TIMEOUT_SECONDS,
    WEBPUSH_TTL_SECONDS,
    WORKER_BACKOFF_MAX_SECONDS,
    WORKER_HEARTBEAT_SECONDS,
    WORKER_NICE,
    WORKER_STALE_SECONDS,
)

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
# A standing queue (core/overload.py): when for OVERLOAD_STANDING_AFTER_MS no stamped request waited
# less than a fifth of OVERLOAD_STANDING_QUEUE_MS, a request that waited longer than that is refused
# at once (a daily update is stored first up to it). 0 turns the check off.
OVERLOAD_STANDING_QUEUE_MS = env_int("OVERLOAD_STANDING_QUEUE_MS", 1000)
OVERLOAD_STANDING_AFTER_MS = env_int("OVERLOAD_STANDING_AFTER_MS", 1000)
# Rush mode (decision D, docs/decisions/0008, core/overload.py): a late request to a route of
# RUSH_ROUTES (khaibao/wiring.py: the daily update) is stored first and answered 202 instead of
# refused, up to RUSH_MAX_QUEUE_MS of queueing (0: no bound); then every request to those routes
# in that process is for RUSH_HOLD_SECONDS. The worker assesses what is pending in batches of
# RUSH_BATCH_SIZE people (monitoring/pending.py). RUSH_MODE=0: refused with 503 like the rest.
RUSH_MODE = env_bool("RUSH_MODE", True)
RUSH_MAX_QUEUE_MS = env_int("RUSH_MAX_QUEUE_MS", 2_500)
RUSH_HOLD_SECONDS = env_int("RUSH_HOLD_SECONDS", 5)
RUSH_BATCH_SIZE = env_int("RUSH_BATCH_SIZE", 500)
# The rush lane (api/rush.py): a marked daily update stored first in one statement before ninja;
# RUSH_LANE=0 stores it first through the view instead (four statements and a transaction).
RUSH_LANE = env_bool("RUSH_LANE", True)
# The hot lane (api/hot_lane.py): the status read and the assessed daily update answered after the
# API's middleware but before URL resolution and ninja; STATUS_LANE=0 / UPDATE_LANE=0 send that
# route through ninja (the same answer, dearer).
STATUS_LANE = env_bool("STATUS_LANE", True)
UPDATE_LANE = env_bool("UPDATE_LANE", True)
# Behind a trusted reverse proxy, the number of proxies whose X-Forwarded-For entries we trust.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Whether the overload checks believe X-Request-Start (core/overload.py): only a proxy that sets it
# itself (docs/operations.md, "Overload") makes it the queue's time; straight from a client it is
# whatever the client wrote, and a late one would put the process in rush mode for everyone. On by
# default behind a trusted proxy (the documented one stamps it); without it the queue checks are off.
OVERLOAD_TRUST_REQUEST_START = env_bool("OVERLOAD_TRUST_REQUEST_START", TRUSTED_PROXY_COUNT > 0)

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
# Tile URL templates or origins; the maps draw from the first (core/maps.py), the CSP allows their origins.
MAP_TILE_SOURCES = env_list("MAP_TILE_SOURCES", ["https://tile.openstreetmap.org"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF],
        # data: for the images Leaflet and Swagger UI embed in their CSS; tiles for the maps.
        "img-src": [csp_constants.SELF, "data:", *dict.fromkeys(tile_origin(s) for s in MAP_TILE_SOURCES)],
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
