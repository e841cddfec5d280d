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
