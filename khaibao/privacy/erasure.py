"""Erasing one person's personal data while the anonymous statistics stay (issue 8 §4).

The statistics job recomputes today's and yesterday's rollups from the raw rows
(khaibao.stats.services): rows of those two days that count in a rollup (declarations,
daily updates, follow-up actions) are therefore kept, stripped of everything but what is
counted, under an anonymous shell of the person (no name, no identifiers, only the ward
and the birth decade). The retention job deletes the shell once those days are final.
Older rows, and everything not counted, go at once. Rollup rows are never touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from khaibao.accounts import ratelimit
from khaibao.accounts.access_tokens import account_sessions_delete
from khaibao.accounts.models import Account, ApiToken, BreakGlassGrant, OtpChallenge
from khaibao.audit.services import audit_record
from khaibao.cases.models import FollowUpAction, FollowUpCase
from khaibao.core.days import day_bounds
from khaibao.core.hooks import hooks
from khaibao.core.idempotency import idempotency_records_forget
from khaibao.declarations.models import Declaration
from khaibao.monitoring.models import Assessment, DailyUpdate, PendingAssessment, PersonStatus
from khaibao.notifications.models import ChannelPreference, Notification, WebPushSubscription
from khaibao.orgs.models import Member
from khaibao.passes.models import PassCode
from khaibao.people.models import Delegation, HouseholdMembership, Person, VolunteerAppointment
from khaibao.people.volunteers import consent_code_limit_key
from khaibao.privacy.models import Erasure, ErasureCode, ErasureStatus
from khaibao.reports.models import Report
from khaibao.tracing.models import Contact
from khaibao.venues.models import CaseVisit, CheckIn, VenueExposure
from khaibao.zones.models import ZoneWarning
from khaibao.zones.warnings import warning_runs_forget

# The days the statistics job still recomputes from raw rows: today and yesterday.
STATS_RECOMPUTED_DAYS = 2


def stats_window_start(now: datetime) -> datetime:
    """The first instant whose rows a later rollup refresh still reads."""
    first_day = timezone.localdate(now) - timedelta(days=STATS_RECOMPUTED_DAYS - 1)
    return day_bounds(first_day)[0]


def stats_window_end(now: datetime) -> datetime:
    """When every row kept at `now` has left the recomputed days (their rollups are final)."""
    return day_bounds(timezone.localdate(now) + timedelta(days=STATS_RECOMPUTED_DAYS - 1))[1]


def processing_stop(*, person: Person, now: datetime) -> dict[str, int]:
    """Stop everything done with `person`'s data at once, before the erasure runs.

    No household or volunteer can reach them any more (so no declaration or daily update),
    no daily update stored in rush mode left to assess (its assessment would write the status
    row back), no status (so no reminder, no queue entry, no pass), no pass code to verify.
    """
    return {
        "household_memberships": HouseholdMembership.objects.filter(person=person).delete()[0],
        "delegations": Delegation.objects.filter(person=person, ended_at__isnull=True).update(ended_at=now),
        # Before the status row: a worker assessing these rows holds them locked, so this waits
        # for its commit and the status row it wrote is deleted next. The worker also leaves out
        # anyone whose processing stopped (monitoring.pending.assessable_q), for a row written
        # by an update racing this.
        "pending_assessments": PendingAssessment.objects.filter(person=person).delete()[0],
        "statuses": PersonStatus.objects.filter(person=person).delete()[0],
        "pass_codes": PassCode.objects.filter(person=person).delete()[0],
    }


def _roster_lines(person: Person) -> Q:
    q = Q(person=person)
    if person.phone_index:
        q |= Q(phone_index=person.phone_index)
    return q


def roster_lines_anonymise(q: Q, now: datetime) -> int:
    """Strip the roster lines `q` selects of their person: name, phone, its blind index and the
    links to an account and person go. Used by the erasure and by retention (retention.py).

    The organisation keeps each line as a removed one, so the history of its counts stays
    honest; a line still on the roster leaves it now (a line nobody can name is no member, and
    an empty phone index must not meet the one-active-phone-per-unit constraint). Returns the
    number of lines.
    """
    fields = {"full_name": "", "phone": "", "phone_index": "", "person": None, "account": None}
    # Two statements, not one per line: the removed ones first, so the second sees only the rest.
    n = Member.objects.filter(q, removed_at__isnull=False).update(**fields)
    return n + Member.objects.filter(q, removed_at__isnull=True).update(**fields, removed_at=now)


def person_data_erase(*, erasure: Erasure, now: datetime | None = None) -> dict[str, int]:
    """Erase the personal data of the person `erasure` names, in one transaction.

    Returns the number of rows per table; the audit event carries only these numbers and the
    pseudonymous person id.
    """
    now = now or timezone.now()
    with transaction.atomic():
        erasure = Erasure.objects.select_for_update().get(pk=erasure.pk)
        if erasure.status == ErasureStatus.DONE:
            return dict(erasure.counts)
        person = Person.objects.filter(pk=erasure.person_id).first()
        counts: dict[str, int] = {}
        if person is not None:
            counts = _erase(person, now)
        erasure.status = ErasureStatus.DONE
        erasure.finished_at = now
        erasure.counts = counts
        erasure.shell_until = stats_window_end(now) if counts.get("kept_for_statistics") else None
        erasure.save()
        audit_record(
            actor=erasure.requested_by or "system", action="privacy.person_erased", obj=erasure,
            person_id=erasure.person_id, data={"reason": erasure.reason, "counts": counts},
        )
    return counts


def _erase(person: Person, now: datetime) -> dict[str, int]:
    window = stats_window_start(now)
    # First, before the person's status or warnings are touched: a warning run's batch locks its
    # run and then writes those rows, so taking the run's lock first keeps the two from waiting
    # on each other (a deadlock otherwise).
    forgotten = warning_runs_forget(person_id=person.pk)
    counts = processing_stop(person=person, now=now)
    counts["warning_run_travellers"] = forgotten
    counts["org_members"] = roster_lines_anonymise(_roster_lines(person), now)
    counts["notifications"] = Notification.objects.filter(person=person).delete()[0]
    counts["zone_warnings"] = ZoneWarning.objects.filter(person=person).delete()[0]
    counts["venue_checkins"] = CheckIn.objects.filter(person=person).delete()[0]
    counts["venue_exposures"] = VenueExposure.objects.filter(person=person).delete()[0]
    counts["case_visits"] = CaseVisit.objects.filter(case_person=person).delete()[0]
    counts["break_glass_grants"] = BreakGlassGrant.objects.filter(person=person).delete()[0]
    counts["contacts"] = Contact.objects.filter(person=person).delete()[0]
    counts["assessments"] = Assessment.objects.filter(person=person).delete()[0]
    counts["delegations_ended"] = counts.pop("delegations") + Delegation.objects.filter(person=person).delete()[0]
    Report.objects.filter(person=person).update(person=None)
    # What apps above privacy hold about the person (the inbound SMS they sent: the ID number and
    # symptoms in the text, the name in the reply) goes too — before the person row, whose
    # deletion would only unlink it (SET_NULL).
    counts.update(_hooked_counts("PERSON_ERASE_HOOKS", person_id=person.pk))
    if person.phone_index:
        ratelimit.reset(consent_code_limit_key(person.phone_index))

    old_actions = FollowUpAction.objects.filter(person=person, at__lt=window)
    counts["followup_actions"] = old_actions.delete()[0]
    kept_actions = FollowUpAction.objects.filter(person=person).update(notes="")
    counts["followup_cases"] = FollowUpCase.objects.filter(person=person).exclude(
        pk__in=FollowUpAction.objects.filter(person=person).values("case_id")
    ).delete()[0]

    counts["declarations"] = Declaration.objects.filter(person=person, created_at__lt=window).delete()[0]
    kept_declarations = 0
    for declaration in Declaration.objects.filter(person=person).only("pk", "answers"):
        answers = declaration.answers if isinstance(declaration.answers, dict) else {}
        # Only the symptom codes are counted by the statistics; the rest of the answers go.
        Declaration.objects.filter(pk=declaration.pk).update(
            answers={"symptoms": answers.get("symptoms", [])}, travel_index=[], declared_by=None
        )
        kept_declarations += 1
    window_day = timezone.localdate(window)
    counts["daily_updates"] = DailyUpdate.objects.filter(person=person, day__lt=window_day).delete()[0]
    kept_updates = DailyUpdate.objects.filter(person=person).update(updated_by=None)

    kept = kept_actions + kept_declarations + kept_updates
    counts["kept_for_statistics"] = kept
    if kept:
        Person.objects.filter(pk=person.pk).update(
            full_name="", date_of_birth=None, birth_year=person.birth_year // 10 * 10,
            id_number="", id_number_index=None, phone="", phone_index="", street="",
            account=None, created_by=None,
        )
        counts["people"] = 0
    else:
        counts["people"] = Person.objects.filter(pk=person.pk).delete()[1].get("people.Person", 0)
    return {k: v for k, v in counts.items() if v}


def account_close(*, account: Account, now: datetime) -> dict[str, int]:
    """Close a citizen account whose own person is being erased: sign-in identifiers gone,
    inactive (every session and token stops working), what hangs on it removed.

    The row itself stays, without a phone or name: audit events refer to its id.

    Its web sessions are not looked for: they are not indexed by account, and finding them means
    decoding every live session (31 s at 300,000, in the citizen's request — review-scale #6).
    They stop working with this transaction instead — Django's `ModelBackend.get_user` refuses an
    inactive account and the unusable password changes the session's auth hash — and hold
    nothing but the account's id; retention's `sessions` rule deletes them once expired.
    privacy/tests/test_erasure_sessions.py checks both.
    """
    counts = {
        "api_tokens": ApiToken.objects.filter(account=account).delete()[0],
        "api_sessions": account_sessions_delete(account=account),
        "notifications": Notification.objects.filter(account=account).delete()[0],
        "channel_preferences": ChannelPreference.objects.filter(account=account).delete()[0],
        "webpush_subscriptions": WebPushSubscription.objects.filter(account=account).delete()[0],
        "delegations_ended": Delegation.objects.filter(volunteer=account, ended_at__isnull=True).update(ended_at=now),
        "volunteer_appointments": VolunteerAppointment.objects.filter(account=account, revoked_at__isnull=True).update(
            revoked_at=now
        ),
        "org_members": roster_lines_anonymise(
            Q(account=account) | (Q(phone_index=account.phone_index) if account.phone_index else Q(pk__in=[])), now
        ),
        "erasure_codes": ErasureCode.objects.filter(account=account).delete()[0],
        # People with their own account, who were also in this household, simply leave it.
        "household_memberships": HouseholdMembership.objects.filter(owner=account).delete()[0],
        "reports_detached": Report.objects.filter(reporter=account).update(reporter=None),
    }
    if account.phone_index:
        counts["otp_challenges"] = OtpChallenge.objects.filter(phone_index=account.phone_index).delete()[0]
    # Apps above privacy (the inbound SMS from the account's phone) read the phone index: first.
    counts.update(_hooked_counts("ACCOUNT_CLOSE_HOOKS", account=account))
    _cache_forget(account)
    account.phone = ""
    account.phone_index = None
    account.display_name = ""
    account.is_active = False
    account.set_unusable_password()
    account.save(update_fields=["phone", "phone_index", "display_name", "is_active", "password"])
    return {k: v for k, v in counts.items() if v}


def _hooked_counts(name: str, **kwargs: Any) -> dict[str, int]:
    """Call the erasure hooks registered under `name` (core/hooks.py) and add up their counts."""
    counts: dict[str, int] = {}
    for hook in hooks(name):
        for table, n in hook(**kwargs).items():
            counts[table] = counts.get(table, 0) + n
    return counts


def _cache_forget(account: Account) -> None:
    # Rate-limit counters are the only cache entries keyed by a person: the account id and the
    # phone's blind index (citizen reports, pass-code checks, consent codes; the SMS channel
    # forgets its own through ACCOUNT_CLOSE_HOOKS).
    keys = [f"report:account:{account.pk}", f"pass-code:{account.pk}"]
    if account.phone_index:
        keys += [f"report:phone:{account.phone_index}", consent_code_limit_key(account.phone_index)]
    for key in keys:
        ratelimit.reset(key)


def idempotency_forget(account: Account) -> int:
    """Stored responses replayed for `account` may hold a name or phone: they go too."""
    return idempotency_records_forget(account_id=account.pk)
