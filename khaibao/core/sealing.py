"""Sealing health answers that were stored in clear (issue 18, docs/privacy.md "Sealed health data").

The migrations that introduced the sealed columns run these, online:

1. add the sealed column beside the clear one (instant);
2. `seal_copy`: copy every row's clear value into its sealed column, encrypted in Python, in
   keyset batches of one short transaction each — never a table rewrite under a lock, and an
   interrupted run resumes (rows already sealed are skipped);
3. `seal_copy(..., lock=True)` once more inside the swap migration, which then drops the clear
   column and gives the sealed one its name: writers wait only while the last few rows written
   since step 2 are copied.

`reseal_model` seals values that reached a sealed column in clear afterwards (a process of the
previous release still writing during a deploy): `manage.py seal_health_data`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection as default_db
from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from khaibao.core import crypto
from khaibao.core.fields import SealedField, is_token

Progress = Callable[[str], None]
# Rows per transaction when sealing (a module attribute, read at each call, so tests can shrink it).
BATCH = 2000


def dump_json(value: Any) -> str:
    if isinstance(value, (bytes, str)):
        value = json.loads(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_decimal(value: Any) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.1")))


def dump_text(value: Any) -> str:
    return str(value)


@dataclass(frozen=True)
class Column:
    clear: str
    sealed: str
    dump: Callable[[Any], str]


def seal_copy(
    connection: BaseDatabaseWrapper, *, table: str, columns: Sequence[Column], pk: str = "id", batch: int | None = None,
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None, lock: bool = False,
    progress: Progress | None = None,
) -> int:
    """Seal the clear `columns` of every row of `table` whose first sealed column is still NULL;
    returns how many rows were sealed. `extra(clear values by column) -> {column: value}` adds
    columns computed from the clear values (a declaration's travel index). With `lock`, writers
    of the table wait until the caller's transaction ends (PostgreSQL: EXCLUSIVE mode, readers go
    on), so that no row is written in clear after this pass."""
    quote = connection.ops.quote_name
    first = quote(columns[0].sealed)
    names = [c.clear for c in columns]
    batch = batch or BATCH
    key = quote(pk)
    select = ", ".join([key, *(quote(n) for n in names)])
    if lock and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {quote(table)} IN EXCLUSIVE MODE")
    done, last = 0, 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {select} FROM {quote(table)} WHERE {first} IS NULL AND {key} > %s ORDER BY {key} LIMIT %s",  # noqa: S608 - identifiers from the migration
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            updates = []
            for pk, *values in rows:
                clear = dict(zip(names, values, strict=True))
                sealed: dict[str, Any] = {
                    c.sealed: None if clear[c.clear] is None else crypto.encrypt(c.dump(clear[c.clear])) for c in columns
                }
                if extra is not None:
                    sealed |= extra(clear)
                updates.append((sealed, pk))
            assignments = ", ".join(f"{quote(name)} = %s" for name in updates[0][0])
            cursor.executemany(
                f"UPDATE {quote(table)} SET {assignments} WHERE {key} = %s AND {first} IS NULL",  # noqa: S608 - identifiers from the migration
                [[*values.values(), pk] for values, pk in updates],
            )
        done += len(rows)
        last = rows[-1][0]
        if progress is not None:
            progress(f"{table}: {done} rows sealed")


def sealed_models() -> list[tuple[type[models.Model], list[SealedField]]]:
    """Every concrete model with sealed columns, with those columns."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = [f for f in meta.local_concrete_fields if isinstance(f, SealedField)]
        if columns:
            found.append((model, columns))
    return sorted(found, key=lambda item: item[0]._meta.label)


def reseal_model(
    model: type[models.Model], columns: Sequence[SealedField], *, batch: int = 2000, dry_run: bool = False,
) -> int:
    """Seal the values of `columns` that are not Fernet tokens (written in clear by a process of
    the previous release); returns how many values were (or, with `dry_run`, would be) sealed.
    Each write is a compare-and-swap on the clear value, so a newer sealed value is never lost."""
    connection = default_db
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    count = 0
    for f in columns:
        column = quote(f.column)
        last: Any = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                after = "" if last is None else f" AND {pk} > %s"
                cursor.execute(
                    f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608 - names from model metadata
                    f" AND {column} NOT LIKE %s{after} ORDER BY {pk} LIMIT %s",
                    ["gAAAAA%", *([] if last is None else [last]), batch],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                values = [(row_pk, raw) for row_pk, raw in rows if isinstance(raw, str) and not is_token(raw)]
                count += len(values)
                if not dry_run:
                    cursor.executemany(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608 - names from model metadata
                        [[f.get_prep_value(f.from_db_value(raw, None, connection)), row_pk, raw] for row_pk, raw in values],
                    )
                last = rows[-1][0]
    return count
