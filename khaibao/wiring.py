"""The project's fixed wiring: its apps and middleware, its templates, its periodic jobs and the
hooks through which a lower app lets a higher one react (core/hooks.py). Nothing here reads
the environment — every deployment knob is in settings.py, which takes these names as its own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # Only so that the API docs page serves Swagger UI from the package's static files, not a CDN.
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "khaibao.core",
    "khaibao.accounts",
    "khaibao.places",
    "khaibao.people",
    "khaibao.risk",
    "khaibao.declarations",
    "khaibao.monitoring",
    "khaibao.passes",
    "khaibao.cases",
    "khaibao.tracing",
    "khaibao.stats",
    "khaibao.exports",
    "khaibao.zones",
    "khaibao.notifications",
    "khaibao.news",
    "khaibao.reports",
    "khaibao.orgs",
    "khaibao.venues",
    "khaibao.smsin",
    "khaibao.audit",
    "khaibao.privacy",
    "khaibao.api",
    "khaibao.web",
    "khaibao.backoffice",
]

MIDDLEWARE = [
    # First: sheds overload (503 + Retry-After) before any session or database work.
    "khaibao.core.overload.OverloadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "khaibao.core.headers.SecurityHeadersMiddleware",
    # Static files (hashed names, immutable caching, pre-compressed brotli/gzip): WhiteNoise.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed too (a declaration form is ~5× smaller gzipped: the 2G budget in
    # docs/accessibility.md). Django's GZip pads each response at random against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "khaibao.api.middleware.ApiBodyLimitMiddleware",
    "khaibao.api.middleware.ApiTokenRateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before the staff middlewares: the idle sign-out leaves a message for the sign-in page.
    "django.contrib.messages.middleware.MessageMiddleware",
    "khaibao.accounts.middleware.StaffIdleTimeoutMiddleware",
    "khaibao.accounts.middleware.OfficialSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "khaibao.api.idempotency.IdempotencyMiddleware",
]

# The API's own stack (khaibao/core/lanes.py: requests under /api/ take it, pages take the one
# above). Kept: overload shedding, the security headers, the body checks, the rate limits and the
# access-token deny-list (one Redis round trip), the language of the messages (Accept-Language)
# and Idempotency-Key. Left out, as an API call carries a bearer token and answers small JSON:
# sessions, CSRF, auth from the session, django-otp, messages, the staff timeouts, htmx,
# WhiteNoise and GZip — each measured in bench/RESULTS.md, "Issue 19".
API_LANE_PREFIXES = ["/api/"]
API_MIDDLEWARE = [
    "khaibao.core.overload.OverloadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A fixed policy for JSON (default-src 'none'): django-csp builds the pages' one per response.
    "khaibao.core.headers.ApiSecurityHeadersMiddleware",
    "khaibao.api.middleware.ApiBodyLimitMiddleware",
    "khaibao.api.middleware.ApiTokenRateLimitMiddleware",
    # The language of the messages: Django's choice, without its look for a language in the path
    # (the project has no language-prefixed URLs).
    "khaibao.api.middleware.ApiLocaleMiddleware",
    # Rush mode's lane (decision D): a daily update marked by the overload checks is stored first
    # here, in one statement with its access check and its Idempotency-Key's answer; anything
    # else goes on (bench/RESULTS.md, "Issue 19, rush, second pass").
    "khaibao.api.rush.RushStoreFirstMiddleware",
    "django.middleware.common.CommonMiddleware",
    "khaibao.api.idempotency.IdempotencyMiddleware",
    # Last: the status read and the daily update answered here without URL resolution nor ninja,
    # by the views' own functions (api/hot_lane.py); anything else goes on to ninja.
    "khaibao.api.hot_lane.HotLaneMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [_HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "khaibao.notifications.context_processors.notifications",
                "khaibao.core.context_processors.hotlines",
            ],
        },
    },
]

# Periodic jobs: (dotted path of a django-tasks task taking no arguments, every N seconds).
PERIODIC_TASKS: list[tuple[str, int]] = [
    ("khaibao.core.tasks.prune_scheduled_runs", 24 * 3600),
    ("khaibao.core.tasks.prune_task_results", 3600),
    ("khaibao.zones.tasks.zone_warning_runs_resume", 60),
    # Missed daily updates, escalation and lost to follow-up for the officials' queue.
    ("khaibao.cases.tasks.missed_updates_refresh", 300),
    # Dashboards promise a lag of at most 60 s (DESIGN.md §8).
    ("khaibao.stats.tasks.stats_refresh", 30),
    ("khaibao.exports.tasks.export_cleanup", 3600),
    # Report photo files whose report rolled back or whose process died before the commit (reports/cleanup.py).
    ("khaibao.reports.tasks.report_photos_sweep", 3600),
    ("khaibao.notifications.tasks.send_daily_reminders", 10 * 60),
    # Organisations' compliance (issue 7): rollups ≤ 60 s behind, end-of-day report, reminders.
    ("khaibao.orgs.tasks.compliance_refresh", 60),
    ("khaibao.orgs.tasks.compliance_snapshot", 5 * 60),
    ("khaibao.orgs.tasks.campaign_reminders", 10 * 60),
    # A "remind now" whose worker died is picked up again (orgs/reminder_runs.py).
    ("khaibao.orgs.tasks.remind_now_sweep", 60),
    # A campaign reminder SMS whose worker died after its batch committed is sent again (orgs/reminder_sms.py).
    ("khaibao.orgs.tasks.campaign_reminder_sms_requeue", 60),
    # Daily-update month partitions on PostgreSQL: created ahead, dropped past retention.
    ("khaibao.monitoring.tasks.daily_update_partitions", 6 * 3600),
    ("khaibao.notifications.tasks.deliveries_requeue", 60),
    # A traced contact's invitation SMS whose enqueue or process was lost is sent again.
    ("khaibao.tracing.tasks.contact_invitations_requeue", 60),
    # A reply to an inbound SMS whose enqueue or worker was lost is sent again (smsin/outbox.py).
    ("khaibao.smsin.tasks.inbound_sms_replies_requeue", 60),
    # Inbound SMS (issue 10): messages are kept SMS_INBOUND_KEEP_DAYS, then forgotten.
    ("khaibao.smsin.tasks.inbound_sms_prune", 3600),
    # Retention (issue 8 §3): erase or anonymise what is past its period, in bounded batches.
    ("khaibao.privacy.tasks.retention_purge", 3600),
    # Audit rows are appended unsealed (no lock on the write path) and linked into the hash
    # chain here (docs/decisions/0005): an edit is detectable from at most ~10 s after a write.
    ("khaibao.audit.tasks.audit_chain_seal", 10),
    # Task rows left RUNNING by a worker that died are closed as failed (core/workers.py).
    ("khaibao.core.tasks.tasks_sweep", 60),
    # No export stays queued or running for ever: retried or failed when its worker died.
    ("khaibao.exports.tasks.exports_sweep", 60),
    # Venue exposure runs whose worker died are queued again (issue 20).
    ("khaibao.venues.tasks.venue_exposure_runs_resume", 60),
    # Check-in day partitions on PostgreSQL (issue 20): created ahead, dropped once a whole day is
    # past VENUE_CHECKIN_KEEP_DAYS — hourly, so a day goes soon after midnight (retention too).
    ("khaibao.venues.tasks.checkin_partitions", 3600),
    # Rush mode (decision D): daily updates stored first are assessed within 60 s; each run
    # drains the backlog in set-based batches (monitoring/pending.py).
    ("khaibao.monitoring.tasks.pending_assessments_run", 5),
    # Sign-outs Redis missed (an outage, a restart) go back on the deny-list from the database
    # (accounts/access_tokens.py `deny_list_rewrite`).
    ("khaibao.accounts.tasks.deny_list_rewrite", 60),
]

# Rush mode (core/overload.py, decision D): the writes that a late request may have stored first
# and answered 202, as (method, path regex). Their views read `rush_requested(request)`.
RUSH_ROUTES: list[tuple[str, str]] = [
    ("PUT", r"/api/v1/people/\d+/updates/[0-9-]+"),
    ("POST", r"/people/\d+/update/"),
]

# What /healthz counts as work piling up beside the task queue (core/health.py): functions
# (now=) -> {"<name>_seconds": how long the oldest due item has waited}.
HEALTH_BACKLOG_SOURCES = [
    "khaibao.notifications.selectors.deliveries_backlog",
    # Daily updates stored first in rush mode and not yet assessed (and the rush figures).
    "khaibao.monitoring.pending.pending_backlog",
]

# Who gets the daily reminder: functions (today, after_person_id, limit) -> people by id.
# Only the monitored people's: campaign members are reminded by the organisations app's own job
# (orgs/reminders.py, periodic `campaign_reminders`), not through this list.
DAILY_REMINDER_SOURCES = ["khaibao.notifications.selectors.monitored_people_without_update"]

# Hooks (core/hooks.py): how a lower app lets a higher one react, without importing it.
# A person's home ward changed (people.households): called with person=, in the transaction.
PERSON_HOME_MOVED_HOOKS = ["khaibao.monitoring.assessment.person_status_home_sync"]
# An account's own ("self") person now exists (people.households, people.volunteers): called
# with account= and person_id=, in the transaction.
SELF_PERSON_ADDED_HOOKS = ["khaibao.orgs.members.members_attach_self"]
# An official replied to a citizen's report (reports.handling.report_reply_add): called with
# account= (the signed-in reporter) and report_id=, in the transaction. Issue 17: the reporter
# is told, instead of having to look.
REPORT_REPLIED_HOOKS = ["khaibao.notifications.messages.report_reply_notify"]
# An official registered a traced contact (tracing.services.contact_register, a new contact
# only): called with person= (the contact) and contact_id=, in the transaction. The invitation
# to declare goes by SMS from tracing; whoever looks after the contact with an account finds it
# in their inbox too (the preferences page promises every message there), without a second SMS.
CONTACT_REGISTERED_HOOKS = ["khaibao.notifications.messages.contact_invitation_notify"]
# People whose data may no longer be processed — consent withdrawn or erasure asked for:
# functions () -> a subquery of person ids, filled by the privacy app (above every app that
# processes). One rule, read through people.access (`processing_allowed_q`, `processing_allowed`):
# zone and venue warnings never reach them (the anonymous shell kept for the statistics still has
# a home ward, issue 8 §2), the rush worker does not assess an update still pending or racing the
# withdrawal, and an official's case action, assignment or contact flag is refused — each would
# bring back the status row and the triage-queue entry the withdrawal deleted.
PROCESSING_STOPPED = ["khaibao.privacy.selectors.processing_stopped_ids"]
# A person's data is erased (privacy.erasure.person_data_erase): called with person_id=, in the
# erasure's transaction, before the person row goes; returns {table: rows erased} for the
# erasure's counts. The SMS channel (above privacy) deletes the messages that acted for them.
PERSON_ERASE_HOOKS = ["khaibao.smsin.services.inbound_sms_erase_person"]
# A citizen account is closed (privacy.erasure.account_close): called with account=, in the
# transaction, while the account still has its phone index; returns {table: rows erased}. The
# SMS channel deletes every message from the account's phone.
ACCOUNT_CLOSE_HOOKS = ["khaibao.smsin.services.inbound_sms_erase_account"]
# A place or zone version that warns was published (zones.places, zones.zones): called with
# actor= and place_version= or zone_version=, in the transaction. The venues app (above zones)
# starts the run that warns everyone checked in at a venue it covers during its window.
AREA_PUBLISHED_HOOKS = ["khaibao.venues.runs.area_published"]
# What an assessment reads from apps above monitoring (khaibao/monitoring/sources.py): the
# exposures contact tracing registered, and the epidemic zones a declared trip went through.
ASSESSMENT_EXPOSURE_SOURCES = ["khaibao.tracing.selectors.TRACED_EXPOSURES", "khaibao.venues.exposure.VENUE_EXPOSURES"]
ASSESSMENT_ZONE_SOURCES = ["khaibao.zones.selectors.zone_facts_for_travel"]
# What a status read shows from apps above monitoring, read in the status row's own statement
# (monitoring.selectors.person_status_read): the current pass code, the citizen's follow-up.
STATUS_READ_SOURCES = ["khaibao.passes.services.STATUS_PASS_CODE", "khaibao.cases.citizen_view.STATUS_FOLLOW_UP"]

# Every stored blind index (an HMAC under BLIND_INDEX_KEY, core/crypto.py) of a value kept
# (encrypted) beside it or reachable from its row: `manage.py rotate_keys --blind-index`
# recomputes exactly these under a new key (core/rotation.py, `BlindIndex`). EVERY stored blind
# index must be listed here, by the app that owns it: one left out silently stops matching after
# a rotation (core/tests/test_blind_index_rotation.py fails on a model's `*_index` field that is
# missing). An entry: (model, index field, source field — decrypted by its field, or read across
# a foreign key —, dotted function value -> index, the index of an empty value[, same_as: the
# stored index the index must equal to be recomputed, for a value its source may no longer
# hold]). The indexes of values kept nowhere (one-time codes, closed by the command; IP addresses
# of rate limits) are short-lived and simply expire.
BLIND_INDEXES: list[tuple[Any, ...]] = [
    # accounts: sign-in by phone, one account per phone.
    ("accounts.Account", "phone_index", "phone", "khaibao.accounts.phones.phone_index", None),
    # people: a person's phone (an assisted person's sign-in, tracing) and ID number (duplicates).
    ("people.Person", "phone_index", "phone", "khaibao.accounts.phones.phone_index", ""),
    ("people.Person", "id_number_index", "id_number", "khaibao.people.persons.id_number_index", None),
    # The phone a volunteer's consent code went to (volunteers.assisted_link_on_sign_in). That phone
    # is not kept on the delegation: it was the person's at the time. Where the index still equals
    # the person's phone index it is recomputed from the person's phone; where it does not (the
    # phone changed since), the phone it named is kept nowhere and it is cleared — such a
    # delegation hands no record over at sign-in, as before the rotation.
    (
        "people.Delegation", "consent_phone_index", "person__phone", "khaibao.accounts.phones.phone_index", "",
        "person__phone_index",
    ),
    # declarations: the places of a declaration's sealed travel answers (the zone warning job).
    ("declarations.Declaration", "travel_index", "answers", "khaibao.declarations.travel.travel_index", []),
    # orgs: roster members matched to an account by phone.
    ("orgs.Member", "phone_index", "phone", "khaibao.accounts.phones.phone_index", ""),
    # venues: which venue a check-in was at (issue 20), sealed and matched by this index.
    ("venues.CheckIn", "venue_index", "venue_sealed", "khaibao.venues.sealing.venue_index_of", ""),
    # smsin: the messages of a phone (a gateway's retry, the reply limit, closing its account).
    ("smsin.InboundSms", "phone_index", "phone", "khaibao.accounts.phones.phone_index", ""),
]

# Static files: the project's own, and what packages ship.
STATICFILES_DIRS: list[Any] = [_HERE / "static"]
# Leaflet for the zones map comes from the django-leaflet package. Only its static files are
# used: the app itself would pull in django.contrib.gis (and GDAL) through its admin module.
_LEAFLET_SPEC = importlib.util.find_spec("leaflet")
if _LEAFLET_SPEC is not None and _LEAFLET_SPEC.submodule_search_locations:
    STATICFILES_DIRS.append(("leaflet", Path(_LEAFLET_SPEC.submodule_search_locations[0]) / "static" / "leaflet"))
# Pieces only the npm registry has (package.json, installed by `make setup` with `npm ci`):
# html5-qrcode scans QR codes on browsers without BarcodeDetector.
_HTML5_QRCODE = _HERE.parent / "node_modules" / "html5-qrcode"
if _HTML5_QRCODE.is_dir():
    STATICFILES_DIRS.append(("vendor/html5-qrcode", _HTML5_QRCODE))

# The features pages may ask for: the zones and report pages ask for the location, the
# checkpoint scanner for the camera; nothing else, and never from a frame of another origin.
PERMISSIONS_POLICY = {
    "geolocation": "(self)",
    "camera": "(self)",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
}
