from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ActionKind(models.TextChoices):
    CALLED_REACHED = "called_reached", _("Called — reached")
    CALLED_NOT_REACHED = "called_not_reached", _("Called — not reached")
    ADVISED_HOME_ISOLATION = "advised_home_isolation", _("Advised home isolation")
    REFERRED_FOR_TESTING = "referred_for_testing", _("Referred for testing")
    TEST_RESULT = "test_result", _("Test result")
    CONCENTRATED_QUARANTINE = "concentrated_quarantine", _("Moved to concentrated quarantine")
    HOSPITALISED = "hospitalised", _("Hospitalised")
    CLEARED = "cleared", _("Cleared")
    LOST_TO_FOLLOWUP = "lost_to_followup", _("Lost to follow-up")


class TestResult(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")


class FollowUpCase(models.Model):
    """A health official's follow-up of one person (theo dõi, xử lý ca): at most one open case
    per person; clearing the person closes it, and a later need opens a new one.
    """

    # No index of its own: "followup_person_latest" (person, -opened_at) leads with it.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="followup_cases", db_index=False
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    # No index of its own: "followup_assigned_status" (assigned_to, status) leads with it.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The kind of the latest action while open; the closing action's kind once closed.
    outcome = models.CharField(max_length=30, choices=ActionKind.choices, blank=True)
    last_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="open"), name="followup_one_open_case_per_person"
            )
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status"], name="followup_assigned_status"),
            models.Index(fields=["person", "-opened_at"], name="followup_person_latest"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} of {self.person_id} ({self.status})"


class FollowUpAction(models.Model):
    """One thing an official did or learnt about a person under follow-up. Append-only."""

    case = models.ForeignKey(FollowUpCase, on_delete=models.CASCADE, related_name="actions")
    # Every person-owned table carries person_id (DESIGN.md §9).
    # No index of its own: "followup_action_person_latest" (person, -at) leads with it.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="followup_actions", db_index=False
    )
    # Clear on purpose (docs/privacy.md, "Columns that stay clear"): the statistics count the
    # day's actions per ward by kind and result in SQL, and a positive result says no more than
    # PersonStatus.is_f0. The audit trail never copies them (services.case_action_record).
    kind = models.CharField(max_length=30, choices=ActionKind.choices)
    test_result = models.CharField(max_length=10, choices=TestResult.choices, blank=True)
    test_date = models.DateField(null=True, blank=True)
    # Free text about a person's health: encrypted like the other personal fields.
    notes = EncryptedTextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["person", "-at"], name="followup_action_person_latest"),
            # The statistics refresh counts each day's actions every run (stats/services.py).
            models.Index(fields=["at"], name="followup_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person_id}"
