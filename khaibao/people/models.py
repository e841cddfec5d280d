from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class Relation(models.TextChoices):
    SELF = "self", _("Self")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class ConsentMethod(models.TextChoices):
    CODE = "code", _("One-time code to their phone")
    WITNESSED = "witnessed", _("Witnessed verbal consent")
    # Registered, code sent, not yet confirmed: the delegation gives no access yet.
    PENDING_CODE = "pending_code", _("Waiting for the code")
    # Delegations recorded before the method was stored (set by people migration 0007); no
    # service writes it. Named, so that only a method someone recorded counts as consent.
    LEGACY = "legacy", _("Recorded before consent methods were stored")


# The consent methods under which a delegation gives access — the one list people/access.py,
# the limits and the volunteer's page read. A delegation without a method ("", which no service
# writes) gives none.
CONSENTED = (ConsentMethod.CODE, ConsentMethod.WITNESSED, ConsentMethod.LEGACY)


class Person(models.Model):
    """Someone whose health is declared — not necessarily someone who signs in.

    ID number, phone and street are encrypted; `*_index` columns are HMAC blind indexes for
    exact matching (deduplication by ID number, matching by phone).
    """

    full_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    nationality = models.ForeignKey("places.Country", on_delete=models.PROTECT, related_name="+", default="VN")
    id_number = EncryptedTextField(blank=True, default="")
    # Not unique: a number another household already registered is accepted and handed to the
    # officials' review (`IdNumberReview`), so adding a person never tells who is registered.
    id_number_index = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    phone = EncryptedTextField(blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # No index of its own: the named index "person_home_ward" below is the same index.
    home_ward = models.ForeignKey(
        "places.Ward", on_delete=models.PROTECT, related_name="residents", db_index=False
    )
    street = EncryptedTextField(blank=True, default="")
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["home_ward"], name="person_home_ward")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def initials(self) -> str:
        return "".join(part[0].upper() for part in self.full_name.split() if part)


class HouseholdMembership(models.Model):
    """A person in an account's household — the people that account declares for."""

    # No index of its own: the unique (owner, person) constraint leads with it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="household", db_index=False
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="households")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "person"], name="household_unique_person"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(relation="self"), name="household_one_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.relation}) of {self.owner}"


class Delegation(models.Model):
    """A volunteer's permission to declare for an assisted person, given with their consent.

    Access lasts while the delegation is active (`ended_at` empty).
    """

    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations")
    # When consent was given; while the delegation is `pending_code`, when its last consent code
    # was sent (the registration lapses from it: people.limits.pending_consent_lapse).
    consent_recorded_at = models.DateTimeField(default=timezone.now)
    # How the assisted person agreed: a one-time code to their own phone ("code"), or verbal
    # consent witnessed and attested by the volunteer ("witnessed"); "legacy" for older rows.
    # No default: a row created without a method is not consented (CONSENTED).
    consent_method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    consent_witness = models.CharField(max_length=100, blank=True, default="")
    # The blind index of the phone the consent code was last sent to: a code given back proves
    # that phone's holder agreed, and only that phone's first sign-in may take the person over
    # (volunteers.assisted_link_on_sign_in). Empty for witnessed consent and older rows, and after a
    # blind-index rotation where the person's phone had changed since the code (kept nowhere).
    consent_phone_index = models.CharField(max_length=64, blank=True, default="")
    consent_attested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "person"], condition=Q(ended_at__isnull=True), name="delegation_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} assists {self.person}"


class VolunteerAppointment(models.Model):
    """A citizen made a volunteer by an organisation admin (for a unit of their subtree) or a
    ward health official (for their ward), until `expires_at` or revocation.

    people.access counts a volunteer's delegations only while an appointment is active, so
    expiry ends access without any job having to run.
    """

    # No index of its own: "volunteer_appt_active" (account, expires_at) leads with it.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments", db_index=False
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ward = models.ForeignKey("places.Ward", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How many people the volunteer may assist at once under this appointment (set by whoever
    # appoints; VOLUNTEER_MAX_ASSISTED by default). With several appointments, the largest counts.
    max_assisted = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["account", "expires_at"], name="volunteer_appt_active")]

    def __str__(self) -> str:
        return f"volunteer {self.account_id} until {self.expires_at:%Y-%m-%d}"

    def is_active(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.starts_at <= now < self.expires_at


def active_appointments_q(now: Any = None, *, prefix: str = "") -> Q:
    """Appointments in force at `now` (`prefix` e.g. "appointments__" from Account)."""
    now = now or timezone.now()
    return Q(**{
        f"{prefix}revoked_at__isnull": True, f"{prefix}starts_at__lte": now, f"{prefix}expires_at__gt": now,
    })


class IdNumberReviewOutcome(models.TextChoices):
    SAME_PERSON = "same_person", _("The same person, registered twice")
    DIFFERENT_PEOPLE = "different_people", _("Different people: one number is wrong")
    CORRECTED = "corrected", _("The number was corrected")


class IdNumberReview(models.Model):
    """A person registered with an ID number another person already holds (issue 18, item 4).

    The citizen who added them is answered as for any other person (no registration oracle); the
    duplicate waits here for the officials of the person's home ward, who settle it.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="id_number_reviews")
    # The earliest other holder of the number when the duplicate was registered.
    holder = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=IdNumberReviewOutcome.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="id_review_open")]

    def __str__(self) -> str:
        return f"ID number review {self.pk} (person {self.person_id})"


class HouseholdLimit(models.Model):
    """A household allowed more people than HOUSEHOLD_MAX_PEOPLE, raised by a health official for a
    stated reason (issue 18, item 6) — a large family, a care home declared by its manager."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="household_limit")
    max_people = models.PositiveSmallIntegerField()
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    reason = EncryptedTextField(blank=True)

    def __str__(self) -> str:
        return f"household of account {self.owner_id}: up to {self.max_people}"
