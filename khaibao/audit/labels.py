"""The audit trail's vocabulary: every action, object type and reason code a service may write,
with the words a data-protection officer reads beside it (issue 17: "the audit log is for
people, not developers").

The registry is the owner: `audit_event` refuses an action or an object type that is not here, so
a new audited write cannot reach the trail without its label. Codes stay in the database and the
API; labels are only ever added beside them. Rows written before a code was renamed still show,
with the code itself as their label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

# Category code -> label. The DPO filters by these instead of typing action keys.
CATEGORIES: dict[str, Promise] = {
    "sign_in": gettext_lazy("Sign-in and accounts"),
    "case_access": gettext_lazy("Opening people's data"),
    "lists": gettext_lazy("People seen in lists"),
    "follow_up": gettext_lazy("Follow-up and contact tracing"),
    "break_glass": gettext_lazy("Break the glass"),
    "exports": gettext_lazy("Exports and downloads"),
    "data_subject": gettext_lazy("Data-subject rights"),
    "keys": gettext_lazy("Keys and API tokens"),
    "zones": gettext_lazy("Epidemic zones and places"),
    "organisations": gettext_lazy("Organisations"),
    "passes": gettext_lazy("Health passes"),
    "declarations": gettext_lazy("Declarations and daily updates"),
    "household": gettext_lazy("Households and volunteers"),
    "reports": gettext_lazy("Citizen reports"),
    "news": gettext_lazy("Official information"),
    "notifications": gettext_lazy("Notifications"),
    "system": gettext_lazy("System and SMS"),
    "venues": gettext_lazy("Venues and check-ins"),
}


@dataclass(frozen=True)
class ActionInfo:
    category: str
    label: Promise


def _a(category: str, label: Promise) -> ActionInfo:
    return ActionInfo(category, label)


_ZONE_CHANGES = {
    "create": (gettext_lazy("Epidemic zone declared"), gettext_lazy("Place with a time window published")),
    "raise": (gettext_lazy("Epidemic zone raised or widened"), gettext_lazy("Place notice widened")),
    "lower": (gettext_lazy("Epidemic zone lowered or narrowed"), gettext_lazy("Place notice narrowed")),
    "edit": (gettext_lazy("Epidemic zone edited"), gettext_lazy("Place notice edited")),
    "end": (gettext_lazy("Epidemic zone ended"), gettext_lazy("Place notice withdrawn")),
}

# Action code -> category and label. Keep it sorted by code; tests check that every code the
# services write is here (khaibao/audit/tests/test_labels.py).
ACTIONS: dict[str, ActionInfo] = {
    "account.locked_account": _a("sign_in", gettext_lazy("Staff account locked after wrong passwords")),
    "account.locked_ip": _a("sign_in", gettext_lazy("Sign-in blocked for an address after wrong passwords")),
    "account.password_set": _a("sign_in", gettext_lazy("Password set")),
    "account.sign_in_otp": _a("sign_in", gettext_lazy("Citizen signed in with an SMS code")),
    "account.sign_in_sms": _a("sign_in", gettext_lazy("Citizen registered or signed in by SMS")),
    "account.sign_in_staff": _a("sign_in", gettext_lazy("Staff signed in")),
    "account.totp_enrolled": _a("sign_in", gettext_lazy("Authenticator app enrolled")),
    "audit.export": _a("exports", gettext_lazy("Audit trail exported")),
    "break_glass.grant": _a("break_glass", gettext_lazy("Record outside the jurisdiction opened (break the glass)")),
    "break_glass.open_refused": _a("break_glass", gettext_lazy("Break the glass refused")),
    "break_glass.review": _a("break_glass", gettext_lazy("Break-the-glass access reviewed")),
    "break_glass.search": _a("break_glass", gettext_lazy("Search outside the jurisdiction")),
    "checkin.create": _a("venues", gettext_lazy("Checked in at a venue")),
    "checkin.delete": _a("venues", gettext_lazy("Check-in deleted")),
    "checkin.partition_drop": _a("system", gettext_lazy("Old check-ins deleted (one day's partition)")),
    "contact.already_registered": _a("follow_up", gettext_lazy("Contact already registered for this case: shown again")),
    "contact.lookup_refused": _a(
        "follow_up", gettext_lazy("Contact looked up by ID number or phone: no one registered (refused)")
    ),
    "contact.register": _a("follow_up", gettext_lazy("Contact registered")),
    "daily_update.assess": _a("system", gettext_lazy("Daily update assessed after a rush (sent while the service was busy)")),
    "daily_update.create": _a("declarations", gettext_lazy("Daily update sent")),
    "daily_update.partition_drop": _a("system", gettext_lazy("Old daily updates deleted (monthly partition)")),
    "daily_update.replace": _a("declarations", gettext_lazy("Daily update changed")),
    "declaration.submit": _a("declarations", gettext_lazy("Health declaration sent")),
    "delegation.consent_code": _a("household", gettext_lazy("Assisted person consented by SMS code")),
    "delegation.consent_code_sent": _a("household", gettext_lazy("Consent code sent to an assisted person")),
    "delegation.end": _a("household", gettext_lazy("Volunteer stopped assisting a person")),
    "delegation.start": _a("household", gettext_lazy("Volunteer started assisting a person")),
    "export.complete": _a("exports", gettext_lazy("Export file ready")),
    "export.create": _a("exports", gettext_lazy("Export requested")),
    "export.download": _a("exports", gettext_lazy("Export downloaded")),
    "followup.action": _a("follow_up", gettext_lazy("Follow-up action recorded")),
    "followup.assign": _a("follow_up", gettext_lazy("Case assigned")),
    "followup.close": _a("follow_up", gettext_lazy("Case closed")),
    "followup.open": _a("follow_up", gettext_lazy("Case opened")),
    "household.limit_raise": _a("household", gettext_lazy("Household limit raised by an official")),
    "household.export": _a("data_subject", gettext_lazy("Household data downloaded")),
    "household.person_remove": _a("household", gettext_lazy("Person removed from a household")),
    "keys.reindex": _a("keys", gettext_lazy("Lookup indexes rebuilt under a new key")),
    "keys.rotate": _a("keys", gettext_lazy("Encryption keys rotated")),
    "keys.seal": _a("keys", gettext_lazy("Health answers left in clear were sealed")),
    "list.contacts": _a("lists", gettext_lazy("A case's contacts listed")),
    "list.export": _a("lists", gettext_lazy("People listed in an export file")),
    "list.id_reviews": _a("lists", gettext_lazy("Duplicate ID numbers to review listed")),
    "list.members": _a("lists", gettext_lazy("Roster members listed with their compliance")),
    "list.reports": _a("lists", gettext_lazy("Report queue viewed")),
    "list.triage": _a("lists", gettext_lazy("Triage queue viewed")),
    "news.create": _a("news", gettext_lazy("Announcement published")),
    "news.unpublish": _a("news", gettext_lazy("Announcement withdrawn")),
    "news.update": _a("news", gettext_lazy("Announcement changed")),
    "notifications.preferences_update": _a("notifications", gettext_lazy("Notification choices changed")),
    "notifications.webpush_subscribe": _a("notifications", gettext_lazy("Browser notifications turned on")),
    "orgs.campaign_archive": _a("organisations", gettext_lazy("Campaign archived")),
    "orgs.campaign_create": _a("organisations", gettext_lazy("Campaign created")),
    "orgs.campaign_update": _a("organisations", gettext_lazy("Campaign changed")),
    "orgs.compliance_export": _a("exports", gettext_lazy("Compliance report exported")),
    "orgs.member_add": _a("organisations", gettext_lazy("Member added to a roster")),
    "orgs.member_remove": _a("organisations", gettext_lazy("Member removed from a roster")),
    "orgs.members_link": _a("organisations", gettext_lazy("Roster lines linked to a new account")),
    "orgs.membership_confirm": _a("organisations", gettext_lazy("Membership confirmed")),
    "orgs.membership_decline": _a("organisations", gettext_lazy("Membership declined")),
    "orgs.admin_rate_limited": _a("organisations", gettext_lazy("Too many roster imports or reminders in an hour (paused)")),
    "orgs.remind_now": _a("organisations", gettext_lazy("Unit's members reminded now")),
    "orgs.roster_import": _a("organisations", gettext_lazy("Roster imported")),
    "orgs.subadmin_invite": _a("organisations", gettext_lazy("Unit administrator invited")),
    "orgs.unit_archive": _a("organisations", gettext_lazy("Unit archived")),
    "orgs.unit_create": _a("organisations", gettext_lazy("Unit created")),
    "orgs.unit_move": _a("organisations", gettext_lazy("Unit moved")),
    "orgs.unit_rename": _a("organisations", gettext_lazy("Unit renamed")),
    "pass.verify": _a("passes", gettext_lazy("Health pass checked")),
    "person.break_glass_view": _a("case_access", gettext_lazy("Record opened under break the glass")),
    "person.case_action": _a("case_access", gettext_lazy("Case opened to record a follow-up")),
    "person.case_assign": _a("case_access", gettext_lazy("Case opened to assign it")),
    "person.case_reveal": _a("case_access", gettext_lazy("Case opened to reveal the ID number and phone")),
    "person.case_view": _a("case_access", gettext_lazy("Case opened")),
    "person.contacts_register": _a("case_access", gettext_lazy("Record opened to register contacts")),
    "person.contacts_view": _a("case_access", gettext_lazy("Contacts viewed")),
    "person.checkins_view": _a("case_access", gettext_lazy("Check-ins of a case viewed")),
    "person.claimed_traced": _a("household", gettext_lazy("Traced contact linked to their own account")),
    "person.create": _a("household", gettext_lazy("Person added")),
    "person.declarations": _a("case_access", gettext_lazy("Declarations read")),
    "person.household_limit": _a("case_access", gettext_lazy("Record opened to raise the household's limit")),
    "person.id_number_attempts_limited": _a("household", gettext_lazy("Too many people added with ID numbers (paused)")),
    "person.id_number_duplicate": _a("household", gettext_lazy("ID number already held by someone else: sent for review")),
    "person.id_number_review": _a("household", gettext_lazy("Duplicate ID number reviewed by an official")),
    "person.id_review_view": _a("case_access", gettext_lazy("Record opened to review a duplicate ID number")),
    "person.link_assisted": _a("household", gettext_lazy("Assisted person linked to their own account")),
    "person.reassess": _a("declarations", gettext_lazy("Risk re-assessed automatically")),
    "person.reveal": _a("case_access", gettext_lazy("ID number and phone revealed")),
    "person.status": _a("case_access", gettext_lazy("Status read")),
    "person.update": _a("household", gettext_lazy("Person's details changed")),
    "person.view": _a("case_access", gettext_lazy("Record opened")),
    "privacy.account_closed": _a("data_subject", gettext_lazy("Account closed at the person's request")),
    "privacy.consent_withdraw": _a("data_subject", gettext_lazy("Consent withdrawn")),
    "privacy.erasure_code_sent": _a("data_subject", gettext_lazy("Confirmation code for erasure sent")),
    "privacy.erasure_request": _a("data_subject", gettext_lazy("Erasure requested")),
    "privacy.export": _a("data_subject", gettext_lazy("Personal data downloaded (\"My data\")")),
    "privacy.person_erased": _a("data_subject", gettext_lazy("Person's data erased")),
    "privacy.retention": _a("system", gettext_lazy("Old data deleted (retention)")),
    "report.note": _a("reports", gettext_lazy("Internal note added to a report")),
    "report.photo_view": _a("reports", gettext_lazy("Report photo viewed")),
    "report.reply": _a("reports", gettext_lazy("Reply sent to a reporter")),
    "report.status": _a("reports", gettext_lazy("Report status changed")),
    "report.submit": _a("reports", gettext_lazy("Report sent")),
    "report.to_case": _a("reports", gettext_lazy("Report turned into a case")),
    "report.to_case_refused": _a(
        "reports", gettext_lazy("Report not turned into a case: ID number or phone not registered, or outside the area")
    ),
    "report.view": _a("reports", gettext_lazy("Report opened")),
    "risk_declaration.submit": _a("declarations", gettext_lazy("Risk-factor declaration sent")),
    "session.end": _a("sign_in", gettext_lazy("App signed out")),
    "session.reuse": _a("keys", gettext_lazy("App session ended: a used refresh token came back")),
    "session.start": _a("sign_in", gettext_lazy("App signed in")),
    "sms.inbound": _a("system", gettext_lazy("SMS received")),
    "token.issue": _a("keys", gettext_lazy("API token issued")),
    "token.revoke": _a("keys", gettext_lazy("API token revoked")),
    "venue.case_visit": _a("venues", gettext_lazy("Case recorded at a venue")),
    "venue.pending": _a("venues", gettext_lazy("Venue set back to not yet verified")),
    "venue.register": _a("venues", gettext_lazy("Venue registered")),
    "venue.suspended": _a("venues", gettext_lazy("Venue suspended")),
    "venue.verified": _a("venues", gettext_lazy("Venue verified")),
    "volunteer.appoint": _a("household", gettext_lazy("Volunteer appointed")),
    "volunteer.appoint_limited": _a(
        "household", gettext_lazy("Volunteer appointments paused: too many phones without an account")
    ),
    "volunteer.appoint_refused": _a("household", gettext_lazy("Volunteer not appointed: no citizen account with this phone")),
    "volunteer.revoke": _a("household", gettext_lazy("Volunteer appointment ended")),
    **{f"zone.{change}": _a("zones", labels[0]) for change, labels in _ZONE_CHANGES.items()},
    **{f"place.{change}": _a("zones", labels[1]) for change, labels in _ZONE_CHANGES.items()},
}

# The model class (its `_meta.object_name`) of an object an event is about -> label.
OBJECT_TYPES: dict[str, Promise] = {
    "Account": gettext_lazy("Account"),
    "Announcement": gettext_lazy("Announcement"),
    "ApiSession": gettext_lazy("App sign-in session"),
    "ApiToken": gettext_lazy("API token"),
    "Assessment": gettext_lazy("Risk assessment"),
    "BreakGlassGrant": gettext_lazy("Break-the-glass grant"),
    "CaseVisit": gettext_lazy("Case's visit to a venue"),
    "Campaign": gettext_lazy("Campaign"),
    "CheckIn": gettext_lazy("Check-in"),
    "ChannelPreference": gettext_lazy("Notification choices"),
    "Contact": gettext_lazy("Contact"),
    "DailyUpdate": gettext_lazy("Daily update"),
    "Declaration": gettext_lazy("Declaration"),
    "Delegation": gettext_lazy("Volunteer assistance"),
    "Erasure": gettext_lazy("Erasure"),
    "ErasureCode": gettext_lazy("Confirmation code"),
    "ExportJob": gettext_lazy("Export"),
    "FollowUpAction": gettext_lazy("Follow-up action"),
    "FollowUpCase": gettext_lazy("Follow-up case"),
    "IdNumberReview": gettext_lazy("Duplicate ID number review"),
    "InboundSms": gettext_lazy("SMS"),
    "Member": gettext_lazy("Roster member"),
    "OrgUnit": gettext_lazy("Organisation unit"),
    "Person": gettext_lazy("Person"),
    "Place": gettext_lazy("Place with a time window"),
    "Report": gettext_lazy("Citizen report"),
    "RosterImport": gettext_lazy("Roster import"),
    "Venue": gettext_lazy("Venue"),
    "VolunteerAppointment": gettext_lazy("Volunteer appointment"),
    "WebPushSubscription": gettext_lazy("Browser notification subscription"),
    "Zone": gettext_lazy("Epidemic zone"),
}
# Events written before the object type was taken from the model: `request.user` was passed
# as the object and its wrapper's class name was stored.
_LEGACY_OBJECT_TYPES = {"SimpleLazyObject": "Account"}

# Reason codes (the purpose an access was made for) -> label. Other reasons are words an
# official typed (e.g. why they revealed an ID number) and are shown as they are.
REASONS: dict[str, Promise] = {
    "break_glass": gettext_lazy("Break the glass"),
    "case_action": gettext_lazy("Recording a follow-up"),
    "case_assign": gettext_lazy("Assigning the case"),
    "case_reveal": gettext_lazy("Revealing the ID number and phone"),
    "case_view": gettext_lazy("Following up the case"),
    "checkins_view": gettext_lazy("Viewing a case's check-ins"),
    "checkpoint": gettext_lazy("Checkpoint"),
    "contacts_register": gettext_lazy("Registering contacts"),
    "contacts_view": gettext_lazy("Viewing contacts"),
    "declarations": gettext_lazy("Reading the declarations"),
    "household_limit": gettext_lazy("Raising the household's limit"),
    "id_review_view": gettext_lazy("Reviewing a duplicate ID number"),
    "report_to_case": gettext_lazy("Turning a report into a case"),
    "status": gettext_lazy("Reading the status"),
    "view": gettext_lazy("Viewing the record"),
    "volunteer_appoint": gettext_lazy("Appointing a volunteer"),
}
# "zone:12:v3": re-assessed because zone 12 reached version 3 (zones/services.py).
_ZONE_REASON = re.compile(r"^(zone|place):(\d+):v(\d+)$")
# How services._actor_label names an account without a username — stored in English, hash-chained.
_ACCOUNT_ACTOR = re.compile(r"account (\d+)")


class UnknownAuditCode(ValueError):
    """An action or object type without a label: add it to khaibao/audit/labels.py."""


def object_type_of(obj: Any) -> str:
    """The stored object type: the model's name, also through a lazy wrapper (request.user)."""
    meta = getattr(obj, "_meta", None)
    name = getattr(meta, "object_name", None) or type(obj).__name__
    if name not in OBJECT_TYPES:
        raise UnknownAuditCode(f"audit object type {name!r} has no label in khaibao/audit/labels.py")
    return str(name)


