from __future__ import annotations

from django.db import models


class PassCode(models.Model):
    """A short code a checkpoint can type when the QR cannot be scanned (issue 3 §6).

    The signed token is ~230 characters — fine for a camera, impossible to type. The short code
    is random (50 bits), answers until the latest pass shown with it expires, and is looked up on the server, which then
    answers from the person's status at that moment: colour, initials and expiry, nothing else.
    """

    code = models.CharField(max_length=10, unique=True)
    # No index of its own: "passcode_person_latest" (person, -expires_at) leads with it.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="pass_codes", db_index=False
    )
    created_at = models.DateTimeField()
    # The row's own life (48 h: services.CODE_LIFETIME), kept for look-up and retention only.
    expires_at = models.DateTimeField(db_index=True)
    # The expiry (Unix seconds, as a token's `exp`) of the latest pass shown with this code
    # (services.pass_issue_with_code): the typed code is refused after it, as the QR beside it is.
    # None: a code made before the stamp existed (migration 0004), answered until `expires_at`.
    pass_exp = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["person", "-expires_at"], name="passcode_person_latest")]

    def __str__(self) -> str:
        return f"pass code of {self.person_id}"
