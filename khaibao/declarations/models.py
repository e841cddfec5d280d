from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedJSONField


class Kind(models.TextChoices):
    UNIVERSAL = "universal", _("Health declaration")
    RISK = "risk", _("Risk-factor declaration")


class DeclaredAs(models.TextChoices):
    SELF = "self", _("Themselves")
    HOUSEHOLD_OWNER = "household_owner", _("Household owner")
    VOLUNTEER = "volunteer", _("Volunteer")


class Declaration(models.Model):
    """One answered form: a universal declaration (khai báo y tế toàn dân) or a risk-factor
    declaration (khai báo yếu tố nguy cơ).

    Declaring again adds a row with the next `version`; the latest is current and the history
    stays. `answers` holds the normalised answers (codes and ISO dates only) so that later
    re-assessments (daily updates, new zones) can rebuild the risk engine's facts.

    The answers are sealed (issue 18, docs/privacy.md): the column holds a Fernet token. The one
    thing a query must find in them — whose travel went through a ward or province, for the zone
    warning job — is `travel_index`, keyed blind indexes of the places (declarations/travel.py).
    """

    # No index of its own: the unique (person, version) constraint leads with it.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="declarations", db_index=False
    )
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UNIVERSAL)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_as = models.CharField(max_length=20, choices=DeclaredAs.choices)
    questionnaire_version = models.CharField(max_length=20)
    consent_version = models.CharField(max_length=20)
    commitment = models.BooleanField()
    consent = models.BooleanField()
    answers = EncryptedJSONField(default=dict, null=True)
    # Blind indexes (HMAC under BLIND_INDEX_KEY) of the wards and provinces travelled through:
    # the zone warning job finds travellers by them without reading anyone's answers.
    travel_index = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index of every read by person: "latest first" is a backward scan of it, so no
            # separate (person, -version) index (migration 0002).
            models.UniqueConstraint(fields=["person", "version"], name="declaration_person_version"),
        ]
        # The statistics refresh reads the declarations written since its last run (stats/counting.py).
        indexes = [models.Index(fields=["created_at"], name="declaration_created")]

    def __str__(self) -> str:
        return f"{self.person_id} v{self.version} ({self.kind})"
