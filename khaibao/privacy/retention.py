"""Retention (issue 8 §3): what is past its period is erased or anonymised, in batches.

Each rule names a table, finds the rows that are due and erases (or anonymises) one batch of
them in its own transaction. Statistics rollups are never touched: they hold counts only.
Periods come from settings (RETENTION_*; docs/privacy.md has the table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from khaibao.accounts.models import ApiSession, BreakGlassGrant, OtpChallenge
from khaibao.audit.services import audit_events_prunable, audit_prune, audit_record
from khaibao.cases.models import FollowUpCase
from khaibao.core.idempotency import idempotency_records_expired
from khaibao.core.models import IdempotencyRecord
from khaibao.declarations.models import Declaration
from khaibao.exports.models import ExportJob
from khaibao.monitoring.models import Assessment, DailyUpdate, PendingAssessment, PersonStatus
from khaibao.monitoring.partitions import daily_updates_expired
from khaibao.monitoring.partitions import partitions_drop_expired as daily_update_partitions_drop_expired
from khaibao.notifications.models import Notification
from khaibao.orgs.models import Member, RosterImport
from khaibao.passes.models import PassCode
from khaibao.people.households import person_ties_q
from khaibao.people.limits import delegation_holds_place_q, pending_delegations_lapsed
from khaibao.people.models import CONSENTED, ConsentMethod, Delegation, Person
from khaibao.privacy.erasure import roster_lines_anonymise
from khaibao.privacy.models import ConsentWithdrawal, Erasure, ErasureCode, ErasureStatus
from khaibao.reports.models import OPEN_STATUSES, Report, ReportNote, ReportPhoto, ReportReply
from khaibao.tracing.models import Contact
from khaibao.venues.models import CaseVisit, CheckIn, VenueExposure, VenueExposureRun
from khaibao.venues.partitions import CHECKINS, checkin_keep_from, checkin_partitions_drop_expired
from khaibao.zones.models import ZoneWarning


@dataclass(frozen=True)
class Rule:
    table: str
    action: str  # "delete" or "anonymise", shown by the dry run
    due: Callable[[datetime], QuerySet[Any]]
    apply: Callable[[list[Any], datetime], int] | None = None  # default: delete the rows


def _shells(now: datetime) -> QuerySet[Any]:
    return Erasure.objects.filter(status=ErasureStatus.DONE, shell_until__isnull=False).values("person_id")


def inactive_people(now: datetime) -> QuerySet[Person]:
    """People whose last activity is older than RETENTION_HEALTH_DAYS (a declaration, an update,
    an official's action all move it); anonymous erasure shells are left to their own rule.

    A daily update stored first in rush mode (decision D) moves the activity only once the worker
    has assessed it: until then its pending row says the person is active, or the purge would
    delete an update it had just acknowledged (bench/RESULTS.md, "Rush mode")."""
    cutoff = now - timedelta(days=settings.RETENTION_HEALTH_DAYS)
    return (
        Person.objects.annotate(
            last=Coalesce("status__last_activity_at", "status__last_update_at", "status__last_declaration_at", "updated_at")
        )
        .filter(last__lt=cutoff)
        .exclude(pk__in=_shells(now))
        .exclude(pk__in=PendingAssessment.objects.values("person_id"))
    )


def _of_inactive(model: Any) -> Callable[[datetime], QuerySet[Any]]:
    return lambda now: model.objects.filter(person__in=inactive_people(now).values("pk"))


def _older(model: Any, field: str, delta: Callable[[], timedelta]) -> Callable[[datetime], QuerySet[Any]]:
    return lambda now: model.objects.filter(**{f"{field}__lt": now - delta()})


def _runs_due(now: datetime) -> QuerySet[Any]:
    cutoff = now - timedelta(days=settings.RETENTION_HEALTH_DAYS)
    return VenueExposureRun.objects.filter(finished_at__lt=cutoff).exclude(
        Exists(VenueExposure.objects.filter(run=OuterRef("pk")))
    )


def _reports_due(now: datetime) -> QuerySet[Any]:
    cutoff = now - timedelta(days=settings.RETENTION_REPORT_DAYS)
    personal = (
        Q(reporter__isnull=False) | Q(person__isnull=False) | Q(lat__isnull=False) | ~Q(address="")
        | Q(pk__in=ReportPhoto.objects.values("report_id"))
    )
    return Report.objects.filter(personal, updated_at__lt=cutoff).exclude(status__in=OPEN_STATUSES)


def _reports_anonymise(ids: list[Any], now: datetime) -> int:
    # The report stays for the officials' statistics (category, ward, status, dates); the
    # words and pictures that may identify the reporter or others go.
    root = Path(settings.REPORT_MEDIA_ROOT)
    for path in ReportPhoto.objects.filter(report_id__in=ids).values_list("path", flat=True):
        (root / path).unlink(missing_ok=True)
    ReportPhoto.objects.filter(report_id__in=ids).delete()
    ReportNote.objects.filter(report_id__in=ids).update(text="")
    ReportReply.objects.filter(report_id__in=ids).update(text="")
    return Report.objects.filter(pk__in=ids).update(
        address="", description="", lat=None, lon=None, reporter=None, person=None
    )


def _exports_delete(ids: list[Any], now: datetime) -> int:
    for job in ExportJob.objects.filter(pk__in=ids).only("pk", "file_name"):
        if job.file_path is not None:
            job.file_path.unlink(missing_ok=True)
    return ExportJob.objects.filter(pk__in=ids).delete()[0]


def _checkins_due(now: datetime) -> QuerySet[Any]:
    due = CheckIn.objects.filter(at__lt=now - timedelta(days=settings.VENUE_CHECKIN_KEEP_DAYS))
    if CHECKINS.is_partitioned():
        # PostgreSQL: a day goes whole with its partition once every check-in of it is past the
        # period (dropped by retention_run first); row by row only what the default partition
        # holds — never ~30M deletes a day from a partition about to be dropped.
        due = due.filter(day__lt=checkin_keep_from(timezone.localdate(now)))
    return due


def _daily_updates_due(now: datetime) -> QuerySet[Any]:
    return DailyUpdate.objects.filter(daily_updates_expired(timezone.localdate(now)))


def _daily_updates_of_inactive(now: datetime) -> QuerySet[Any]:
    # The updates still within their own period whose person is inactive: the consent notice
    # promises they go RETENTION_HEALTH_DAYS after the last activity, and on PostgreSQL the
    # month partition holding the last ones may stay up to a month longer. Disjoint from
    # `_daily_updates_due` (no row counted twice), and on PostgreSQL it reads only the kept months.
    return _of_inactive(DailyUpdate)(now).exclude(daily_updates_expired(timezone.localdate(now)))


def _roster_lines_due(now: datetime) -> QuerySet[Any]:
    # Removed lines, and lines whose phone's owner said "this is not me" (the admin has the
    # period to correct them), still naming someone. Lines already anonymised are left out: a
    # rule with its own `apply` runs until nothing is due.
    cutoff = now - timedelta(days=settings.RETENTION_ROSTER_REMOVED_DAYS)
    names_someone = (
        ~Q(full_name="") | ~Q(phone="") | ~Q(phone_index="") | Q(person__isnull=False) | Q(account__isnull=False)
    )
    return Member.objects.filter(Q(removed_at__lt=cutoff) | Q(declined_at__lt=cutoff)).filter(names_someone)


def _roster_lines_anonymise(ids: list[Any], now: datetime) -> int:
    return roster_lines_anonymise(Q(pk__in=ids), now)


def _roster_error_files_due(now: datetime) -> QuerySet[Any]:
    cutoff = now - timedelta(days=settings.RETENTION_ROSTER_ERRORS_DAYS)
    return RosterImport.objects.filter(created_at__lt=cutoff).exclude(error_csv="")


def _roster_error_files_empty(ids: list[Any], now: datetime) -> int:
    # The rejected rows repeat the upload's names and phones; the import's counts stay.
    return RosterImport.objects.filter(pk__in=ids).update(error_csv="")


def _shells_due(now: datetime) -> QuerySet[Any]:
    ids = Erasure.objects.filter(status=ErasureStatus.DONE, shell_until__lte=now).values("person_id")
    return Person.objects.filter(pk__in=ids)


def _lapsed_delegations_end(ids: list[Any], now: datetime) -> int:
    # Ended, not deleted: the person's own rule below decides whether they go with it.
    return Delegation.objects.filter(pk__in=ids, ended_at__isnull=True).update(ended_at=now)


def _lapsed_assisted_people(now: datetime) -> QuerySet[Any]:
    # Registered by a volunteer who asked for consent by code and never got it (the delegation
    # ended, or lapsed: people.limits.pending_consent_lapse), never consented to anyone, waiting
    # for no live code — and nobody else's concern (people.households.person_ties_q, the rule a
    # household edit follows). Their name, birth date, address, ID number and phone go.
    never_consented = Delegation.objects.filter(person=OuterRef("pk"), consent_method=ConsentMethod.PENDING_CODE).filter(
        Q(ended_at__isnull=False) | Q(pk__in=pending_delegations_lapsed(now).values("pk"))
    )
    return (
        Person.objects.filter(Exists(never_consented))
        .exclude(Exists(Delegation.objects.filter(person=OuterRef("pk"), consent_method__in=CONSENTED)))
        .exclude(Exists(Delegation.objects.filter(delegation_holds_place_q(now), person=OuterRef("pk"))))
        .exclude(person_ties_q())
    )


def _health(days: Callable[[], int]) -> Callable[[], timedelta]:
    return lambda: timedelta(days=days())


def _hours(hours: Callable[[], int]) -> Callable[[], timedelta]:
    return lambda: timedelta(hours=hours())


RULES: list[Rule] = [
    Rule("declarations", "delete", _of_inactive(Declaration)),
    # A daily update is kept RETENTION_HEALTH_DAYS after its own day whatever the activity
    # (monitoring/partitions.py owns the horizon; on PostgreSQL by whole months, dropped by
    # retention_run first), and no longer than the person's other health data.
    Rule("daily_updates", "delete", _daily_updates_due),
    Rule("daily_updates_of_inactive", "delete", _daily_updates_of_inactive),
    Rule("assessments", "delete", _of_inactive(Assessment)),
    Rule("contacts", "delete", _of_inactive(Contact)),
    Rule("zone_warnings", "delete", _of_inactive(ZoneWarning)),
    # Venue check-ins are short-lived (issue 20 §4): VENUE_CHECKIN_KEEP_DAYS after the visit,
    # whatever the person's activity (on PostgreSQL by whole days: venues/partitions.py); the
    # exposures and case visits found from them follow the health data.
    Rule("venue_checkins", "delete", _checkins_due),
    Rule("venue_exposures", "delete", _of_inactive(VenueExposure)),
    Rule("venue_case_visits", "delete", _older(CaseVisit, "created_at", _health(lambda: settings.RETENTION_HEALTH_DAYS))),
    # A run is the job that found the exposures: it goes once it is finished, past the health
    # horizon and holds none of them any more (deleting it earlier would take theirs along).
    Rule("venue_exposure_runs", "delete", _runs_due),
    Rule("followup_cases", "delete", _of_inactive(FollowUpCase)),
    Rule("break_glass_grants", "delete", _of_inactive(BreakGlassGrant)),
    # Last of the health rules: the status row's dates say who is inactive.
    Rule("person_statuses", "delete", _of_inactive(PersonStatus)),
    Rule("erased_person_shells", "delete", _shells_due),
    # A person a volunteer registered who never agreed (consent by code, VOLUNTEER_PENDING_CONSENT_DAYS
    # after the last code expired): the delegation ends, then the person goes unless somebody
    # else looks after them.
    Rule("lapsed_consent_delegations", "end", pending_delegations_lapsed, _lapsed_delegations_end),
    Rule("lapsed_assisted_people", "delete", _lapsed_assisted_people),
    Rule("notifications", "delete", _older(Notification, "created_at", _health(lambda: settings.RETENTION_NOTIFICATION_DAYS))),
    Rule("reports", "anonymise", _reports_due, _reports_anonymise),
    # Organisations' rosters (issue 7): a removed or declined line keeps no name or phone past
    # its period (the erasure's own anonymising, so the counts read it the same way); an
    # import's file of rejected rows is only for correcting that upload.
    Rule("roster_lines", "anonymise", _roster_lines_due, _roster_lines_anonymise),
    Rule("roster_error_files", "anonymise", _roster_error_files_due, _roster_error_files_empty),
    Rule("exports", "delete", _older(ExportJob, "created_at", _health(lambda: settings.RETENTION_HEALTH_DAYS)), _exports_delete),
    # A typed pass code is useless once expired (its row lives 48 h, passes.services.CODE_LIFETIME), whoever it was for.
    Rule("pass_codes", "delete", lambda now: PassCode.objects.filter(expires_at__lt=now)),
    Rule("otp_challenges", "delete", _older(OtpChallenge, "created_at", _hours(lambda: settings.RETENTION_SHORT_LIVED_HOURS))),
    Rule("erasure_codes", "delete", _older(ErasureCode, "created_at", _hours(lambda: settings.RETENTION_SHORT_LIVED_HOURS))),
    Rule("idempotency_records", "delete", lambda now: IdempotencyRecord.objects.filter(idempotency_records_expired(now))),
    Rule("sessions", "delete", lambda now: Session.objects.filter(expire_date__lt=now)),
    # A closed account's app sessions are revoked, not deleted, by the closure: the deny-list's
    # rewrite reads them for an access token's lifetime (accounts/access_tokens.py). A day on,
    # nothing reads them.
    Rule("closed_account_sessions", "delete", lambda now: ApiSession.objects.filter(
        account__is_active=False,
        revoked_at__lt=now - timedelta(hours=max(1, settings.RETENTION_SHORT_LIVED_HOURS)),
    )),
    Rule("audit_events", "delete", audit_events_prunable, audit_prune),
    # The evidence that an erasure or withdrawal happened lives as long as the audit trail.
    Rule("erasure_records", "delete", lambda now: Erasure.objects.filter(
        status=ErasureStatus.DONE, shell_until__isnull=True,
        requested_at__lt=now - timedelta(days=settings.RETENTION_AUDIT_DAYS),
    )),
    Rule("consent_withdrawals", "delete", _older(
        ConsentWithdrawal, "withdrawn_at", _health(lambda: settings.RETENTION_AUDIT_DAYS)
    )),
]


def retention_plan(*, now: datetime | None = None) -> list[tuple[str, str, int]]:
    """What retention would erase now: (table, action, rows due) for every rule — the dry run."""
    now = now or timezone.now()
    return [(rule.table, rule.action, rule.due(now).count()) for rule in RULES]


def _batch(rule: Rule, now: datetime, size: int) -> int:
    with transaction.atomic():
        ids = list(rule.due(now).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return 0
        if rule.apply is not None:
            return rule.apply(ids, now) or 0
        model = rule.due(now).model
        model.objects.filter(pk__in=ids).delete()
        return len(ids)


def retention_run(
    *,
    now: datetime | None = None,
    max_batches: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Erase or anonymise everything due, table by table, `RETENTION_BATCH_SIZE` rows per
    transaction and at most `max_batches` batches per table (None: until nothing is due).

    Returns the rows handled per table; one audit event records these counts (no ids, no names).
    """
    now = now or timezone.now()
    size = settings.RETENTION_BATCH_SIZE
    done: dict[str, int] = {}
    # Whole days of check-ins and whole months of daily updates first (PostgreSQL; each drop
    # audited on its own), so that the row-by-row rules below find only the default partitions' rows.
    checkin_partitions_drop_expired(today=timezone.localdate(now))
    daily_update_partitions_drop_expired(today=timezone.localdate(now))
    for rule in RULES:
        batches = 0
        while max_batches is None or batches < max_batches:
            n = _batch(rule, now, size)
            if not n:
                break
            done[rule.table] = done.get(rule.table, 0) + n
            batches += 1
            if progress is not None:
                progress(rule.table, done[rule.table])
            if n < size and rule.apply is None:
                break
    if done:
        audit_record(actor="retention", action="privacy.retention", data={"counts": done})
    return done
