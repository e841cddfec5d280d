"""Contact tracing (truy vết): who an F0 or F1 case was in contact with, and how."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khaibao.core.fields import EncryptedTextField


class ContactKind(models.TextChoices):
    """Kinds of contact, after the Ministry's 2021 wording of a close contact (DOMAIN.md §3)."""

    HOUSEHOLD = "household", _("Same household")
    WORKPLACE = "workplace", _("Same workplace or class")
    CLOSE = "close", _("Within 2 m or in a closed room for 15 minutes or more")
    UNMASKED = "unmasked", _("Unmasked within 2 m")
    CARE_WITHOUT_PPE = "care_without_ppe", _("Cared for the case without full protective equipment")
    OTHER = "other", _("Other contact")


class InvitationStatus(models.TextChoices):
    """What became of the SMS asking a traced contact to declare (tracing/invitations.py)."""

    NONE = "none", _("Not invited: no phone number")
    QUEUED = "queued", _("SMS waiting to be sent")
    SENT = "sent", _("SMS sent")
    FAILED = "failed", _("SMS not sent yet, will retry")
    GAVE_UP = "gave_up", _("SMS could not be sent: reach them another way")


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
    # The invitation SMS's state; the outbox row (ContactInvitation) exists while it is pending.
    invitation_status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.NONE
    )
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

    @property
    def invited(self) -> bool:
        """The invitation SMS left for the gateway (not merely queued)."""
        return self.invitation_status == InvitationStatus.SENT


class ContactInvitation(models.Model):
    """The outbox of a traced contact's invitation SMS, while it is waiting or retrying.

    Written with the contact (one transaction), so a gateway failure or a process killed after
    the commit cannot lose it; sent by `invitations.invitation_send` (first on commit, then by
    the worker and its sweep), and deleted once the SMS is sent or given up — the phone it was
    for is then kept nowhere but on the person. The status is the contact's
    (`Contact.invitation_status`), the one place the console and the API read it.
    """

    contact = models.OneToOneField(Contact, primary_key=True, on_delete=models.CASCADE, related_name="invitation")
    # The phone the official gave (or the person's, when none was): encrypted like every phone.
    phone = EncryptedTextField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The sweep looks for invitations whose time has come (every row here is pending).
        indexes = [models.Index(fields=["next_attempt_at"], name="contact_invitation_due")]

    def __str__(self) -> str:
        return f"invitation of contact {self.contact_id} ({self.attempts} attempts)"
