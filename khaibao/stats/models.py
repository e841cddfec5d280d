"""Rollup tables for the officials' statistics (DESIGN.md §8: dashboards never count raw rows).

A periodic job (khaibao.stats.tasks) rewrites today's and yesterday's rows every 30 seconds.
Absence of a row means zero: wards without any activity on a day have none.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyAreaRollup(models.Model):
    """One ward's numbers for one day (Asia/Ho_Chi_Minh), by the people's home ward.

    Flows (declarations, daily updates) count what happened that day. Stock columns (people by
    level, under monitoring, missed updates) are a snapshot of the latest-status rows taken on
    that day: the last refresh during the day leaves the day's final picture. `snapshot_at` is
    null when no snapshot was taken that day (a backfill of a past day cannot rebuild one).
    """

    day = models.DateField()
    # No index of its own: "stats_area_ward_day" leads with it.
    ward = models.ForeignKey("places.Ward", on_delete=models.CASCADE, related_name="+", db_index=False)
    # Denormalised from the ward so that a province's rows are one index range: that of
    # "stats_area_province_day", which leads with it, so no index of its own.
    province = models.ForeignKey(
        "places.Province", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    declarations = models.PositiveIntegerField(default=0)  # universal and risk-factor together
    risk_declarations = models.PositiveIntegerField(default=0)
    daily_updates = models.PositiveIntegerField(default=0)
    people_low = models.PositiveIntegerField(default=0)
    people_medium = models.PositiveIntegerField(default=0)
    people_high = models.PositiveIntegerField(default=0)
    people_urgent = models.PositiveIntegerField(default=0)
    under_monitoring = models.PositiveIntegerField(default=0)
    missed_updates = models.PositiveIntegerField(default=0)  # under monitoring, missed_days ≥ 1
    snapshot_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "ward"], name="stats_area_day_ward")]
        indexes = [
            models.Index(fields=["province", "day"], name="stats_area_province_day"),
            models.Index(fields=["ward", "day"], name="stats_area_ward_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.ward_id}"


class CodeKind(models.TextChoices):
    SYMPTOM = "symptom", _("Symptom")
    FOLLOWUP = "followup", _("Follow-up action")


class DailyCodeRollup(models.Model):
    """Counts by code for one ward and day: symptoms reported, follow-up actions recorded.

    A row per (code) instead of a JSON column, so that ranges and jurisdictions sum in SQL.
    Symptoms: daily updates and declarations of that day reporting the code (a measured
    temperature of 38.0 °C or more counts as fever, as the risk engine does). Follow-up:
    actions of each kind recorded that day.
    """

    day = models.DateField()
    # No index of its own: "stats_code_ward_day" leads with it.
    ward = models.ForeignKey("places.Ward", on_delete=models.CASCADE, related_name="+", db_index=False)
    # No index of its own: "stats_code_province_day" leads with it.
    province = models.ForeignKey(
        "places.Province", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=10, choices=CodeKind.choices)
    code = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "ward", "kind", "code"], name="stats_code_day_ward_kind_code")
        ]
        indexes = [
            models.Index(fields=["province", "day"], name="stats_code_province_day"),
            models.Index(fields=["ward", "day"], name="stats_code_ward_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.ward_id} {self.kind}:{self.code}={self.count}"


class RollupState(models.Model):
    """The one row (pk=1) saying when the rollups were last refreshed — the lag on the page.

    Refreshes lock it, so two refreshes (the periodic job and a backfill) never interleave.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # The latest day whose stock columns were snapshotted: "current totals" come from it.
    snapshot_day = models.DateField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"rollups refreshed at {self.refreshed_at}"
