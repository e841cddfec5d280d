from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from khaibao.core import crypto

# Every Fernet token starts with the version byte 0x80 and a 64-bit timestamp whose high bytes are
# zero for millennia: base64url "gAAAAA". A sealed column holding anything else is a value written
# before it was sealed (a row the sealing migration had not reached yet): docs/privacy.md.
_TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - not a secret: the prefix every Fernet token has


def is_token(value: str) -> bool:
    return value.startswith(_TOKEN_PREFIX)


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


class SealedField(models.TextField):
    """A health answer sealed in the application (issue 18): the value is serialised (`_dump`),
    then encrypted like `EncryptedTextField`, **always** — an empty list or "well" is sealed too,
    because whether someone reported anything is itself health data. Only NULL stays NULL.

    The column is text holding a Fernet token; nothing can be filtered or grouped on it in SQL:
    readers decrypt in Python (a field converter, so the ORM and core/rowsql return the value).
    A value that is not a token yet (written before the sealing migration reached its row) is
    read as it is; `manage.py seal_health_data` seals what is left.
    """

    # What the model attribute holds (django-stubs reads these): the value, not the token.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    # How a value becomes text and back: each concrete field below says it (EncryptedJSONField,
    # SealedTextField, EncryptedDecimalField); SealedField itself is never put on a model.
    def _dump(self, value: Any) -> str:
        raise NotImplementedError("a SealedField subclass defines _dump")

    def _load(self, text: str) -> Any:
        raise NotImplementedError("a SealedField subclass defines _load")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):  # a legacy JSON column read by a raw cursor
            return value
        return self._load(crypto.decrypt(value) if is_token(value) else value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return crypto.encrypt(self._dump(value))

    def value_to_string(self, obj: models.Model) -> Any:
        # Serialisers (dumpdata, serialized_rollback) carry the value itself, never the token.
        return self.value_from_object(obj)


class EncryptedJSONField(SealedField):
    """JSON (lists, dicts, codes, ISO dates) sealed: declaration answers, symptoms, reasons."""

    def _dump(self, value: Any) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))

    def _load(self, text: str) -> Any:
        return json.loads(text)


class SealedTextField(SealedField):
    """A short text answer sealed (how the person feels), choices and all."""

    def _dump(self, value: Any) -> str:
        return str(value)

    def _load(self, text: str) -> Any:
        return text


class EncryptedDecimalField(SealedField):
    """A decimal sealed (the measured temperature), given back as `Decimal`."""

    def __init__(self, *args: Any, decimal_places: int = 1, **kwargs: Any) -> None:
        self.decimal_places = decimal_places
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["decimal_places"] = self.decimal_places
        return name, path, args, kwargs

    def _dump(self, value: Any) -> str:
        return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-self.decimal_places)))

    def _load(self, text: str) -> Any:
        return Decimal(text)

    def to_python(self, value: Any) -> Any:
        return None if value is None else Decimal(str(value))

    def value_to_string(self, obj: models.Model) -> Any:
        value = self.value_from_object(obj)
        return None if value is None else str(value)


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
ENCRYPTED_FIELD_TYPES: tuple[type[models.Field[Any, Any]], ...] = (EncryptedTextField, SealedField, EncryptedBinaryField)
