from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class Kind(models.TextChoices):
    TRIAGE = "triage", _("Triage list")
    FOLLOWUPS = "followups", _("Follow-up list")
    STATS = "stats", _("Statistics")
    # Issue 21: an organisation admin's chasing list (khaibao.orgs.chase registers its source).
    ORG_MEMBERS = "org_members", _("Organisation members to chase")


# Kinds an organisation admin asks for (their own members' names and phones, never health data);
# every other kind is a health official's.
ORG_KINDS = frozenset({Kind.ORG_MEMBERS})


class Format(models.TextChoices):
    CSV = "csv", _("CSV (Excel, LibreOffice)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")


class Status(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class Failure(models.TextChoices):
    """Why a background export failed, in words the official can act on."""

    STORAGE = "storage", _("The file could not be written on the server (storage problem). Please export again later; if it keeps failing, tell the technical team.")
    INTERRUPTED = "interrupted", _("The export was interrupted (a server restarted) and could not be finished. Please export again.")
    DATABASE = "database", _("The data could not be read in time (the database was busy or unavailable). Please export again in a few minutes.")
    ERROR = "error", _("Something went wrong on our side while writing the file. Please export again; if it keeps failing, tell the technical team.")


class ExportJob(models.Model):
    """One export an official asked for (xuất dữ liệu), small (streamed) or large (background job).

    The reason is encrypted: it may name people or situations, and the audit trail only points
    at this row. Small exports keep a row too, so they count towards the daily cap.
    """

    # No index of its own: "export_owner_created" (owner, -created_at) leads with it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    filters = models.JSONField(default=dict, blank=True)
    reason = EncryptedTextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    streamed = models.BooleanField(default=False)
    progress = models.PositiveSmallIntegerField(default=0)  # 0–100
    row_count = models.PositiveIntegerField(null=True, blank=True)
    estimated_rows = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)  # relative to settings.EXPORT_ROOT
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    downloaded_at = models.DateTimeField(null=True, blank=True)
    # Why a background job failed (shown to the official); blank unless failed.
    failure = models.CharField(max_length=12, choices=Failure.choices, blank=True)
    # The task row running it now and how many times it was started: exports_sweep retries a job
    # whose worker died, up to EXPORT_MAX_ATTEMPTS, then fails it (services.exports_sweep).
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The owner's area (Account.area_key) when the rows were read: the file is handed out only
    # while the owner still covers it (exports/downloads.py).
    area = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="export_owner_created"),
            models.Index(fields=["status", "expires_at"], name="export_status_expires"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} {self.kind}.{self.format} ({self.status})"

    @property
    def file_path(self) -> Path | None:
        return Path(settings.EXPORT_ROOT) / self.file_name if self.file_name else None

    @property
    def is_active(self) -> bool:
        return self.status in (Status.QUEUED, Status.RUNNING)

    def is_expired(self, now: object = None) -> bool:
        return self.status == Status.EXPIRED or (now or timezone.now()) >= self.expires_at  # type: ignore[operator]
