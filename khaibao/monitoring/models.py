from __future__ import annotations

from typing import Final

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedDecimalField, EncryptedJSONField, SealedTextField


class Level(models.TextChoices):
    """Risk levels, in increasing order (`LEVEL_ORDER`)."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


LEVEL_ORDER = {"low": 0, "medium": 1, "high": 2, "urgent": 3}


class PersonStatus(models.Model):
    """A person's latest-status columns, kept current by the declaration and update services.

    The hot path reads this one row (status page, QR pass, triage) instead of counting or
    scanning history (DESIGN.md §8).
    """

    person = models.OneToOneField("people.Person", primary_key=True, on_delete=models.CASCADE, related_name="status")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.LOW)
    # Rule ids that fired ("high.contact_confirmed"): they restate the answers, so they are
    # sealed (issue 18); the queue's reasons are computed from the clear columns (queue.py).
    reasons = EncryptedJSONField(default=list, blank=True, null=True)
    recommendations = models.JSONField(default=list, blank=True)  # recommendation codes
    ruleset_version = models.CharField(max_length=20, blank=True)
    priority = models.IntegerField(default=0)
    assessed_at = models.DateTimeField(null=True, blank=True)  # the latest run of the engine
    # Decision C (docs/decisions/0008): an Assessment row is written only when the assessment
    # changes; a run that finds it unchanged writes none and stamps this instead. Null until a
    # run confirms the assessment in force, and again after a change.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    monitoring_from = models.DateField(null=True, blank=True)
    monitoring_until = models.DateField(null=True, blank=True)
    last_declaration_at = models.DateTimeField(null=True, blank=True)
    last_update_at = models.DateTimeField(null=True, blank=True)  # when the latest update was sent
    # The latest day any daily update is for (an update may be for yesterday, sent this morning):
    # what "today's update is done" means everywhere (`status_updated_on`) — on the home and
    # status pages, for reminders and for organisations' counts.
    last_update_day = models.DateField(null=True, blank=True)
    # When the person or an official last acted on the record, the clock retention counts from:
    # set only by `monitoring.assessment.status_acted` (never by a re-assessment of the system).
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # A risk-factor declaration always puts the person before their ward's officials.
    needs_attention = models.BooleanField(default=False)
    is_f0 = models.BooleanField(default=False)
    # Contact level from contact tracing or a positive test: "F0".."F5", or "" when none.
    contact_level = models.CharField(max_length=2, blank=True, default="")
    # When a health official last cleared the person (cases.services, "cleared"): the answers
    # dated up to that day were judged, so no assessment counts them again (monitoring/inputs.py,
    # `AssessmentInputs.cleared_on`) — or the next daily update would undo the official's decision.
    cleared_at = models.DateTimeField(null=True, blank=True)

    # --- Officials' triage queue (issue 4), kept current by khaibao.cases ---------------
    # Denormalised from the person so that a jurisdiction's queue is one indexed range scan.
    # No index of their own: the queue indexes below lead with them (migration 0010).
    home_ward = models.ForeignKey(
        "places.Ward", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    home_province = models.ForeignKey(
        "places.Province", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    in_queue = models.BooleanField(default=False)
    queue_rank = models.IntegerField(default=0)  # higher first
    queue_since = models.DateTimeField(null=True, blank=True)  # waiting time starts here
    missed_days = models.PositiveSmallIntegerField(default=0)  # consecutive, up to yesterday
    escalated_at = models.DateTimeField(null=True, blank=True)
    lost_to_followup_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "person statuses"
        indexes = [
            models.Index(fields=["level", "-priority"], name="status_level_priority"),
            # The person last, as in the queue's order: a page after a cursor is an index range
            # even inside a group of the same rank and time (cases/triage.py `_page_statuses`).
            models.Index(
                fields=["home_province", "in_queue", "-queue_rank", "queue_since", "person"],
                name="status_queue_province",
            ),
            models.Index(
                fields=["home_ward", "in_queue", "-queue_rank", "queue_since", "person"], name="status_queue_ward"
            ),
            # The national official's queue has no province or ward to range over: without this
            # partial index (only rows in the queue, ~10% of people) its first page sorted every
            # queued row — 884 ms at 1M people, 100k queued (bench/RESULTS.md).
            models.Index(
                fields=["-queue_rank", "queue_since", "person"], condition=models.Q(in_queue=True),
                name="status_queue_national",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.level}"


# Every column of a status row but the key, as `save()` writes them: an assessment rewrites the
# row it holds locked, so nothing another writer set is lost. But `cleared_at`, which only an
# official's action sets and an assessment reads: one parameter fewer for the one-statement write
# (an assessed daily update with its Idempotency-Key's record is at statements.PARAMS_MAX).
_NOT_ASSESSED: Final = frozenset({"cleared_at"})
STATUS_COLUMNS = tuple(
    f.attname for f in PersonStatus._meta.concrete_fields if not f.primary_key and f.attname not in _NOT_ASSESSED
)


class Feeling(models.TextChoices):
    WELL = "well", _("Well")
    UNWELL = "unwell", _("Unwell")


_FEELING_LABELS: dict[object, object] = dict(Feeling.choices)


def feeling_label(value: str | None) -> str | None:
    """What `DailyUpdate.get_feeling_display()` answers for `value` (the label in the active
    language; an unknown value as it is), from a map built once: the model's method rebuilds the
    choices' map on every call (22 µs against 6, on every daily update's answer)."""
    return force_str(_FEELING_LABELS.get(value, value), strings_only=True)  # type: ignore[no-any-return]


class DailyUpdate(models.Model):
    """The daily health update (cập nhật hằng ngày): one row per person per day, upserted.

    Sending again the same day replaces the row (DESIGN.md §8: the hot path is this upsert plus
    the person's PersonStatus row).
    """

    # No index of its own: the unique (person, day) constraint leads with person_id and serves every
    # lookup by person; one index fewer to maintain on each daily update (bench/RESULTS.md).
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="daily_updates", db_index=False
    )
    day = models.DateField()
    # The answers are sealed (issue 18, docs/privacy.md): Fernet tokens, decrypted in Python.
    symptoms = EncryptedJSONField(default=list, blank=True, null=True)  # symptom codes
    temperature = EncryptedDecimalField(decimal_places=1, null=True, blank=True)
    feeling = SealedTextField(choices=Feeling.choices, null=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_as = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="daily_update_person_day")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day}"


class Source(models.TextChoices):
    DECLARATION = "declaration", _("Health declaration")
    RISK_DECLARATION = "risk_declaration", _("Risk-factor declaration")
    DAILY_UPDATE = "daily_update", _("Daily update")
    CONTACT_TRACING = "contact_tracing", _("Contact tracing")
    REASSESSMENT = "reassessment", _("Re-assessment (a new epidemic zone)")
    # A health official's action that changed the assessment (cases.services: a positive test,
    # "cleared"): no run of the engine, but a change of what the person is told (decision C).
    OFFICIAL = "official", _("Health official's action")


class Assessment(models.Model):
    """A change of a person's assessment, kept for explanation and audit: a run of the risk engine
    that changed the level, reasons, advice, monitoring period, priority or rule-set version
    (`ASSESSED_FIELDS`), or a health official's action that changed them (`Source.OFFICIAL`: a
    positive test, "cleared"; `engine_level` is then the official's level). A run that changes none of them writes no row; the status row records
    when it last confirmed the assessment unchanged (`PersonStatus.confirmed_at`).

    `level`, `reasons` and `recommendations` are what the person was shown: when an open high or
    urgent level was kept (never lowered silently), `engine_level` holds the engine's own answer
    and `level_kept` is true.
    """

    # No index of its own: "assessment_person_latest" (person, -created_at) serves lookups by person.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="assessments", db_index=False
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    declaration = models.OneToOneField(
        "declarations.Declaration", null=True, blank=True, on_delete=models.CASCADE, related_name="assessment"
    )
    # No database-level foreign key: on PostgreSQL daily updates are partitioned by month and
    # their SQL primary key is (id, day), so no constraint can reference `id` alone (migration
    # 0007). Django still applies SET_NULL on delete, and dropping an expired partition nulls
    # the links itself (monitoring/partitions.py).
    daily_update = models.ForeignKey(
        DailyUpdate, null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments",
        db_constraint=False,
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    engine_level = models.CharField(max_length=10, choices=Level.choices)
    level_kept = models.BooleanField(default=False)
    reasons = EncryptedJSONField(default=list, blank=True, null=True)  # sealed like the status row's
    recommendations = models.JSONField(default=list, blank=True)
    ruleset_version = models.CharField(max_length=20)
    monitoring_days = models.PositiveSmallIntegerField(default=0)
    monitoring_until = models.DateField(null=True, blank=True)
    priority = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"], name="assessment_person_latest")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.level} ({self.source})"


# What makes an assessment a new one (decision C): a run whose values of these equal those of the
# status row (the assessment in force) changes nothing and writes no Assessment row.
ASSESSED_FIELDS = ("level", "reasons", "recommendations", "monitoring_until", "priority", "ruleset_version")


class PendingAssessment(models.Model):
    """A daily update stored first in rush mode (decision D, docs/decisions/0008): acknowledged
    (202) and waiting for the worker to assess its person (monitoring/pending.py). Written by the
    same statement as the update and its audit event; deleted by the transaction that assesses it,
    so it is assessed once, or again after a crash that rolled that transaction back — never
    twice. One row per daily update: a replaced update waits in the row it already has.
    """

    # The update's id: no foreign key, as for Assessment.daily_update (partitioned table).
    daily_update_id = models.BigIntegerField(primary_key=True)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    queued_at = models.DateTimeField()
    # A person whose assessment fails must not hold the backlog (monitoring/pending.py): failures so
    # far, the last one, and when the row may be claimed again; after MAX_ATTEMPTS it is given up —
    # kept and counted on the health page, no longer claimed. The stored-first statement
    # (statements._PENDING) names only the columns above, hence the database default.
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    failed_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["queued_at"], name="pending_assessment_queued"),
            # The failing and given-up rows only (a few), so /healthz counts them without reading the
            # whole backlog of a rush (monitoring/pending.py `pending_backlog`).
            models.Index(fields=["queued_at"], condition=models.Q(attempts__gt=0), name="pending_assessment_failed"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day} (pending)"