def check_action(action: str) -> None:
    if action not in ACTIONS:
        raise UnknownAuditCode(f"audit action {action!r} has no label in khaibao/audit/labels.py")


def action_label(action: str) -> str:
    info = ACTIONS.get(action)
    return str(info.label) if info is not None else action


def action_category(action: str) -> str:
    info = ACTIONS.get(action)
    return info.category if info is not None else ""


def category_label(category: str) -> str:
    label = CATEGORIES.get(category)
    return str(label) if label is not None else ""


def category_actions(category: str) -> list[str]:
    """The action codes of a category (for filtering)."""
    return sorted(code for code, info in ACTIONS.items() if info.category == category)


def object_label(object_type: str, object_id: str) -> str:
    """"Roster member #1", "Account #13" — never a class name."""
    if not object_type:
        return ""
    name = _LEGACY_OBJECT_TYPES.get(object_type, object_type)
    label = OBJECT_TYPES.get(name)
    word = str(label) if label is not None else _("Object")
    return f"{word} #{object_id}" if object_id else word


def reason_label(reason: str) -> str:
    """The purpose's words for a reason code, "Zone #12, version 3" for a re-assessment, else the
    reason as typed."""
    if not reason:
        return ""
    label = REASONS.get(reason)
    if label is not None:
        return str(label)
    match = _ZONE_REASON.match(reason)
    if match:
        kind, number, version = match.groups()
        if kind == "zone":
            return _("Epidemic zone #%(id)s changed (version %(version)s)") % {"id": number, "version": version}
        return _("Place notice #%(id)s changed (version %(version)s)") % {"id": number, "version": version}
    return reason


def actor_name(actor_label: str, actor_id: int | None) -> str:
    """Who acted, in words. The stored label never changes (the hash chain covers it) and the
    trail writes it in English: "account 2" for an account without a username, "system" for a
    task; a staff username or a command name is shown as stored.

    "" for an account named only by its id: the page shows "account 2" for every actor with an
    account, in the reader's language.
    """
    match = _ACCOUNT_ACTOR.fullmatch(actor_label)
    if match is not None and int(match[1]) == actor_id:
        return ""
    if actor_label == "system" and actor_id is None:
        return pgettext("audit actor", "system")
    return actor_label
