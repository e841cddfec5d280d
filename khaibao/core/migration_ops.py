"""Helpers for migrations: encrypting a column that held clear values, dropping redundant indexes."""

from __future__ import annotations

from typing import Any

from khaibao.core import crypto


def encrypt_existing(table: str, column: str, *, binary: bool = False, pk: str = "id") -> Any:
    """A RunPython function encrypting every clear value of `table.column` in place.

    Raw SQL on purpose: the historical model already carries the encrypted field, so reading
    through it would try to decrypt the clear values. A value that already decrypts is left
    alone, which makes the migration safe to re-run after a partial failure. `pk`: the table's
    primary-key column.
    """

    def forward(apps: Any, schema_editor: Any) -> None:
        conn = schema_editor.connection
        quote = conn.ops.quote_name
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT {quote(pk)}, {quote(column)} FROM {quote(table)}")  # noqa: S608 - fixed names
            rows = cursor.fetchall()
        for row_pk, raw in rows:
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
                    f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote(pk)} = %s",  # noqa: S608 - fixed names
                    [token if binary else token.decode(), row_pk],
                )

    return forward



# --- dropping redundant indexes (core/tests/test_indexes.py) ---------------------------------
# A foreign key's own index goes by a state change (the field's db_index=False, in the migration)
# plus a plain DROP INDEX, never by an AlterField alone: that would drop and re-add the foreign
# key and re-check every row of the table under lock.


def drop_indexes(indexes: tuple[tuple[str, str, str], ...]) -> list[Any]:
    """RunSQL operations dropping each (table, column, index), re-created on the way back.

    For `SeparateDatabaseAndState(database_operations=...)`; the same names exist on SQLite
    and PostgreSQL (Django derives them from the table and column)."""
    from django.db import migrations

    return [
        migrations.RunSQL(
            sql=f'DROP INDEX IF EXISTS "{index}"',
            reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")',
        )
        for table, column, index in indexes
    ]


def drop_pattern_indexes(indexes: tuple[tuple[str, str, str], ...]) -> Any:
    """A RunPython dropping the varchar_pattern_ops copies Django adds on PostgreSQL beside a
    CharField's index (for LIKE 'abc%'); SQLite never has them. Each is (table, column, index)."""
    from django.db import migrations

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for _table, _column, index in indexes:
                schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for table, column, index in indexes:
                schema_editor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}" varchar_pattern_ops)'
                )

    return migrations.RunPython(forward, backward)


def indexes_concurrently(indexes: tuple[tuple[str, str, str], ...]) -> Any:
    """A RunPython building each (table, columns, index) — `columns` as SQL, e.g. "created_at" — on
    PostgreSQL with CREATE INDEX CONCURRENTLY, so the table's writers are not held while it reads the
    table (the migration must say `atomic = False`); SQLite builds them as usual. An index a failed
    concurrent build left behind (invalid, under that name) is dropped first: IF NOT EXISTS would
    keep it, and the queries it is for would scan the table with nothing reported. Dropped on the
    way back."""
    from django.db import migrations

    def concurrently(schema_editor: Any) -> str:
        return "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""

    def forward(apps: Any, schema_editor: Any) -> None:
        for table, columns, index in indexes:
            schema_editor.execute(f'DROP INDEX {concurrently(schema_editor)}IF EXISTS "{index}"')
            schema_editor.execute(f'CREATE INDEX {concurrently(schema_editor)}"{index}" ON "{table}" ({columns})')

    def backward(apps: Any, schema_editor: Any) -> None:
        for _table, _columns, index in indexes:
            schema_editor.execute(f'DROP INDEX {concurrently(schema_editor)}IF EXISTS "{index}"')

    return migrations.RunPython(forward, backward, elidable=False)


def model_indexes_concurrently(app_label: str, model_name: str, indexes: list[Any]) -> Any:
    """`SeparateDatabaseAndState` adding `indexes` (Django `Index` objects, partial ones included)
    to `app_label.model_name`: the state as AddIndex would leave it; in the database each built as
    Django would write it, CONCURRENTLY on PostgreSQL (the migration must say `atomic = False`), an
    invalid leftover of a failed build dropped first. Dropped on the way back."""
    from django.db import migrations

    def drop(schema_editor: Any, name: str) -> None:
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f'DROP INDEX {concurrently}IF EXISTS "{name}"')

    def forward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        extra = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
        for index in indexes:
            drop(schema_editor, index.name)
            schema_editor.execute(index.create_sql(model, schema_editor, **extra))

    def backward(apps: Any, schema_editor: Any) -> None:
        for index in indexes:
            drop(schema_editor, index.name)

    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(forward, backward, elidable=False)],
        state_operations=[migrations.AddIndex(model_name=model_name.lower(), index=index) for index in indexes],
    )
