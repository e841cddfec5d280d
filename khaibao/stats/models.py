"""Rollup tables for the officials' statistics (DESIGN.md §8: dashboards never count raw rows).

A periodic job (khaibao.stats.tasks) brings today's and yesterday's rows up to date every 30
seconds, counting only the rows written since its last run (stats/counting.py, `CountedRow`).
Absence of a row means zero: wards without any activity on a day have none.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedJSONField


class DailyAreaRollup(models.Model):
    """One ward's numbers for one day (Asia/Ho_Chi_Minh), by the people's home ward.

    Flows (declarations, daily updates) count what happened that day. Stock columns (people by
    level, under monitoring, missed updates) are a snapshot of the latest-status rows taken on
    that day: the last refresh during the day leaves the day's final picture. `snapshot_at` is
    when the stock columns were last written (a refresh writes a row only when its numbers
    changed), null when no snapshot was taken that day (a backfill of a past day cannot rebuild
    one); `refreshed_at` is when any of the row's numbers were last written. How fresh the numbers
    are is `RollupState.refreshed_at`.
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
    # When the last periodic run started reading: the next reads the rows written since (less an
    # overlap, stats/counting.py). Null until a run has counted yesterday and today in full.
    counted_through = models.DateTimeField(null=True, blank=True)
    # The latest day whose stock columns were snapshotted: "current totals" come from it.
    snapshot_day = models.DateField(null=True, blank=True)
    # When the stock columns were last taken, and how long that took: a pass over every status row,
    # so it paces itself (stats/services.py `snapshot_due`) instead of running on every refresh.
    snapshot_at = models.DateTimeField(null=True, blank=True)
    snapshot_ms = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"rollups refreshed at {self.refreshed_at}"


class CountedSource(models.TextChoices):
    DAILY_UPDATE = "u", _("Daily update")
    DECLARATION = "d", _("Health declaration")


class CountedRow(models.Model):
    """A daily update or declaration of yesterday or today the refresh has counted, in which version,
    and what it added (stats/counting.py): the next run skips it unless it changed, and a replaced
    daily update first takes back what its earlier version added. Pruned once its day is older than
    yesterday.

    `added` is sealed: the symptom codes it restates are health answers (issue 18). Null when the
    row added only its base count (a daily update: `daily_updates`; a declaration: `declarations`),
    which is most of them, so most rows cost no encryption.
    """

    source = models.CharField(max_length=1, choices=CountedSource.choices)
    row_id = models.BigIntegerField()
    day = models.DateField()
    # Where it was counted: the person's home ward then (null: no ward, counted nowhere).
    ward = models.ForeignKey(
        "places.Ward", null=True, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    version = models.DateTimeField()  # the row's updated_at (a daily update) or created_at (a declaration)
    added = EncryptedJSONField(null=True, blank=True)  # rollup keys beyond the base count

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "row_id"], name="stats_counted_source_row")]
        indexes = [models.Index(fields=["day"], name="stats_counted_day")]

    def __str__(self) -> str:
        return f"{self.source}{self.row_id}@{self.version}"
