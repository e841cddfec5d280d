"""Key rotation for data encrypted or indexed in the application (docs/decisions/0004).

* `reencrypt_model`: re-encrypts every encrypted column of one model under the first key of
  `FIELD_ENCRYPTION_KEYS`, online. Rows already under that key are left alone, so an
  interrupted run simply resumes, and a second run writes nothing. Each write is a
  compare-and-swap on the old token: a row that the application changed meanwhile (and so
  already wrote under the first key) is never overwritten with an older value.
* `reindex`: recomputes a blind index under the current `BLIND_INDEX_KEY` from the decrypted
  values. HMAC indexes cannot be "re-keyed" without the value, and lookups use one key only, so
  this needs the application stopped (docs/operations.md). The indexes are
  `settings.BLIND_INDEXES`: each app registers its own in khaibao/wiring.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from khaibao.core import crypto
from khaibao.core.fields import ENCRYPTED_FIELD_TYPES

Progress = Callable[[str], None]


def encrypted_models() -> list[tuple[type[models.Model], list[models.Field[Any, Any]]]]:
    """Every concrete model with at least one encrypted column, with those columns."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = [f for f in meta.local_concrete_fields if isinstance(f, ENCRYPTED_FIELD_TYPES)]
        if columns:
            found.append((model, columns))
    return sorted(found, key=lambda item: item[0]._meta.label)


@dataclass
class RotationCount:
    label: str
    rows: int = 0
    values: int = 0
    current: int = 0
    rotated: int = 0
    # Written by the application between our read and our write: already under the new key.
    changed_meanwhile: int = 0
    # No configured key opens these: never written, reported so no old key is dropped.
    unreadable: list[str] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return self.values - self.current


def _token(raw: Any) -> bytes:
    return raw.encode() if isinstance(raw, str) else bytes(raw)


def _as_column(token: bytes, f: models.Field[Any, Any]) -> Any:
    return token if isinstance(f, models.BinaryField) else token.decode()


def _batches(model: type[models.Model], columns: list[models.Field[Any, Any]], batch: int) -> Iterator[list[tuple[Any, ...]]]:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    select = ", ".join(quote(c) for c in [pk.column, *(f.column for f in columns)])
    base = f"SELECT {select} FROM {quote(model._meta.db_table)}"  # noqa: S608 - names come from model metadata
    order = f"ORDER BY {quote(pk.column)} LIMIT %s"
    cursor_pk: Any = None
    while True:
        with connection.cursor() as cursor:
            if cursor_pk is None:
                cursor.execute(f"{base} {order}", [batch])
            else:
                cursor.execute(f"{base} WHERE {quote(pk.column)} > %s {order}", [cursor_pk, batch])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        cursor_pk = rows[-1][0]


