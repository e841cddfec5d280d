from __future__ import annotations

from django.db import models
from django.utils import timezone

from khaibao.core.fields import EncryptedBinaryField


class IdempotencyRecord(models.Model):
    """The stored response to a create request, replayed when the same key comes again.

    `owner` scopes keys to the caller (an account, or an anonymous client) so one caller's key
    can never replay another's response.
    """

    owner = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    # A replayed create response names the person (phone, ID number, street): encrypted.
    body = EncryptedBinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
