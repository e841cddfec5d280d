"""Contact tracing (truy vết): who an F0 or F1 case was in contact with, and how."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ContactKind(models.TextChoices):
    """Kinds of contact, after the Ministry's 2021 wording of a close contact (DOMAIN.md §3)."""

    HOUSEHOLD = "household", _("Same household")
    WORKPLACE = "workplace", _("Same workplace or class")
    CLOSE = "close", _("Within 2 m or in a closed room for 15 minutes or more")
    UNMASKED = "unmasked", _("Unmasked within 2 m")
    CARE_WITHOUT_PPE = "care_without_ppe", _("Cared for the case without full protective equipment")
    OTHER = "other", _("Other contact")


class Contact(models.Model):
    """`person` was in contact with `source` on `contact_date`.

    `level` is the contact level this contact gave the person (F1 for a contact of an F0, F2
    for a contact of an F1) and `exposure` the risk-engine exposure code it stands for; the
    monitoring service reads these rows as facts at every re-assessment, so a later daily
    update cannot forget the contact.
    """

    # No index of its own: "contact_source_recent" (source, -registered_at) leads with it.
    source = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="traced_contacts", db_index=False
    )
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="traced_from")
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    contact_date = models.DateField()
    level = models.CharField(max_length=2)
    exposure = models.CharField(max_length=30)
    # How the person was found: "id_number", "phone", or "new" (a person created here).
    matched_by = models.CharField(max_length=10)
    invited = models.BooleanField(default=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "person"], name="contact_unique_per_source"),
            models.CheckConstraint(condition=~models.Q(source=models.F("person")), name="contact_not_self"),
        ]
        indexes = [models.Index(fields=["source", "-registered_at"], name="contact_source_recent")]

    def __str__(self) -> str:
        return f"{self.person_id} contact of {self.source_id} ({self.level})"
