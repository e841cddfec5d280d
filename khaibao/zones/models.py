"""Epidemic zones (vùng dịch) and places with time windows (mốc dịch tễ).

A Zone or Place is a stable identity; what it says lives in versions. Every change — raising,
lowering, ending — adds a version and moves the `current` pointer; nothing is edited in place
or deleted, so the history of what people were told stays (issue 5: "lowering or ending a zone
is recorded, not deleted").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import SealedTextField
from khaibao.places.models import Ward
from khaibao.places.selectors import in_reading_order


class ZoneLevel(models.IntegerChoices):
    """Resolution 128/NQ-CP levels, assessed per ward and decided by the province. Written "Level N —
    <colour>" everywhere (`level_label`); the choices add what the colour means, for the forms."""

    LOW = 1, _("Level 1 — green (low risk)")
    MEDIUM = 2, _("Level 2 — yellow (medium risk)")
    HIGH = 3, _("Level 3 — orange (high risk)")
    VERY_HIGH = 4, _("Level 4 — red (very high risk)")


# CSS colour names shared with the status colours of site.css.
LEVEL_COLOURS = {1: "green", 2: "yellow", 3: "orange", 4: "red"}
LEVEL_WORDS = {1: _("green"), 2: _("yellow"), 3: _("orange"), 4: _("red")}


def level_label(level: int) -> str:
    """A zone level as every page writes it ("Cấp độ 4 — đỏ"): the number with its colour word."""
    return gettext("Level %(level)s — %(word)s") % {"level": level, "word": LEVEL_WORDS[level]}


class Change(models.TextChoices):
    CREATE = "create", _("Declared")
    RAISE = "raise", _("Raised or widened")
    LOWER = "lower", _("Lowered or narrowed")
    EDIT = "edit", _("Edited")
    END = "end", _("Ended")


