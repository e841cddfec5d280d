"""Venues and check-ins (quét mã QR địa điểm): who was where, kept minimal and short-lived.

A `Venue` is a place people enter (a shop, an office, a market stall, a bus) with a short code
printed on its poster. A `CheckIn` is one person at one venue at one time. Which venue a person
visited is health data (DESIGN.md §7: venue visits are sealed): the check-in row holds the venue
only as a keyed blind index (for the set-based matching of the exposure job) and encrypted (for
the citizen's own list) — a database dump says when someone checked in, never where.

An exposure run (`VenueExposureRun`) is the warning job of one subject — a place notice, a zone
version or a case's recorded visit — over the venues it covers; it writes one `VenueExposure`
per person, which the assessment reads as an exposure (settings.ASSESSMENT_EXPOSURE_SOURCES).
The exposure, the run and the case's visit hold their venues sealed too (sealing.py): joined
together, the tables say that someone was exposed, when, and by which subject (a published place
or zone, as a zone warning does, or "a case"), never at which venue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedJSONField, EncryptedTextField


class VenueKind(models.TextChoices):
    MARKET = "market", _("Market")
    SHOP = "shop", _("Shop")
    RESTAURANT = "restaurant", _("Restaurant or café")
    OFFICE = "office", _("Office")
    SCHOOL = "school", _("School")
    HEALTH = "health_facility", _("Health facility")
    TRANSPORT = "transport", _("Transport (bus, train, boat)")
    EVENT = "event", _("Event")
    OTHER = "other", _("Other")


class VenueStatus(models.TextChoices):
    PENDING = "pending", _("Not yet verified")
    VERIFIED = "verified", _("Verified")
    SUSPENDED = "suspended", _("Suspended")


class Venue(models.Model):
    """A place people check in at. Its name, kind and address are printed on its poster (they
    are public); the contact phone is the operator's and is encrypted."""

    code = models.CharField(max_length=12)  # unique: Meta (no LIKE index: codes are matched exactly)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=VenueKind.choices)
    # Indexed by venue_ward_status, which starts with it.
    ward = models.ForeignKey("places.Ward", on_delete=models.PROTECT, related_name="venues", db_index=False)
    street = models.CharField(max_length=300)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    contact_phone = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=VenueStatus.choices, default=VenueStatus.PENDING)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="venues"
    )
    org_unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="venues")
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code"], name="venue_code_unique")]
        indexes = [models.Index(fields=["ward", "status"], name="venue_ward_status")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class CheckInVia(models.TextChoices):
    SCAN = "scan", _("QR code scanned")
    CODE = "code", _("Code typed")
    SMS = "sms", _("SMS")
    OFFLINE = "offline", _("Sent after the connection returned")


class CheckIn(models.Model):
    """One person at one venue at `at`. The venue is sealed: `venue_index` (a keyed blind index
    of its id, for matching) and `venue_sealed` (its id, encrypted, for the person's own list).
    Kept `VENUE_CHECKIN_KEEP_DAYS` (21) days, then erased by the retention job — on PostgreSQL
    with its whole day, the table being partitioned by `day` (partitions.py, migration 0003)."""

    # Indexed by checkin_person_at, which starts with it.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="checkins", db_index=False
    )
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    venue_index = models.CharField(max_length=64)
    venue_sealed = EncryptedTextField()
    at = models.DateTimeField()
    # The local day of `at`: the daily counts and, on PostgreSQL, the day partitions read it.
    day = models.DateField()
    via = models.CharField(max_length=10, choices=CheckInVia.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The exposure job: everyone at a venue during a window (one range scan per venue).
            models.Index(fields=["venue_index", "at"], name="checkin_venue_at"),
            # The citizen's list and the repeat check.
            models.Index(fields=["person", "at"], name="checkin_person_at"),
            models.Index(fields=["at"], name="checkin_at"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk}"


class RunKind(models.TextChoices):
    PLACE = "place", _("Place with a time window")
    ZONE = "zone", _("Epidemic zone")
    CASE = "case", _("A case was at the venue")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class VenueExposureRun(models.Model):
    """The warning job of one subject over the venues it covers, during its window.

    `subject` is unique ("place-version:12", "zone-version:5", "case-visit:3"): publishing the
    same version twice starts no second run. Matching is one INSERT … SELECT per venue, each
    committed with `venues_matched`; the warnings follow in batches of exposures not yet warned,
    so a killed run resumes where it was.
    `venue_ids` is sealed: a case's run covers one venue, and its exposures name the run — in
    clear, the two would say where everyone warned (and the case) had been.
    """

    subject = models.CharField(max_length=60)  # unique: Meta (no LIKE index: matched exactly)
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    label = models.CharField(max_length=300)  # what the warning names: the published place or zone, or "a case"
    # Read only by the job and to count them, never filtered in SQL. NULL only in a row written
    # before migration 0004 and not yet sealed (migration 0006 seals the last of them).
    venue_ids = EncryptedJSONField(default=list, null=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    # How many of `venue_ids`, in their order, are matched (the run stays pending until all are):
    # each venue's match commits with it, so a killed run resumes with the next venue. A count,
    # not a venue id, so that the venues stay sealed.
    venues_matched = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    warned = models.PositiveIntegerField(default=0)
    raised = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject"], name="venue_run_subject_unique")]
        indexes = [models.Index(fields=["status", "updated_at"], name="venue_run_unfinished")]

    def __str__(self) -> str:
        return f"venue exposure run {self.subject}"


class VenueExposure(models.Model):
    """A person was checked in at a venue during a run's window: warned once and re-assessed.

    `exposure` is the risk engine's exposure code and `on` the local day of the check-in: the
    assessment reads this table as an exposure source (monitoring/sources.py). The venue is
    sealed as in `CheckIn`: `venue_sealed` (its id, encrypted) for the person's own pages. No
    blind index: nothing looks exposures up or groups them by venue (a run may cover many
    venues, so the run alone does not say which one)."""

    # Indexed by venue_exposure_once (run, person), which starts with it.
    run = models.ForeignKey(VenueExposureRun, on_delete=models.CASCADE, related_name="exposures", db_index=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="venue_exposures")
    # NULL only in a row written before migration 0004 and not yet sealed (migration 0006 seals
    # the last of them; NOT NULL is not added afterwards: it would scan the table under lock).
    venue_sealed = EncryptedTextField(null=True)
    checked_in_at = models.DateTimeField()
    on = models.DateField()
    exposure = models.CharField(max_length=30, default="venue_exposure")
    warned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "person"], name="venue_exposure_once")]
        indexes = [
            models.Index(fields=["run", "warned_at"], name="venue_exposure_pending"),
        ]  # person: the foreign key's own index

    def __str__(self) -> str:
        return f"venue exposure {self.pk}"


class CaseVisit(models.Model):
    """An official recorded that a case (F0) was at a venue during a period: the subject of a
    run that warns everyone checked in there meanwhile.

    The venue is sealed (`venue_sealed`, as in `CheckIn`): the run copies the venue when the visit
    is recorded (sealed too) and nothing reads it back, while `case_person` stays a foreign key —
    the job leaves the case out of their own run in SQL and erasure deletes the person's visits.
    A dump says that a case's visit was recorded and when, never where."""

    case_person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    # NULL only in a row written before migration 0004 and not yet sealed (as VenueExposure's).
    venue_sealed = EncryptedTextField(null=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="case_visit_order")]

    def __str__(self) -> str:
        return f"case visit {self.pk}"
