"""Authorisation matrix: every page and API operation × every role (issue 8, suite item 1).

Each route (found by routes.py from the URL resolver and the OpenAPI schema) has one entry in
MATRIX: the roles that get through when the route's ids point at the world's objects — all of
them in Hà Nội (ward Hoàn Kiếm) or organisation A (Trung ương Đoàn). Every other role must be
refused: 401/403/404, or sent to a sign-in page. A read by an allowed role must succeed; a write
by a refused role must change nothing in the database. A route with no entry fails the test
("unclassified route"): classify it here when you add it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration
from khaibao.security_suite.conftest import ROLES
from khaibao.security_suite.matrix_support import fingerprint, outcome
from khaibao.security_suite.routes import Route, all_routes

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
OWNER = frozenset({"citizen_owner"})
CITIZENS = frozenset({"citizen_owner", "other_citizen", "volunteer"})
VOLUNTEER = frozenset({"volunteer"})
OFFICIALS = frozenset({"ward_official", "ward_official_out", "province_official", "province_official_out", "national"})
# Officials whose jurisdiction covers ward Hoàn Kiếm (Hà Nội), where the world's objects live.
HANOI = frozenset({"ward_official", "province_official", "national"})
HANOI_PROVINCE = frozenset({"province_official", "national"})
WARD_OFFICIALS = frozenset({"ward_official", "ward_official_out"})
NATIONAL = frozenset({"national"})
GATE = frozenset({"checkpoint"}) | OFFICIALS
STAFF = SIGNED_IN - CITIZENS
SECOND_FACTOR = OFFICIALS | {"dpo", "sysadmin"}
ORG_A = frozenset({"org_admin_a"})
ORG_ADMINS = frozenset({"org_admin_a", "org_admin_b"})
PROVINCE_CREATOR = frozenset({"province_official"})  # exports are the requester's own
SYSADMIN = frozenset({"sysadmin"})
DPO = frozenset({"dpo"})

# "METHOD pattern" -> roles allowed. Page patterns use Django's syntax, API ones OpenAPI's.
MATRIX: dict[str, frozenset[str]] = {
    # Citizens' pages.
    "GET /": EVERYONE, "POST /": EVERYONE,
    "GET /zones/": EVERYONE, "POST /zones/": EVERYONE,
    "GET /zones/check/": EVERYONE, "POST /zones/check/": EVERYONE,
    "GET /sign-in/": EVERYONE, "POST /sign-in/": EVERYONE,
    # Step two of sign-in: without a phone from step one everyone is sent back to step one.
    "GET /sign-in/code/": NOBODY, "POST /sign-in/code/": NOBODY,
    "GET /sign-in/code/new/": NOBODY, "POST /sign-in/code/new/": NOBODY,
    "GET /sign-out/": NOBODY, "POST /sign-out/": EVERYONE,
    "GET /household/": CITIZENS, "POST /household/": CITIZENS,
    "GET /household/add/": CITIZENS, "POST /household/add/": CITIZENS,
    "GET /household/wards/": CITIZENS, "POST /household/wards/": CITIZENS,
    "GET /household/export.json": CITIZENS, "POST /household/export.json": CITIZENS,
    "GET /household/<int:person_id>/edit/": OWNER, "POST /household/<int:person_id>/edit/": OWNER,
    "GET /household/<int:person_id>/remove/": OWNER, "POST /household/<int:person_id>/remove/": OWNER,
    "GET /volunteer/": VOLUNTEER, "POST /volunteer/": VOLUNTEER,
    "GET /volunteer/register/": VOLUNTEER, "POST /volunteer/register/": VOLUNTEER,
    "GET /volunteer/passes/": VOLUNTEER, "POST /volunteer/passes/": VOLUNTEER,
    # The world's person is Lan's father, not someone Hà assists.
    "GET /volunteer/people/<int:person_id>/well/": NOBODY, "POST /volunteer/people/<int:person_id>/well/": NOBODY,
    "GET /volunteer/assisted/<int:delegation_id>/confirm/": VOLUNTEER,
    "POST /volunteer/assisted/<int:delegation_id>/confirm/": VOLUNTEER,
    "GET /volunteer/assisted/<int:delegation_id>/end/": VOLUNTEER,  # the confirmation page
    "POST /volunteer/assisted/<int:delegation_id>/end/": VOLUNTEER,
    "GET /people/<int:person_id>/pass.svg": OWNER, "POST /people/<int:person_id>/pass.svg": OWNER,
    "GET /people/<int:person_id>/": OWNER, "POST /people/<int:person_id>/": OWNER,
    "GET /people/<int:person_id>/declare/": OWNER, "POST /people/<int:person_id>/declare/": OWNER,
    "GET /people/<int:person_id>/risk/": OWNER, "POST /people/<int:person_id>/risk/": OWNER,
    "GET /people/<int:person_id>/update/": OWNER, "POST /people/<int:person_id>/update/": OWNER,
    "GET /memberships/": CITIZENS, "POST /memberships/": CITIZENS,
    # The reminders' short link: a redirect to /memberships/ for anyone (which then asks to sign in).
    "GET /tv": EVERYONE, "POST /tv": EVERYONE,
    # The roster entry belongs to Lan's phone; answering it is hers alone. GET is the confirmation
    # page, hers only once the line is linked to her account at sign-in: the world's line is not
    # linked yet, so it is refused to everyone here (orgs/tests/test_membership_answers_confirmed.py
    # shows it to her).
    "GET /memberships/<int:member_id>/<str:answer>/": NOBODY,
    "POST /memberships/<int:member_id>/<str:answer>/": OWNER,
    "GET /reports/": CITIZENS, "POST /reports/": CITIZENS,
    "GET /reports/new/": EVERYONE, "POST /reports/new/": EVERYONE,
    "GET /reports/done/": EVERYONE, "POST /reports/done/": EVERYONE,
    "GET /reports/wards/": EVERYONE, "POST /reports/wards/": EVERYONE,
    "GET /reports/track/": EVERYONE, "POST /reports/track/": EVERYONE,
    "GET /news/": EVERYONE, "POST /news/": EVERYONE,
    "GET /news/feed.atom": EVERYONE, "POST /news/feed.atom": EVERYONE,
    "GET /news/<int:announcement_id>/": EVERYONE, "POST /news/<int:announcement_id>/": EVERYONE,
    "GET /notifications/": CITIZENS, "POST /notifications/": CITIZENS,
    "GET /notifications/read-all/": NOBODY, "POST /notifications/read-all/": CITIZENS,
    "GET /notifications/<int:notification_id>/read/": NOBODY,
    "POST /notifications/<int:notification_id>/read/": OWNER,
    "GET /notifications/preferences/": CITIZENS, "POST /notifications/preferences/": CITIZENS,
    "GET /notifications/webpush-subscriptions/": NOBODY, "POST /notifications/webpush-subscriptions/": CITIZENS,
    "GET /sw.js": EVERYONE, "POST /sw.js": EVERYONE,
    # The offline app (issue 10): public shell pieces; the text-size switch is a form post.
    "GET /manifest.webmanifest": EVERYONE, "POST /manifest.webmanifest": NOBODY,
    "GET /offline/": EVERYONE, "POST /offline/": NOBODY,
    "GET /text-size/": NOBODY, "POST /text-size/": EVERYONE,
    # "My data" (issue 8): each citizen's own household only; the code id is nobody's here.
    "GET /my-data/": CITIZENS, "POST /my-data/": NOBODY,
    "GET /my-data/export.json": CITIZENS, "POST /my-data/export.json": NOBODY,
    "GET /my-data/erase/": CITIZENS, "POST /my-data/erase/": CITIZENS,
    "GET /my-data/erase/<int:code_id>/": NOBODY, "POST /my-data/erase/<int:code_id>/": NOBODY,
    # Venue check-in (issue 20): the venue is Lan's, the check-in her father's.
    "GET /checkin/": CITIZENS, "POST /checkin/": CITIZENS,
    "GET /c/<str:code>/": CITIZENS, "POST /c/<str:code>/": CITIZENS,
    "GET /checkins/": CITIZENS, "POST /checkins/": CITIZENS,
    # Destructive actions: a confirmation page on GET, the change on the confirmed POST.
    "GET /checkins/<int:checkin_id>/delete/": OWNER, "POST /checkins/<int:checkin_id>/delete/": OWNER,
    "GET /venues/": CITIZENS, "POST /venues/": CITIZENS,
    "GET /venues/new/": CITIZENS, "POST /venues/new/": CITIZENS,
    "GET /venues/<int:venue_id>/": OWNER, "POST /venues/<int:venue_id>/": OWNER,
    "GET /venues/<int:venue_id>/poster/": OWNER, "POST /venues/<int:venue_id>/poster/": OWNER,
    "GET /venues/<int:venue_id>/poster.svg": OWNER, "POST /venues/<int:venue_id>/poster.svg": OWNER,
    "GET /staff/venues/": OFFICIALS, "POST /staff/venues/": OFFICIALS,
    "GET /staff/venues/<int:venue_id>/": HANOI, "POST /staff/venues/<int:venue_id>/": HANOI,
    "GET /staff/venues/<int:venue_id>/status/": NOBODY, "POST /staff/venues/<int:venue_id>/status/": HANOI,
    "GET /staff/venues/<int:venue_id>/case-visits/": NOBODY, "POST /staff/venues/<int:venue_id>/case-visits/": HANOI,
    "GET /staff/cases/<int:person_id>/checkins/": HANOI, "POST /staff/cases/<int:person_id>/checkins/": HANOI,
    "GET /staff/cases/<int:person_id>/checkins/<int:checkin_id>/visit/": NOBODY,
    "POST /staff/cases/<int:person_id>/checkins/<int:checkin_id>/visit/": HANOI,
    # The SMS gateway's webhook: refused without the gateway's signature, whoever asks.
    "GET /sms/inbound": NOBODY, "POST /sms/inbound": NOBODY,
    # The console.
    "GET /staff/": STAFF, "POST /staff/": STAFF,
    "GET /staff/sign-in/": EVERYONE, "POST /staff/sign-in/": EVERYONE,
    "GET /staff/2fa/": SECOND_FACTOR, "POST /staff/2fa/": SECOND_FACTOR,
    "GET /staff/sign-out/": NOBODY, "POST /staff/sign-out/": EVERYONE,
    "GET /staff/verify/": GATE, "POST /staff/verify/": GATE,
    "GET /staff/zones/": OFFICIALS, "POST /staff/zones/": OFFICIALS,
    "GET /staff/zones/new/": OFFICIALS - WARD_OFFICIALS, "POST /staff/zones/new/": OFFICIALS - WARD_OFFICIALS,
    "GET /staff/zones/<int:zone_id>/": OFFICIALS, "POST /staff/zones/<int:zone_id>/": OFFICIALS,
    "GET /staff/zones/<int:zone_id>/edit/": HANOI_PROVINCE, "POST /staff/zones/<int:zone_id>/edit/": HANOI_PROVINCE,
    "GET /staff/zones/<int:zone_id>/end/": HANOI_PROVINCE,  # the confirmation page
    "POST /staff/zones/<int:zone_id>/end/": HANOI_PROVINCE,
    "GET /staff/zones/<int:zone_id>/progress/": OFFICIALS, "POST /staff/zones/<int:zone_id>/progress/": OFFICIALS,
    "GET /staff/zones/places/new/": OFFICIALS - WARD_OFFICIALS,
    "POST /staff/zones/places/new/": OFFICIALS - WARD_OFFICIALS,
    "GET /staff/zones/places/<int:place_id>/": OFFICIALS, "POST /staff/zones/places/<int:place_id>/": OFFICIALS,
    "GET /staff/zones/places/<int:place_id>/edit/": HANOI_PROVINCE,
    "POST /staff/zones/places/<int:place_id>/edit/": HANOI_PROVINCE,
    "GET /staff/zones/places/<int:place_id>/withdraw/": HANOI_PROVINCE,  # the confirmation page
    "POST /staff/zones/places/<int:place_id>/withdraw/": HANOI_PROVINCE,
    "GET /staff/reports/": OFFICIALS, "POST /staff/reports/": OFFICIALS,
    "GET /staff/reports/<int:report_id>/": HANOI, "POST /staff/reports/<int:report_id>/": HANOI,
    "GET /staff/reports/<int:report_id>/status/": NOBODY, "POST /staff/reports/<int:report_id>/status/": HANOI,
    "GET /staff/reports/<int:report_id>/notes/": NOBODY, "POST /staff/reports/<int:report_id>/notes/": HANOI,
    "GET /staff/reports/<int:report_id>/replies/": NOBODY, "POST /staff/reports/<int:report_id>/replies/": HANOI,
    "GET /staff/reports/<int:report_id>/to-case/": NOBODY, "POST /staff/reports/<int:report_id>/to-case/": HANOI,
    "GET /staff/reports/<int:report_id>/photos/<int:photo_id>/": HANOI,
    "POST /staff/reports/<int:report_id>/photos/<int:photo_id>/": HANOI,
    "GET /staff/cases/": OFFICIALS, "POST /staff/cases/": OFFICIALS,
    "GET /staff/cases/<int:person_id>/": HANOI, "POST /staff/cases/<int:person_id>/": HANOI,
    "GET /staff/cases/<int:person_id>/actions/": NOBODY, "POST /staff/cases/<int:person_id>/actions/": HANOI,
    "GET /staff/cases/<int:person_id>/assign/": NOBODY, "POST /staff/cases/<int:person_id>/assign/": HANOI,
    "GET /staff/cases/<int:person_id>/reveal/": NOBODY, "POST /staff/cases/<int:person_id>/reveal/": HANOI,
    "GET /staff/cases/<int:person_id>/contacts/": HANOI, "POST /staff/cases/<int:person_id>/contacts/": HANOI,
    # Issue 18: raising a household's limit (the case view's form), duplicate ID numbers to review.
    "GET /staff/cases/<int:person_id>/household-limit/": NOBODY,
    "POST /staff/cases/<int:person_id>/household-limit/": HANOI,
    # The list is every official's (empty outside the review's area); a GET-only page.
    "GET /staff/id-reviews/": OFFICIALS, "POST /staff/id-reviews/": NOBODY,
    "GET /staff/id-reviews/<int:review_id>/": HANOI, "POST /staff/id-reviews/<int:review_id>/": NOBODY,
    "GET /staff/id-reviews/<int:review_id>/resolve/": NOBODY, "POST /staff/id-reviews/<int:review_id>/resolve/": HANOI,
    "GET /staff/tracing/wards/": OFFICIALS, "POST /staff/tracing/wards/": OFFICIALS,
    "GET /staff/break-glass/": OFFICIALS, "POST /staff/break-glass/": OFFICIALS,
    "GET /staff/break-glass/review/": NATIONAL, "POST /staff/break-glass/review/": NATIONAL,
    "GET /staff/stats/": OFFICIALS, "POST /staff/stats/": OFFICIALS,
    # Service health and rush mode (issue 19, decision D): officials, read only.
    "GET /staff/health/": OFFICIALS, "POST /staff/health/": NOBODY,
    # The charts' stylesheet (CSP: no inline styles): plain CSS, no data.
    "GET /staff/stats/charts.css": EVERYONE, "POST /staff/stats/charts.css": NOBODY,
    # The data-protection officer's audit trail (issue 8): the DPO alone.
    "GET /staff/audit/": DPO, "POST /staff/audit/": NOBODY,
    "GET /staff/audit/export/": NOBODY, "POST /staff/audit/export/": DPO,
    "GET /staff/privacy/requests/": DPO, "POST /staff/privacy/requests/": NOBODY,
    "GET /staff/compliance/": ORG_ADMINS, "POST /staff/compliance/": ORG_ADMINS,
    "GET /staff/compliance/<int:unit_id>/": ORG_A, "POST /staff/compliance/<int:unit_id>/": ORG_A,
    "GET /staff/compliance/<int:unit_id>/members/": ORG_A, "POST /staff/compliance/<int:unit_id>/members/": ORG_A,
    "GET /staff/compliance/<int:unit_id>/export/": ORG_A, "POST /staff/compliance/<int:unit_id>/export/": ORG_A,
    "GET /staff/compliance/<int:unit_id>/remind/": NOBODY, "POST /staff/compliance/<int:unit_id>/remind/": ORG_A,
    "GET /staff/compliance/<int:unit_id>/chase/": NOBODY, "POST /staff/compliance/<int:unit_id>/chase/": ORG_A,
    "GET /staff/news/": OFFICIALS - WARD_OFFICIALS, "POST /staff/news/": OFFICIALS - WARD_OFFICIALS,
    "GET /staff/news/new/": OFFICIALS - WARD_OFFICIALS, "POST /staff/news/new/": OFFICIALS - WARD_OFFICIALS,
    "GET /staff/news/preview/": NOBODY, "POST /staff/news/preview/": OFFICIALS - WARD_OFFICIALS,
    "GET /staff/news/<int:announcement_id>/edit/": HANOI_PROVINCE,
    "POST /staff/news/<int:announcement_id>/edit/": HANOI_PROVINCE,
    # A confirmation page on GET, the change on POST.
    "GET /staff/news/<int:announcement_id>/unpublish/": HANOI_PROVINCE,
    "POST /staff/news/<int:announcement_id>/unpublish/": HANOI_PROVINCE,
    "GET /staff/orgs/": ORG_ADMINS, "POST /staff/orgs/": ORG_ADMINS,
    "GET /staff/orgs/<int:unit_id>/": ORG_A, "POST /staff/orgs/<int:unit_id>/": ORG_A,
    # GET: the archive's confirmation page (PATH_OVERRIDES); every other action is POST only.
    "GET /staff/orgs/<int:unit_id>/do/<str:action>/": ORG_A, "POST /staff/orgs/<int:unit_id>/do/<str:action>/": ORG_A,
    "GET /staff/orgs/<int:unit_id>/import/": ORG_A, "POST /staff/orgs/<int:unit_id>/import/": ORG_A,
    "GET /staff/orgs/<int:unit_id>/campaigns/new/": ORG_A, "POST /staff/orgs/<int:unit_id>/campaigns/new/": ORG_A,
    # Organisation A's own venue (issue 20, item 1: PATH_IDS); the list is each admin's own.
    "GET /staff/orgs/venues/": ORG_ADMINS, "POST /staff/orgs/venues/": NOBODY,
    "GET /staff/orgs/venues/new/": ORG_ADMINS, "POST /staff/orgs/venues/new/": ORG_ADMINS,
    "GET /staff/orgs/venues/<int:venue_id>/": ORG_A, "POST /staff/orgs/venues/<int:venue_id>/": NOBODY,
    "GET /staff/orgs/venues/<int:venue_id>/poster/": ORG_A, "POST /staff/orgs/venues/<int:venue_id>/poster/": NOBODY,
    "GET /staff/orgs/venues/<int:venue_id>/poster.svg": ORG_A, "POST /staff/orgs/venues/<int:venue_id>/poster.svg": NOBODY,
    "GET /staff/orgs/members/<int:member_id>/remove/": ORG_A,  # the confirmation page
    "POST /staff/orgs/members/<int:member_id>/remove/": ORG_A,
    "GET /staff/orgs/imports/<int:import_id>/errors.csv": ORG_A,
    "POST /staff/orgs/imports/<int:import_id>/errors.csv": ORG_A,
    "GET /staff/orgs/campaigns/<int:campaign_id>/edit/": ORG_A,
    "POST /staff/orgs/campaigns/<int:campaign_id>/edit/": ORG_A,
    "GET /staff/orgs/campaigns/<int:campaign_id>/archive/": ORG_A,  # the confirmation page
    "POST /staff/orgs/campaigns/<int:campaign_id>/archive/": ORG_A,
    # A forged link opens nothing, for anyone.
    "GET /staff/set-password/<str:uidb64>/<str:token>/": NOBODY,
    "POST /staff/set-password/<str:uidb64>/<str:token>/": NOBODY,
    "GET /staff/volunteers/": WARD_OFFICIALS | ORG_ADMINS, "POST /staff/volunteers/": WARD_OFFICIALS | ORG_ADMINS,
    "GET /staff/volunteers/<int:appointment_id>/revoke/": ORG_A,  # the confirmation page
    "POST /staff/volunteers/<int:appointment_id>/revoke/": ORG_A,
    "GET /staff/exports/": OFFICIALS, "POST /staff/exports/": OFFICIALS,
    "GET /staff/exports/<int:job_id>/": PROVINCE_CREATOR, "POST /staff/exports/<int:job_id>/": PROVINCE_CREATOR,
    # A small export streamed at once leaves no file to download later.
    "GET /staff/exports/<int:job_id>/download/": NOBODY, "POST /staff/exports/<int:job_id>/download/": NOBODY,
    "GET /healthz": EVERYONE, "POST /healthz": EVERYONE,
    "GET /i18n/": NOBODY, "POST /i18n/": EVERYONE,  # only /i18n/setlang/ (a cookie, no data)
    "GET /admin/login/": NOBODY, "POST /admin/login/": NOBODY,  # sends everyone to the staff sign-in
    "GET /admin/": SYSADMIN, "POST /admin/": SYSADMIN,
    # The API.
    "POST /api/v1/auth/otp/request": EVERYONE, "POST /api/v1/auth/otp/verify": EVERYONE,
    "POST /api/v1/auth/logout": SIGNED_IN, "POST /api/v1/auth/refresh": EVERYONE,
    "GET /api/v1/me": SIGNED_IN, "GET /api/v1/me/export": CITIZENS,
    "GET /api/v1/audit": DPO, "GET /api/v1/audit/categories": DPO,
    "GET /api/v1/privacy/consent": CITIZENS, "GET /api/v1/privacy/export": CITIZENS,
    "GET /api/v1/privacy/erasures": CITIZENS, "GET /api/v1/privacy/requests": DPO, "POST /api/v1/privacy/erasure-codes": OWNER,
    "POST /api/v1/privacy/erasure-codes/{code_id}/confirm": NOBODY,
    "GET /api/v1/places/provinces": EVERYONE, "GET /api/v1/places/provinces/{code}/wards": EVERYONE,
    "GET /api/v1/places/countries": EVERYONE,
    "GET /api/v1/people": CITIZENS, "POST /api/v1/people": CITIZENS,
    "GET /api/v1/people/{person_id}": OWNER, "PATCH /api/v1/people/{person_id}": OWNER,
    "DELETE /api/v1/people/{person_id}": OWNER,
    "POST /api/v1/people/{person_id}/declarations": OWNER, "GET /api/v1/people/{person_id}/declarations": OWNER | HANOI,
    "POST /api/v1/people/{person_id}/risk-declarations": OWNER,
    "PUT /api/v1/people/{person_id}/updates/{day}": OWNER,
    # Rush mode's poll (decision D): the update and its assessment, as the status read.
    "GET /api/v1/people/{person_id}/updates/{day}": OWNER | HANOI,
    "GET /api/v1/people/{person_id}/status": OWNER | HANOI,
    "POST /api/v1/passes/verify": GATE, "GET /api/v1/passes/keys": EVERYONE,
    "GET /api/v1/people/{person_id}/pass.svg": OWNER,
    "GET /api/v1/triage": OFFICIALS,
    "GET /api/v1/cases/{person_id}": HANOI, "POST /api/v1/cases/{person_id}/actions": HANOI,
    "POST /api/v1/cases/{person_id}/assign": HANOI, "POST /api/v1/cases/{person_id}/reveal": HANOI,
    "POST /api/v1/cases/{person_id}/contacts": HANOI, "GET /api/v1/cases/{person_id}/contacts": HANOI,
    "POST /api/v1/cases/{person_id}/household-limit": HANOI,
    "POST /api/v1/break-glass": OFFICIALS, "GET /api/v1/break-glass/review": NATIONAL,
    "POST /api/v1/break-glass/review/{grant_id}": NATIONAL,
    "GET /api/v1/id-number-reviews": OFFICIALS, "POST /api/v1/id-number-reviews/{review_id}/resolve": HANOI,
    "GET /api/v1/stats/summary": OFFICIALS, "GET /api/v1/stats/by-area": OFFICIALS,
    "POST /api/v1/exports": OFFICIALS, "GET /api/v1/exports": OFFICIALS,
    "GET /api/v1/exports/{job_id}": PROVINCE_CREATOR,
    "GET /api/v1/zones": EVERYONE, "POST /api/v1/zones": HANOI_PROVINCE, "GET /api/v1/zones/check": EVERYONE,
    "GET /api/v1/zones/{zone_id}": OFFICIALS, "PATCH /api/v1/zones/{zone_id}": HANOI_PROVINCE,
    "POST /api/v1/zones/places": HANOI_PROVINCE, "PATCH /api/v1/zones/places/{place_id}": HANOI_PROVINCE,
    # Each signed-in account has its own inbox and preferences.
    "GET /api/v1/notifications": SIGNED_IN, "POST /api/v1/notifications/{notification_id}/read": OWNER,
    "POST /api/v1/notifications/read-all": SIGNED_IN, "GET /api/v1/notifications/preferences": SIGNED_IN,
    "PUT /api/v1/notifications/preferences": SIGNED_IN, "POST /api/v1/notifications/webpush-subscriptions": SIGNED_IN,
    "GET /api/v1/notifications/vapid-public-key": EVERYONE,
    "GET /api/v1/news": EVERYONE, "POST /api/v1/news": HANOI_PROVINCE,
    "GET /api/v1/news/{announcement_id}": EVERYONE, "PATCH /api/v1/news/{announcement_id}": HANOI_PROVINCE,
    "POST /api/v1/news/{announcement_id}/unpublish": HANOI_PROVINCE,
    "GET /api/v1/reports/challenge": EVERYONE, "POST /api/v1/reports": EVERYONE,
    # A signed-in account's own reports (an empty list for one who sent none).
    "GET /api/v1/reports": SIGNED_IN, "GET /api/v1/reports/track/{code}": EVERYONE,
    "GET /api/v1/reports/queue": OFFICIALS, "GET /api/v1/reports/{report_id}": OWNER,
    "GET /api/v1/reports/{report_id}/official": HANOI, "POST /api/v1/reports/{report_id}/status": HANOI,
    "POST /api/v1/reports/{report_id}/notes": HANOI, "POST /api/v1/reports/{report_id}/replies": HANOI,
    "POST /api/v1/reports/{report_id}/to-case": HANOI,
    "GET /api/v1/reports/{report_id}/photos/{photo_id}": OWNER | HANOI,
    "GET /api/v1/orgs": ORG_ADMINS, "POST /api/v1/orgs/{unit_id}/units": ORG_A, "PATCH /api/v1/orgs/{unit_id}": ORG_A,
    "POST /api/v1/orgs/{unit_id}/roster": ORG_A, "GET /api/v1/orgs/roster-imports/{import_id}/errors.csv": ORG_A,
    "GET /api/v1/orgs/{unit_id}/campaigns": ORG_A, "POST /api/v1/orgs/{unit_id}/campaigns": ORG_A,
    "GET /api/v1/orgs/{unit_id}/compliance": ORG_A, "GET /api/v1/orgs/{unit_id}/members": ORG_A,
    # Issue 21: a citizen answers for the roster lines linked to their own phone.
    "GET /api/v1/memberships": CITIZENS, "POST /api/v1/memberships/{member_id}/confirm": OWNER,
    "POST /api/v1/memberships/{member_id}/decline": OWNER,
    "POST /api/v1/orgs/{unit_id}/remind": ORG_A, "POST /api/v1/orgs/{unit_id}/chase": ORG_A,
    # The appointments an account manages / the people a volunteer assists (empty for others).
    "GET /api/v1/volunteers": SIGNED_IN, "POST /api/v1/volunteers": ORG_ADMINS | WARD_OFFICIALS,
    "GET /api/v1/volunteers/assisted": SIGNED_IN, "POST /api/v1/volunteers/assisted": VOLUNTEER,
    "POST /api/v1/volunteers/assisted/{delegation_id}/confirm": VOLUNTEER,
    "POST /api/v1/volunteers/assisted/{delegation_id}/resend": VOLUNTEER,
    "DELETE /api/v1/volunteers/assisted/{delegation_id}": VOLUNTEER,
    "DELETE /api/v1/volunteers/{appointment_id}": ORG_A,
    # Venue check-in (issue 20): each citizen checks in their own household; a venue is seen
    # by its operator and the officials of its area; the list is one's own (empty for others).
    "POST /api/v1/checkins": CITIZENS, "GET /api/v1/checkins": SIGNED_IN,
    "DELETE /api/v1/checkins/{checkin_id}": OWNER,
    "POST /api/v1/venues": CITIZENS | ORG_ADMINS, "GET /api/v1/venues": SIGNED_IN,
    "GET /api/v1/venues/{venue_id}": OWNER | HANOI, "GET /api/v1/venues/{venue_id}/poster": OWNER | HANOI,
    "POST /api/v1/venues/{venue_id}/status": HANOI, "POST /api/v1/venues/{venue_id}/case-visits": HANOI,
}

# Query strings a read needs to be meaningful (otherwise it would answer 400 to everyone).
QUERIES: dict[str, str] = {
    "GET /api/v1/zones/check": "?ward_code=70",
    "GET /staff/compliance/<int:unit_id>/export/": "?campaign={campaign_id}",
}
PATH_OVERRIDES: dict[str, dict[str, Any]] = {
    "GET /api/v1/places/provinces/{code}/wards": {"code": 1},
    "GET /staff/orgs/<int:unit_id>/do/<str:action>/": {"action": "archive"},
}
# Path parameters that take another of the world's objects than path_values gives: name -> key of sec.ids.
PATH_IDS: dict[str, dict[str, str]] = {
    f"{method} /staff/orgs/venues/<int:venue_id>/{rest}": {"venue_id": "org_venue"}
    for method in ("GET", "POST") for rest in ("", "poster/", "poster.svg")
}


def write_body(key: str, sec: Any) -> Any:
    """A body the endpoint accepts, so a refusal comes from access control, not validation."""
    later = (timezone.now() + timedelta(days=30)).isoformat()
    today = timezone.localdate().isoformat()
    reason = "Kiểm tra theo yêu cầu của Sở Y tế Hà Nội"
    bodies: dict[str, Any] = {
        "POST /api/v1/auth/logout": {},
        "POST /api/v1/auth/refresh": {"refresh_token": "kbr_not-a-session-of-anyone"},
        "POST /api/v1/privacy/erasure-codes": {"person_ids": [sec.ids["person"]], "reason": "request"},
        "POST /api/v1/privacy/erasure-codes/{code_id}/confirm": {"code": "123456"},
        "POST /api/v1/people": {"relation": "child", "full_name": "Trần Văn Mới", "sex": "male",
                                "date_of_birth": "2018-01-01", "ward_code": 70},
        "PATCH /api/v1/people/{person_id}": {"street": "Số 2 phố Tấn Công"},
        "DELETE /api/v1/people/{person_id}": None,
        "POST /api/v1/people/{person_id}/declarations": declaration(),
        "POST /api/v1/people/{person_id}/risk-declarations": risk_declaration(),
        "PUT /api/v1/people/{person_id}/updates/{day}": {"symptoms": [], "feeling": "well"},
        "POST /api/v1/passes/verify": {"token": "7K2QM-XD94P"},
        "POST /api/v1/cases/{person_id}/actions": {"kind": "called_reached", "notes": ""},
        "POST /api/v1/cases/{person_id}/assign": {},
        "POST /api/v1/cases/{person_id}/reveal": {"reason": reason},
        "POST /api/v1/cases/{person_id}/contacts": {"full_name": "Bùi Văn Khách", "phone": "0912345678",
                                                    "ward_code": 70, "contact_date": ago(2), "kind": "close",
                                                    "birth_year": 1990, "sex": "male"},
        "POST /api/v1/cases/{person_id}/household-limit": {"max_people": 30, "reason": reason},
        "POST /api/v1/break-glass": {"reason": reason, "id_number": "079079000004"},
        "POST /api/v1/break-glass/review/{grant_id}": {"note": "ok"},
        "POST /api/v1/id-number-reviews/{review_id}/resolve": {"outcome": "same_person"},
        "POST /api/v1/exports": {"kind": "stats", "format": "csv", "filters": {}, "reason": reason},
        "POST /api/v1/zones": {"name": "Phường Hoàn Kiếm 2", "level": 2, "lockdown": False, "ward_codes": [70],
                               "advice": {"vi": "Hạn chế ra ngoài.", "en": "Stay home."}},
        "PATCH /api/v1/zones/{zone_id}": {"level": 4},
        "POST /api/v1/zones/places": {"name": "Chợ Y", "ward_code": 70, "lat": 21.0245, "lon": 105.853,
                                      "window_start": "2026-11-12T18:00", "window_end": "2026-11-12T21:00",
                                      "advice": "Ai đã đến đây cần gọi 1900 9095."},
        "PATCH /api/v1/zones/places/{place_id}": {"name": "Chợ Z"},
        "POST /api/v1/notifications/{notification_id}/read": {},
        "POST /api/v1/notifications/read-all": {},
        "PUT /api/v1/notifications/preferences": {"sms": False},
        "POST /api/v1/notifications/webpush-subscriptions": {"endpoint": "https://fcm.googleapis.com/fcm/send/abc",
                                                             "keys": {"p256dh": "x" * 20, "auth": "y" * 10}},
        "POST /api/v1/news": {"kind": "announcement", "title": "Tin giả mạo", "body": "x", "province": 1},
        "PATCH /api/v1/news/{announcement_id}": {"title": "Tin đã sửa"},
        "POST /api/v1/news/{announcement_id}/unpublish": {},
        "POST /api/v1/reports/{report_id}/status": {"status": "in_progress"},
        "POST /api/v1/reports/{report_id}/notes": {"text": "ghi chú"},
        "POST /api/v1/reports/{report_id}/replies": {"text": "trả lời"},
        "POST /api/v1/reports/{report_id}/to-case": {"full_name": "Người Bị Báo", "birth_year": 1980, "sex": "male"},
        "POST /api/v1/orgs/{unit_id}/units": {"code": "CD9", "name": "Chi đoàn 9"},
        "PATCH /api/v1/orgs/{unit_id}": {"name": "Đổi tên"},
        "POST /api/v1/orgs/{unit_id}/campaigns": {"name": "Chiến dịch", "starts_on": today, "deadline": today},
        "POST /api/v1/volunteers": {"phone": "0988777666", "expires_at": later},
        "POST /api/v1/volunteers/assisted": {"full_name": "Bà Năm", "birth_year": 1940, "sex": "female",
                                             "ward_code": 70, "consent_method": "witnessed", "attested": True,
                                             "witness_name": "Nguyễn Văn Chứng"},
        "POST /api/v1/volunteers/assisted/{delegation_id}/confirm": {"code": "123456"},
        "POST /api/v1/volunteers/assisted/{delegation_id}/resend": {},
        "DELETE /api/v1/volunteers/assisted/{delegation_id}": None,
        "DELETE /api/v1/volunteers/{appointment_id}": None,
        "POST /api/v1/checkins": {"venue_code": sec.venue_code},
        "DELETE /api/v1/checkins/{checkin_id}": None,
        "POST /api/v1/venues": {"name": "Quầy mới", "kind": "shop", "ward_code": 70, "street": "1 Hàng Gai"},
        "POST /api/v1/venues/{venue_id}/status": {"status": "suspended"},
        "POST /api/v1/venues/{venue_id}/case-visits": {
            "person_id": sec.ids["person"], "start": (timezone.now() - timedelta(hours=2)).isoformat(),
            "end": timezone.now().isoformat()},
    }
    return bodies.get(key, {})


ROUTES = all_routes()
READS = [r for r in ROUTES if r.method == "GET"]
WRITES = [r for r in ROUTES if r.method != "GET"]


def _request(sec: Any, role: str, route: Route) -> Any:
    from khaibao.security_suite.matrix_support import path_values

    values = {**path_values(sec), **PATH_OVERRIDES.get(route.key, {})}
    values.update({name: sec.ids[key] for name, key in PATH_IDS.get(route.key, {}).items()})
    url = route.url(values) + QUERIES.get(route.key, "").format(**values)
    if route.kind == "api":
        client = sec.api(role)
        method = route.method.lower()
        if route.key == "POST /api/v1/orgs/{unit_id}/roster":
            from khaibao.security_suite.conftest import roster_csv

            file = roster_csv([["Kẻ Lạ Mặt", "0911222333", "", "Đoàn viên"]])
            return client.client.post(url, {"file": file}, headers=client._headers(None))
        if method in ("get", "delete"):
            return getattr(client, method)(url)
        return getattr(client, method)(url, write_body(route.key, sec))
    client = sec.web(role)
    return client.get(url) if route.method == "GET" else client.post(url, {})


def test_it_has_an_entry_for_every_route():
    unclassified = [r.key for r in ROUTES if r.key not in MATRIX]
    assert not unclassified, (
        "unclassified route(s): add each to MATRIX in khaibao/security_suite/test_authorisation_matrix.py "
        f"with the roles allowed: {unclassified}"
    )
    stale = set(MATRIX) - {r.key for r in ROUTES}
    assert not stale, f"MATRIX lists routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("route", READS, ids=lambda r: r.key)
def test_it_lets_only_the_allowed_roles_read(sec, route):
    allowed = MATRIX.get(route.key)
    assert allowed is not None, f"unclassified route: {route.key}"
    wrong = {}
    for role in ROLES:
        resp = _request(sec, role, route)
        got = outcome(resp)
        expected = "ok" if role in allowed else "denied"
        if got == "n/a" and not allowed:
            continue  # a write-only page: GET is refused to everyone
        if got != expected:
            wrong[role] = (resp.status_code, resp.get("Location", ""))
    assert not wrong, f"{route.key}: unexpected answers {wrong} (allowed: {sorted(allowed)})"


@pytest.mark.parametrize("route", WRITES, ids=lambda r: r.key)
def test_it_refuses_writes_by_other_roles_and_changes_nothing(sec, route):
    allowed = MATRIX.get(route.key)
    assert allowed is not None, f"unclassified route: {route.key}"
    refused = [role for role in ROLES if role not in allowed]
    if not refused:
        return
    before = fingerprint()
    wrong = {}
    for role in refused:
        resp = _request(sec, role, route)
        if outcome(resp) not in ("denied", "n/a"):
            wrong[role] = (resp.status_code, resp.get("Location", ""), getattr(resp, "content", b"")[:200])
    assert not wrong, f"{route.key}: not refused {wrong}"
    assert fingerprint() == before, f"{route.key}: a refused write changed the database"


@pytest.mark.parametrize("route", [r for r in READS if r.kind == "api" and r.params], ids=lambda r: r.key)
def test_it_answers_a_missing_id_and_a_forbidden_one_alike(sec, route):
    """404 alike: an id outside one's reach looks exactly like an id that does not exist."""
    from khaibao.security_suite.matrix_support import path_values

    values = {**path_values(sec), **PATH_OVERRIDES.get(route.key, {})}
    # A day is not an id: the same day with an id that does not exist.
    missing = {k: (987654 if isinstance(v, int) else v if k == "day" else "ZZZZ-ZZZZ") for k, v in values.items()}
    for role in sorted(SIGNED_IN - MATRIX[route.key]):
        client = sec.api(role)
        forbidden = client.get(route.url(values))
        absent = client.get(route.url(missing))
        assert (forbidden.status_code, forbidden.content) == (absent.status_code, absent.content), (
            route.key, role, forbidden.status_code, absent.status_code,
        )
