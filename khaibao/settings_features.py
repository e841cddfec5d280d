"""Khai Báo settings, the features' limits: exports, citizen reports, retention and
data-subject rights, venue check-in.

Read from the environment like every setting and imported by khaibao/settings.py (the one
DJANGO_SETTINGS_MODULE); kept apart only so that each file stays readable.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from khaibao.core.env import env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

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
# An organisation admin's roster imports and "remind now"s per hour (orgs/admin_limits.py).
ORG_ROSTER_IMPORTS_PER_HOUR = env_int("ORG_ROSTER_IMPORTS_PER_HOUR", 100)
ORG_REMIND_NOW_PER_HOUR = env_int("ORG_REMIND_NOW_PER_HOUR", 100)
HOUSEHOLD_MAX_PEOPLE = env_int("HOUSEHOLD_MAX_PEOPLE", 20)
VOLUNTEER_MAX_ASSISTED = env_int("VOLUNTEER_MAX_ASSISTED", 30)
# A person a volunteer registered, waiting for consent by code, lapses this many days after the
# last code expired: retention ends the delegation and erases the person nobody else looks after
# (people/limits.py pending_consent_lapse; privacy/retention.py).
VOLUNTEER_PENDING_CONSENT_DAYS = env_int("VOLUNTEER_PENDING_CONSENT_DAYS", 7)
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
# Roster lines removed by an admin or declined by their phone's owner lose name and phone; a
# roster import's file of rejected rows (names and phones) is emptied.
RETENTION_ROSTER_REMOVED_DAYS = env_int("RETENTION_ROSTER_REMOVED_DAYS", 90)
RETENTION_ROSTER_ERRORS_DAYS = env_int("RETENTION_ROSTER_ERRORS_DAYS", 30)
# One-time codes, idempotency records, expired sessions.
RETENTION_SHORT_LIVED_HOURS = env_int("RETENTION_SHORT_LIVED_HOURS", 24)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 500)
# Per table per periodic run, so one run stays short; the command runs until nothing is due.
RETENTION_MAX_BATCHES = env_int("RETENTION_MAX_BATCHES", 20)
if RETENTION_AUDIT_DAYS < 365:
    raise ImproperlyConfigured("RETENTION_AUDIT_DAYS must be at least 365 (system logs are kept 12 months)")
for _name in ("RETENTION_HEALTH_DAYS", "RETENTION_NOTIFICATION_DAYS", "RETENTION_REPORT_DAYS",
              "RETENTION_ROSTER_REMOVED_DAYS", "RETENTION_ROSTER_ERRORS_DAYS",
              "RETENTION_SHORT_LIVED_HOURS", "RETENTION_BATCH_SIZE", "RETENTION_MAX_BATCHES"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1")

# --- Venue check-in (issue 20; docs/venues.md) -----------------------------------------------
# Check-ins are short-lived: erased by the retention job this many days after the visit.
VENUE_CHECKIN_KEEP_DAYS = env_int("VENUE_CHECKIN_KEEP_DAYS", 21)
# Days of check-in partitions kept created ahead of today (PostgreSQL; venues/partitions.py).
VENUE_CHECKIN_PARTITION_DAYS_AHEAD = env_int("VENUE_CHECKIN_PARTITION_DAYS_AHEAD", 3)
# A second check-in of the same person at the same venue within this many minutes is the same one.
VENUE_CHECKIN_REPEAT_MINUTES = env_int("VENUE_CHECKIN_REPEAT_MINUTES", 10)
# How old a check-in's `at` may be (an offline check-in keeps the time of the scan); older is refused.
VENUE_CHECKIN_MAX_AGE_HOURS = env_int("VENUE_CHECKIN_MAX_AGE_HOURS", 72)
# Check-ins one account may post per minute (a household checking in is a few; a script is many).
VENUE_CHECKIN_RATE_PER_MINUTE = env_int("VENUE_CHECKIN_RATE_PER_MINUTE", 60)
# A zone reaches check-ins made during its validity, at most this many days back.
VENUE_ZONE_LOOKBACK_DAYS = env_int("VENUE_ZONE_LOOKBACK_DAYS", 14)
# People warned per transaction by a venue exposure run.
VENUE_EXPOSURE_BATCH_SIZE = env_int("VENUE_EXPOSURE_BATCH_SIZE", 100)
for _name in ("VENUE_CHECKIN_KEEP_DAYS", "VENUE_CHECKIN_PARTITION_DAYS_AHEAD", "VENUE_CHECKIN_REPEAT_MINUTES",
              "VENUE_CHECKIN_MAX_AGE_HOURS", "VENUE_CHECKIN_RATE_PER_MINUTE", "VENUE_ZONE_LOOKBACK_DAYS", "VENUE_EXPOSURE_BATCH_SIZE"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1")
