"""Writes of `core.rowsql`: INSERT, upsert and UPDATE statements built once per shape, values through
the model fields' own conversions (the package's docstring says why)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, Final, LiteralString, cast

from django.db import connections, models, router

from khaibao.core.rowsql.shapes import M, Statement, model_fields


def param(model: type[models.Model], attname: str, value: Any) -> Any:
    """`value` as the database takes it for `model`'s column `attname` (for hand-written
    statements: e.g. SQLite stores aware datetimes as naive UTC text)."""
    field = cast(models.Field, model._meta.get_field(attname))
    return field.get_db_prep_save(value, connections[router.db_for_write(model)])


# Field classes (exactly these: a subclass such as a sealed field converts its own way) whose
# `get_db_prep_save` hands a value of the given type on unchanged — the hot writes convert ~50
# values a request, each through Django's chain of calls (get_db_prep_save → get_db_prep_value →
# get_prep_value → to_python): `_saver` takes the shortcut for those, the chain for anything else.
_AS_IS: Final[dict[type[models.Field], tuple[type, ...]]] = {
    models.CharField: (str,), models.TextField: (str,), models.BooleanField: (bool,),
}
# Only where the backend takes dates and aware datetimes as they are (PostgreSQL; SQLite wants text).
_AS_IS_POSTGRESQL: Final[dict[type[models.Field], tuple[type, ...]]] = {
    models.DateField: (date,), models.DateTimeField: (datetime,),
}
_INTEGERS: Final = (
    models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
    models.PositiveSmallIntegerField, models.PositiveBigIntegerField,
)
_AUTO: Final = (models.AutoField, models.BigAutoField, models.SmallAutoField)


@cache
def _saver(field: models.Field, alias: str) -> Callable[[Any], Any]:
    """`field.get_db_prep_save(value, connection)` for `alias`'s connection, the same value for
    every input (core/tests/test_rowsql.py), with a shortcut for the common ones."""
    connection = connections[alias]

    def chain(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    kind = type(field)
    same = _AS_IS.get(kind) or (_AS_IS_POSTGRESQL.get(kind) if connection.vendor == "postgresql" else None)
    if same is not None:
        exact = same[0]
        if exact is datetime:
            # An aware datetime only: a naive one is made aware (with a warning) by the chain.
            return lambda value: value if value is None or (type(value) is datetime and value.tzinfo is not None) else chain(value)
        return lambda value: value if value is None or type(value) is exact else chain(value)
    if kind in _INTEGERS:
        # get_prep_value gives the int back, the backend wraps it (psycopg: Int2/Int4/Int8).
        adapt, internal = connection.ops.adapt_integerfield_value, field.get_internal_type()
        return lambda value: adapt(value, internal) if type(value) is int else chain(value)
    if kind in _AUTO:
        validate = connection.ops.validate_autopk_value
        return lambda value: validate(value) if type(value) is int else chain(value)
    if kind is models.ForeignKey or kind is models.OneToOneField:
        target = _saver(cast(models.ForeignKey, field).target_field, alias)
        return lambda value: None if value is None else target(value) if type(value) is int else chain(value)
    return chain


@cache
def _insert(
    model: type[models.Model], alias: str, expressions: tuple[tuple[str, str], ...] = (), from_: str = ""
) -> tuple[str, list[models.Field]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    given = dict(expressions)
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    names = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(given.get(f.attname, "%s") for f in fields)
    # Identifiers from the model; expressions and `from_` from the caller's code (LiteralString).
    # One row per row of `from_` (another part of the same WITH statement): none when it has none.
    rows = f"SELECT {values} FROM {from_}" if from_ else f"VALUES ({values})"  # noqa: S608
    return f"INSERT INTO {quote(meta.db_table)} ({names}) {rows}", fields


def _params(
    instance: models.Model, fields: list[models.Field], expressions: Mapping[str, tuple[str, Sequence[Any]]],
    alias: str,
) -> list[Any]:
    params: list[Any] = []
    for field in fields:
        if field.attname in expressions:
            params.extend(expressions[field.attname][1])
        else:
            params.append(_saver(field, alias)(getattr(instance, field.attname)))
    return params


def insert_statement(
    instance: models.Model, expressions: Mapping[str, tuple[LiteralString, Sequence[Any]]] | None = None,
    *, from_: LiteralString = "", from_params: Sequence[Any] = (),
) -> Statement:
    """The INSERT of the new `instance` as (sql, params), without RETURNING (`create` adds it),
    also for a caller that writes several rows in one statement (PostgreSQL `WITH … INSERT`): `expressions` replace
    the value of some columns (attname → (SQL, its params)), e.g. the id another part of the
    statement inserts. With `from_` (another part of the statement) the row is inserted once per
    row of that part — not at all when it has none — and `expressions` may name its columns
    (e.g. one audit event per row another part inserted); `from_params` fill `from_`'s
    placeholders."""
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    expressions = expressions or {}
    sql, fields = _insert(model, alias, tuple(sorted((k, v[0]) for k, v in expressions.items())), from_)
    return sql, [*_params(instance, fields, expressions, alias), *from_params]


@cache
def _upsert(
    model: type[models.Model], alias: str, conflict: tuple[str, ...], replace: tuple[str, ...],
    expressions: tuple[tuple[str, str], ...] = (), from_: str = "",
) -> str:
    quote = connections[alias].ops.quote_name
    target = ", ".join(quote(f.column) for f in model_fields(model, conflict))
    sets = ", ".join(f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in model_fields(model, replace))
    insert = _insert(model, alias, expressions, from_)[0]
    return f"{insert} ON CONFLICT ({target}) DO UPDATE SET {sets}"


def upsert_statement(
    instance: models.Model, *, conflict: Sequence[str], replace: Sequence[str],
    expressions: Mapping[str, LiteralString] | None = None, from_: LiteralString = "",
) -> Statement:
    """The INSERT of the new `instance` that, when a row with the same `conflict` columns exists
    (a unique constraint), writes the `replace` columns of that row instead, as (sql, params),
    without RETURNING — one statement where `update_or_create` takes four (PostgreSQL; SQLite
    ≥ 3.24). A replaced row keeps every other column, its first `created_at` for instance.
    `expressions` and `from_` as for `insert_statement` (SQL without parameters)."""
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    given = tuple(sorted((expressions or {}).items()))
    _sql, fields = _insert(model, alias, given, from_)
    sql = _upsert(model, alias, tuple(conflict), tuple(replace), given, from_)
    named = dict(given)
    return sql, [_saver(f, alias)(getattr(instance, f.attname)) for f in fields if f.attname not in named]


def update_statement(
    instance: models.Model, columns: Iterable[str], *, expressions: Mapping[str, LiteralString] | None = None,
    from_: LiteralString = "",
) -> Statement:
    """The UPDATE of `columns` of `instance`'s row as (sql, params) (see `update`).

    `expressions` set other columns to SQL without parameters (attname → SQL), typically read
    from `from_`, another part of the same `WITH` statement.
    """
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    sql, fields = _update(model, tuple(columns), alias, tuple((expressions or {}).items()), from_)
    params = [_saver(f, alias)(getattr(instance, f.attname)) for f in fields]
    params.append(_saver(model._meta.pk, alias)(instance.pk))
    return sql, params


def create(instance: M) -> M:
    """Insert the new `instance` (built with the model's constructor, so defaults are applied)
    and set its primary key, as `save()` would for a new row — without signals or `pre_save`
    hooks such as ``auto_now``: give those values."""
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    sql, params = insert_statement(instance)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {connections[alias].ops.quote_name(model._meta.pk.column)}", params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = alias
    return instance


@cache
def _update(
    model: type[models.Model], columns: tuple[str, ...], alias: str,
    expressions: tuple[tuple[str, str], ...] = (), from_: str = "",
) -> tuple[str, list[models.Field]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = model_fields(model, columns)
    table = quote(meta.db_table)
    assignments = ", ".join(
        [*(f"{quote(model_fields(model, (name,))[0].column)} = {sql}" for name, sql in expressions),
         *(f"{quote(f.column)} = %s" for f in fields)]
    )
    source = f" FROM {from_}" if from_ else ""
    sql = f"UPDATE {table} SET {assignments}{source} WHERE {table}.{quote(meta.pk.column)} = %s"  # noqa: S608 — identifiers from the model
    return sql, fields


def update(instance: models.Model, columns: Iterable[str]) -> int:
    """Write `columns` (attnames) of `instance` to its row, as `save(update_fields=...)` would
    (without signals or `pre_save` hooks); returns the number of rows changed."""
    sql, params = update_statement(instance, columns)
    with connections[router.db_for_write(type(instance), instance=instance)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def update_many(instances: Sequence[models.Model], columns: Iterable[str]) -> None:
    """`update` of many rows of one model: the same UPDATE sent once per row with `executemany`
    (psycopg pipelines them). Django's `bulk_update` builds a CASE WHEN per row and column,
    which costs ~10 ms of Python per row of a wide table such as the status rows."""
    if not instances:
        return
    model = type(instances[0])
    alias = router.db_for_write(model, instance=instances[0])
    connection = connections[alias]
    sql, fields = _update(model, tuple(columns), alias)
    pk = model._meta.pk
    savers, pk_saver = [_saver(f, alias) for f in fields], _saver(pk, alias)
    rows = [
        [*(save(getattr(instance, f.attname)) for save, f in zip(savers, fields, strict=True)), pk_saver(instance.pk)]
        for instance in instances
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