class ZoneState(models.Model):
    """One row, rewritten by every zone or place change: the cache key of the check index and
    part of the public list's ETag. The token is random rather than a counter so that a
    rolled-back change can never make an old index look current again."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    counter = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"zones state {self.counter}"


class Zone(models.Model):
    # No index of its own: "zone_province_latest" (province, -created_at) leads with it.
    province = models.ForeignKey(
        "places.Province", on_delete=models.PROTECT, related_name="zones", db_index=False
    )
    current = models.OneToOneField(
        "ZoneVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="current_of"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["province", "-created_at"], name="zone_province_latest")]

    def __str__(self) -> str:
        return f"zone {self.pk}"


class ZoneVersion(models.Model):
    """What a zone said from `created_at` until the next version (`superseded_at`).

    The area is any combination of wards (or the whole province), a circle and a GeoJSON
    polygon. Travel and residence are declared by ward, so only the wards reach travellers and
    residents; circles and polygons answer "am I in or near" for a point.
    """

    # No index of its own: the unique (zone, number) constraint leads with it.
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="versions", db_index=False)
    number = models.PositiveIntegerField()
    change = models.CharField(max_length=10, choices=Change.choices)
    name = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(choices=ZoneLevel.choices)
    lockdown = models.BooleanField(default=False)  # phong tỏa
    isolation = models.BooleanField(default=False)  # cách ly
    whole_province = models.BooleanField(default=False)
    wards = models.ManyToManyField("places.Ward", blank=True, related_name="zone_versions")
    circle_lat = models.FloatField(null=True, blank=True)
    circle_lon = models.FloatField(null=True, blank=True)
    circle_radius_m = models.PositiveIntegerField(null=True, blank=True)
    polygon = models.JSONField(null=True, blank=True)  # a GeoJSON Polygon geometry
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    advice_vi = models.TextField(blank=True)
    advice_en = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zone", "number"], name="zone_version_number"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="zone_version_level_1_4"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="zone_version_valid_order",
            ),
        ]
        indexes = [models.Index(fields=["valid_from", "valid_until"], name="zone_version_validity")]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS[self.level]

    @property
    def colour_word(self) -> str:
        return str(LEVEL_WORDS[self.level])

    @property
    def level_label(self) -> str:
        return level_label(self.level)

    @property
    def has_circle(self) -> bool:
        return self.circle_lat is not None and self.circle_lon is not None and self.circle_radius_m is not None

    def wards_in_reading_order(self) -> list[Ward]:
        """The wards as a page lists them (from the prefetched wards, when fetched so)."""
        return in_reading_order(self.wards.all())


class Place(models.Model):
    """A place with a time window (mốc dịch tễ): "anyone who was at X between … must declare"."""

    province = models.ForeignKey("places.Province", on_delete=models.PROTECT, related_name="epidemic_places")
    current = models.OneToOneField(
        "PlaceVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="current_of"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"place {self.pk}"


class PlaceVersion(models.Model):
    # No index of its own: the unique (place, number) constraint leads with it.
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="versions", db_index=False)
    number = models.PositiveIntegerField()
    change = models.CharField(max_length=10, choices=Change.choices)
    name = models.CharField(max_length=300)  # the address or name of the place
    ward = models.ForeignKey("places.Ward", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(default=100)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    # A withdrawn notice (published by mistake) stays in the history but is no longer shown.
    withdrawn = models.BooleanField(default=False)
    advice_vi = models.TextField(blank=True)
    advice_en = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "number"], name="place_version_number"),
            models.CheckConstraint(condition=Q(window_end__gte=models.F("window_start")), name="place_window_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class Phase(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    TRAVELLERS = "travellers", _("Travellers")
    DONE = "done", _("Done")


class ZoneWarningRun(models.Model):
    """The warning job of one zone or place version: its cursor and counts, so that a worker
    that died half-way is resumed from the last committed batch."""

    zone_version = models.OneToOneField(
        ZoneVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="warning_run"
    )
    place_version = models.OneToOneField(
        PlaceVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="warning_run"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.RESIDENTS)
    cursor = models.BigIntegerField(default=0)  # the last person id handled in this phase
    # The people found to have declared travel into the area when the run started (health data,
    # in clear): working state only — emptied when the run finishes, an erased person's id taken
    # out while it runs (warnings.warning_runs_forget). docs/privacy.md, "Columns that stay clear".
    traveller_ids = models.JSONField(default=list, blank=True)
    expected = models.PositiveIntegerField(default=0)  # residents + travellers found at the start
    processed = models.PositiveIntegerField(default=0)
    # People of the run whose message reached at least one account (people.access.carer_ids), and
    # those it reached nobody for (`cared_for_ids`): no account, household or volunteer — the
    # official calls them or visits. Each person handled counts in one of the two.
    warned = models.PositiveIntegerField(default=0)
    unreachable = models.PositiveIntegerField(default=0)
    reassessed = models.PositiveIntegerField(default=0)
    raised = models.PositiveIntegerField(default=0)  # people whose risk level went up
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(zone_version__isnull=False, place_version__isnull=True)
                    | Q(zone_version__isnull=True, place_version__isnull=False)
                ),
                name="warning_run_one_subject",
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="warning_run_status")]

    def __str__(self) -> str:
        return f"warning run {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        if not self.expected:
            return 0
        return min(99, self.processed * 100 // self.expected)


class WarningReason(models.TextChoices):
    RESIDENT = "resident", _("Lives there")
    TRAVELLER = "traveller", _("Declared travel there")


class ZoneWarning(models.Model):
    """One warning to one person about one zone or place version — never two."""

    # No database-level foreign keys and no indexes of their own on these columns: the job
    # writes up to a million rows per version, and PostgreSQL checks each constraint per row at
    # commit, taking a key-share lock on the person row — measured at 1M residents, these
    # checks were a third of the job's time (bench/RESULTS.md). Django still applies
    # on_delete (people are only ever erased through the ORM), the run and version rows are
    # never deleted (PROTECT), and the partial unique constraints and `zone_warning_person`
    # below start with these columns, which is all the reads need.
    run = models.ForeignKey(
        ZoneWarningRun, on_delete=models.CASCADE, related_name="warnings", db_constraint=False, db_index=False
    )
    zone_version = models.ForeignKey(
        ZoneVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False,
        db_index=False,
    )
    place_version = models.ForeignKey(
        PlaceVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False,
        db_index=False,
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="zone_warnings", db_constraint=False, db_index=False
    )
    # Why the person was warned and their risk level before and after: "traveller" is declared
    # travel (health data), the levels are their assessment — sealed like the answers they come
    # from (docs/privacy.md, "Sealed health data"), read only by the person's own data export.
    # NULL never written (as the other sealed columns, nullable so that sealing them was online).
    reason = SealedTextField(choices=WarningReason.choices, null=True)
    level_before = SealedTextField(blank=True, null=True)
    level_after = SealedTextField(blank=True, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["zone_version", "person"], condition=Q(zone_version__isnull=False), name="zone_warning_once"
            ),
            models.UniqueConstraint(
                fields=["place_version", "person"], condition=Q(place_version__isnull=False), name="place_warning_once"
            ),
        ]
        indexes = [models.Index(fields=["person", "-created_at"], name="zone_warning_person")]

    def __str__(self) -> str:
        return f"warning {self.pk} to {self.person_id}"
