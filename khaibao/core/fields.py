from __future__ import annotations

from typing import Any

from django.db import models

from khaibao.core import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted in the application; the database only ever sees Fernet tokens.

    Not searchable: pair it with a blind-index column where exact lookups are needed.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))


class EncryptedBinaryField(models.BinaryField):
    """Bytes encrypted in the application (e.g. a stored API response that names a person)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        if value is None:
            return None
        token = bytes(value)
        return crypto.decrypt_bytes(token) if token else b""

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is not None and not prepared and len(value):
            value = crypto.encrypt_bytes(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)


# Every field class whose column holds Fernet tokens: `manage.py rotate_keys` re-encrypts them all.
ENCRYPTED_FIELD_TYPES: tuple[type[models.Field[Any, Any]], ...] = (EncryptedTextField, EncryptedBinaryField)
