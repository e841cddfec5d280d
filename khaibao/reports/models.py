"""Citizen reports (phản ánh thông tin) to the health authorities, and their handling.

An anonymous report keeps no identity at all: no account, no IP address (the rate limits keep a
keyed hash of the address in the cache for their window only). Every reporter gets a tracking
code; only its SHA-256 is stored, so the code is shown once and then looked up by its hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class Category(models.TextChoices):
    SUSPECTED_CASE = "suspected_case", _("Suspected case in the community")
    UNDECLARED = "undeclared_or_not_isolating", _("Back from an epidemic area and not declared or not isolating")
    GATHERING = "gathering", _("Gathering against the rules")
    MISINFORMATION = "misinformation", _("Misinformation")
    PRICE_GOUGING = "price_gouging_or_fake_supplies", _("Price gouging or fake medical supplies")
    OTHER = "other", _("Other")


# Categories about one person, which an official may turn into a case.
PERSON_CATEGORIES = frozenset({Category.SUSPECTED_CASE, Category.UNDECLARED})


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFYING = "verifying", _("Being verified")
    HANDLED = "handled", _("Handled")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


OPEN_STATUSES = (ReportStatus.RECEIVED, ReportStatus.VERIFYING)


class Report(models.Model):
    category = models.CharField(max_length=40, choices=Category.choices)
    # No index of its own: "report_ward_status" (ward, status, created_at) leads with it.
    ward = models.ForeignKey("places.Ward", on_delete=models.PROTECT, related_name="+", db_index=False)
    address = EncryptedTextField()
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    description = EncryptedTextField()
    happened_at = models.DateTimeField()
    # No index of its own: "report_reporter" (reporter, created_at) leads with it.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports",
        db_index=False,
    )
    tracking_hash = models.CharField(max_length=64, unique=True)
    # An anonymous report's proof of work (reports.pow.solution_key): unique, so one solution
    # pays for one report, and written with the report, so a rolled-back report spends nothing.
    # Unique through a constraint, not unique=True: matched exactly, it needs no pattern-ops twin
    # index on PostgreSQL (core/tests/test_indexes.py).
    pow_hash = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=12, choices=ReportStatus.choices, default=ReportStatus.RECEIVED)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The person this report was turned into a case for.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["ward", "status", "created_at"], name="report_ward_status"),
            models.Index(fields=["status", "created_at"], name="report_status_created"),
            models.Index(fields=["reporter", "created_at"], name="report_reporter"),
        ]
        constraints = [models.UniqueConstraint(fields=["pow_hash"], name="report_pow_hash_once")]

    def __str__(self) -> str:
        return f"report {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReportPhoto(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    # Relative to settings.REPORT_MEDIA_ROOT, a random name: never under a public URL.
    path = models.CharField(max_length=200)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"photo {self.pk} of report {self.report_id}"

class ReportNote(models.Model):
    """An official's internal note; never shown to the reporter."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"note {self.pk} on report {self.report_id}"

class ReportReply(models.Model):
    """An official's answer, shown to the reporter (also through the tracking code)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"reply {self.pk} to report {self.report_id}"

class ReportStatusChange(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=ReportStatus.choices)
    to_status = models.CharField(max_length=12, choices=ReportStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"report {self.report_id}: {self.from_status} → {self.to_status}"
