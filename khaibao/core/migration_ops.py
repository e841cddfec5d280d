"""Helpers for migrations that start encrypting a column which used to hold clear values."""

from __future__ import annotations

from typing import Any

from khaibao.core import crypto


def encrypt_existing(table: str, column: str, *, binary: bool = False) -> Any:
    """A RunPython function encrypting every clear value of `table.column` in place.

    Raw SQL on purpose: the historical model already carries the encrypted field, so reading
    through it would try to decrypt the clear values. A value that already decrypts is left
    alone, which makes the migration safe to re-run after a partial failure.
    """

    def forward(apps: Any, schema_editor: Any) -> None:
        conn = schema_editor.connection
        quote = conn.ops.quote_name
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT id, {quote(column)} FROM {quote(table)}")  # noqa: S608 - fixed names
            rows = cursor.fetchall()
        for pk, raw in rows:
            if raw is None:
                continue
            value = bytes(raw) if binary else str(raw).encode()
            if not value:
                continue
            try:
                crypto.decrypt_bytes(value)
                continue
            except ValueError:
                pass
            token = crypto.encrypt_bytes(value)
            with conn.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",  # noqa: S608 - fixed names
                    [token if binary else token.decode(), pk],
                )

    return forward

