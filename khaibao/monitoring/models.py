from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    reasons = models.JSONField(default=list, blank=True)  # rule ids that fired
    recommendations = models.JSONField(default=list, blank=True)  # recommendation codes
    ruleset_version = models.CharField(max_length=20, blank=True)
    priority = models.IntegerField(default=0)
    assessed_at = models.DateTimeField(null=True, blank=True)
    monitoring_from = models.DateField(null=True, blank=True)
    monitoring_until = models.DateField(null=True, blank=True)
    last_declaration_at = models.DateTimeField(null=True, blank=True)
    last_update_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # A risk-factor declaration always puts the person before their ward's officials.
    needs_attention = models.BooleanField(default=False)
    is_f0 = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "person statuses"
        indexes = [models.Index(fields=["level", "-priority"], name="status_level_priority")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.level}"