def reencrypt_model(
    model: type[models.Model],
    columns: list[models.Field[Any, Any]],
    *,
    batch: int = 500,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RotationCount:
    """Re-encrypt `columns` of every row of `model` under the first configured key.

    Each batch is one short transaction; a value is written only after the new token was
    shown to decrypt to the same bytes, and only if the row still holds the token we read.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_column = quote(model._meta.pk.column)  # type: ignore[union-attr]
    count = RotationCount(label=model._meta.label)
    total = model._default_manager.count()
    for rows in _batches(model, columns, batch):
        with transaction.atomic():
            for row in rows:
                pk, raw_values = row[0], row[1:]
                for f, raw in zip(columns, raw_values, strict=True):
                    if raw is None:
                        continue
                    token = _token(raw)
                    if not token:
                        continue
                    count.values += 1
                    if crypto.is_current(token):
                        count.current += 1
                        continue
                    try:
                        fresh = crypto.rotate_bytes(token)
                    except ValueError:
                        count.unreadable.append(f"{model._meta.label}.{f.name} pk={pk}")
                        continue
                    if dry_run:
                        continue
                    column = quote(f.column)
                    with connection.cursor() as cursor:
                        cursor.execute(
                            f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s AND {column} = %s",  # noqa: S608 - names come from model metadata
                            [_as_column(fresh, f), pk, _as_column(token, f)],
                        )
                        if cursor.rowcount == 1:
                            count.rotated += 1
                        else:
                            count.changed_meanwhile += 1
        count.rows += len(rows)
        if progress is not None:
            verb = "need re-encryption" if dry_run else "re-encrypted"
            done = count.pending - len(count.unreadable) if dry_run else count.rotated
            progress(f"{count.label}: {count.rows}/{total} rows checked, {done} values {verb}")
    return count


@dataclass(frozen=True)
class BlindIndex:
    """One stored blind-index column and how to recompute it: an entry of
    `settings.BLIND_INDEXES`, which each app fills in khaibao/wiring.py."""

    model: str  # "app_label.Model"
    index_field: str
    # The value indexed, decrypted by its field; it may be read across a foreign key
    # ("person__phone").
    source_field: str
    function: str  # dotted path: value -> index
    empty: Any  # what the index holds when the source is empty
    # For an index of a value that the source may no longer hold (it changed since): the stored
    # index of the source ("person__phone_index"). Where the index equals it, or already is the
    # source's index under the current key, it is recomputed from the source; elsewhere the value
    # it indexed is kept nowhere, and it is set to `empty`. Such entries run first, while that
    # other column still holds the index under the old key (`blind_indexes`).
    same_as: str = ""


def blind_indexes() -> tuple[BlindIndex, ...]:
    """Every stored blind index (`settings.BLIND_INDEXES`), in the order a re-index takes: the
    entries compared with another stored index before the others."""
    specs = [BlindIndex(*entry) for entry in settings.BLIND_INDEXES]
    return tuple(sorted(specs, key=lambda spec: not spec.same_as))


@dataclass
class ReindexCount:
    label: str
    rows: int = 0
    changed: int = 0
    # Of `changed`: indexes set to empty, the value they indexed being kept nowhere (`same_as`).
    cleared: int = 0


def _value(row: models.Model, path: str) -> Any:
    value: Any = row
    for name in path.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def reindex(
    spec: BlindIndex, *, batch: int = 500, dry_run: bool = False, progress: Progress | None = None
) -> ReindexCount:
    """Recompute `spec`'s index for every row under the current BLIND_INDEX_KEY."""
    model = apps.get_model(spec.model)
    compute: Callable[[Any], Any] = import_string(spec.function)
    count = ReindexCount(label=f"{spec.model}.{spec.index_field}")
    paths = [spec.source_field, *([spec.same_as] if spec.same_as else [])]
    related = sorted({path.rsplit("__", 1)[0] for path in paths if "__" in path})
    rows_of = model._default_manager.only("pk", spec.index_field, *paths)
    if related:  # (select_related() without names would follow every foreign key)
        rows_of = rows_of.select_related(*related)
    total = model._default_manager.count()
    last: Any = 0
    while True:
        with transaction.atomic():
            rows = list(rows_of.filter(pk__gt=last).order_by("pk")[:batch])
            if not rows:
                return count
            changed = []
            for row in rows:
                source = _value(row, spec.source_field)
                wanted = compute(source) if source else spec.empty
                stored = getattr(row, spec.index_field)
                if spec.same_as and stored != wanted and stored != _value(row, spec.same_as):
                    # Not the index of the source's value: of one the source no longer holds.
                    wanted = spec.empty
                    if stored != wanted:
                        count.cleared += 1
                if stored != wanted:
                    setattr(row, spec.index_field, wanted)
                    changed.append(row)
            if changed and not dry_run:
                model._default_manager.bulk_update(changed, [spec.index_field])
        count.rows += len(rows)
        count.changed += len(changed)
        last = rows[-1].pk
        if progress is not None:
            verb = "would change" if dry_run else "recomputed"
            cleared = f" ({count.cleared} of them cleared: their value is kept nowhere)" if count.cleared else ""
            progress(f"{count.label}: {count.rows}/{total} rows checked, {count.changed} {verb}{cleared}")


def expire_pending_codes() -> int:
    """One-time codes are found by a blind index of the phone: after a re-index, codes sent
    under the old key can never match, so they are closed rather than left to confuse."""
    challenge = apps.get_model("accounts.OtpChallenge")
    return int(challenge.objects.filter(consumed_at__isnull=True).update(consumed_at=timezone.now()))
