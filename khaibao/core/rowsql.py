"""Single-table statements for the hot paths, written once per shape and reused.

Django's ORM builds and compiles every query to SQL on every call: about 0.3–0.5 ms of CPU per
statement, more than PostgreSQL needs to run it (bench/RESULTS.md, "Hot path"). The daily
update, the status read and the bearer-token check run a few fixed single-table statements
for every request of a country's morning. Here each statement's SQL is built once per
(model, columns, condition) and cached; values still go through the model fields' own
conversions — `get_db_prep_save` on the way in, the backend's and the field's converters on the
way out — so encrypted fields, JSON, decimals, booleans and SQLite's datetimes come back exactly
as the ORM would return them, and rows read here are ordinary model instances.

Conditions are SQL written in the calling module (a literal such as ``"person_id = %s"``) with
the values always passed as parameters, never formatted in: every parameter that takes SQL text is
a `LiteralString` (PEP 675), and `make lint` refuses a call that passes anything but literals (or
a `LiteralString` handed down by the caller's own caller) there — an f-string of user data
included (scripts/mypy_literal_sql.py). Use the ORM everywhere else: this module is for
statements measured to matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Final, LiteralString, TypeVar, cast

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)
Converter = tuple[Callable[[Any, Any, Any], Any], Any]  # (function, column expression)
Statement = tuple[str, list[Any]]  # (sql, params): built here from the models' identifiers


def _fields(model: type[models.Model], columns: Sequence[str] | None) -> list[models.Field]:
    concrete = model._meta.concrete_fields
    if columns is None:
        return list(concrete)
    by_name = {f.attname: f for f in concrete} | {f.name: f for f in concrete}
    try:
        return [by_name[c] for c in columns]
    except KeyError as exc:
        raise ValueError(f"{model.__name__} has no column {exc.args[0]!r}") from None


@dataclass(frozen=True)
class JsonRows:
    """For `fetch_with`: the `columns` (attnames) of the rows of `model` whose `match` column
    (a foreign key's name) points at the fetched row, as JSON text ``[[value, …], …]`` in
    primary-key order — one correlated subquery, so that a row's children come with it."""

    model: type[models.Model]
    columns: tuple[str, ...]
    match: str


def _json_rows(rows: JsonRows, outer: type[models.Model], quote: Callable[[str], str]) -> str:
    meta = rows.model._meta
    values = ", ".join(f"c.{quote(f.column)}" for f in _fields(rows.model, rows.columns))
    match = quote(_fields(rows.model, (rows.match,))[0].column)
    parent = f"{quote(outer._meta.db_table)}.{quote(outer._meta.pk.column)}"
    return (
        f"(SELECT COALESCE(json_agg(json_build_array({values}) ORDER BY c.{quote(meta.pk.column)}), '[]')::text"  # noqa: S608 — identifiers from the models
        f" FROM {quote(meta.db_table)} c WHERE c.{match} = {parent})"
    )


@cache
def _select(
    model: type[models.Model], columns: tuple[str, ...] | None, where: str, suffix: str, alias: str,
    extra: tuple[str | JsonRows, ...] = (),
) -> tuple[str, list[str], list[list[Converter]]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    fields = _fields(model, columns)
    expressions = [e if isinstance(e, str) else _json_rows(e, model, quote) for e in extra]
    names = ", ".join([*(f"{quote(table)}.{quote(f.column)}" for f in fields), *expressions])
    sql = f"SELECT {names} FROM {quote(table)} WHERE {where}"  # noqa: S608 — identifiers from the model, values are parameters
    if suffix:
        sql += " " + suffix
    converters = []
    for field in fields:
        col = field.get_col(table)
        # Django's converters take the column expression (SQLite's decimals read its precision).
        chain = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        converters.append([(convert, col) for convert in chain])
    return sql, [f.attname for f in fields], converters


def _row_to_instance(
    model: type[M], alias: str, attnames: list[str], converters: list[list[Converter]], row: Sequence[Any]
) -> M:
    connection = connections[alias]
    values = list(row)
    for i, chain in enumerate(converters):
        for convert, col in chain:
            values[i] = convert(values[i], col, connection)
    return model.from_db(alias, attnames, values)


def fetch(
    model: type[M],
    where: LiteralString,
    params: Sequence[Any],
    *,
    columns: Sequence[str] | None = None,
    for_update: bool = False,
    order_by: LiteralString = "",
) -> M | None:
    """The first row of `model` matching `where` (SQL with %s placeholders), or None.

    `columns` (attnames) limits what is read; the others are deferred, as with `.only()`.
    `for_update` locks the row where the database can (PostgreSQL), and reads the primary.
    `order_by` (SQL, e.g. ``"at DESC, id DESC"``) says which row is first.
    """
    alias = router.db_for_write(model) if for_update else router.db_for_read(model)
    connection = connections[alias]
    lock = for_update and connection.features.has_select_for_update
    suffix = (f"ORDER BY {order_by} " if order_by else "") + ("LIMIT 1 FOR UPDATE" if lock else "LIMIT 1")
    sql, attnames, converters = _select(model, tuple(columns) if columns is not None else None, where, suffix, alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        row = cursor.fetchone()
    return None if row is None else _row_to_instance(model, alias, attnames, converters, row)


def fetch_with(
    model: type[M], extra: Sequence[LiteralString | JsonRows], where: LiteralString, params: Sequence[Any], *,
    for_update: bool = False,
) -> tuple[M, tuple[Any, ...]] | None:
    """The first row of `model` matching `where`, plus the values of the `extra` SQL expressions
    read by the same statement (e.g. correlated subqueries over the row's children, or
    `JsonRows`: PostgreSQL), unconverted; None when nothing matches. The table is referred to by
    its name in `extra` and `where`.

    `params` fill the placeholders of `extra` first, then those of `where`.
    """
    alias = router.db_for_write(model) if for_update else router.db_for_read(model)
    connection = connections[alias]
    lock = for_update and connection.features.has_select_for_update
    sql, attnames, converters = _select(
        model, None, where, "LIMIT 1 FOR UPDATE" if lock else "LIMIT 1", alias, tuple(extra)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(attnames)
    return _row_to_instance(model, alias, attnames, converters, row[:split]), tuple(row[split:])


@cache
def _select_joined(
    model: type[models.Model], relation: str, extra: tuple[str | JsonRows, ...], where: str, alias: str,
    related_columns: tuple[str, ...] | None, lock: bool = False, guard: str = "",
) -> tuple[str, models.ForeignKey, list[str], list[list[Converter]], list[str], list[list[Converter]]]:
    quote = connections[alias].ops.quote_name
    fk = cast(models.ForeignKey, model._meta.get_field(relation))
    target = cast(type[models.Model], fk.related_model)
    _sql, own_names, own_conv = _select(model, None, "1 = 1", "", alias)
    _sql, rel_names, rel_conv = _select(target, related_columns, "1 = 1", "", alias)
    table, related = quote(model._meta.db_table), quote(target._meta.db_table)
    # The model's columns, the extra expressions, then the related row's columns.
    names = ", ".join([
        *(f"{table}.{quote(f.column)}" for f in model._meta.concrete_fields),
        *(e if isinstance(e, str) else _json_rows(e, model, quote) for e in extra),
        *(f"{related}.{quote(f.column)}" for f in _fields(target, related_columns)),
    ])
    # The guard (a query of the caller's) is one more table of the join: no row of it, no row.
    head, tail = (f"WITH guard AS ({guard}) ", ", guard") if guard else ("", "")
    sql = (
        f"{head}SELECT {names} FROM {table} JOIN {related}"  # noqa: S608 — identifiers from the models
        f" ON {related}.{quote(target._meta.pk.column)} = {table}.{quote(fk.column)}{tail} WHERE {where} LIMIT 1"
    )
    if lock:
        # Only the model's row: the related one (e.g. a person) is read, not locked.
        sql += f" FOR UPDATE OF {table}"
    return sql, fk, own_names, own_conv, rel_names, rel_conv


def fetch_with_related(
    model: type[M], relation: str, extra: Sequence[LiteralString | JsonRows], where: LiteralString, params: Sequence[Any], *,
    related_columns: Sequence[str] | None = None, for_update: bool = False, guard: Statement | None = None,
    primary: bool = False,
) -> tuple[M, tuple[Any, ...]] | None:
    """`fetch_with`, plus the row the foreign key `relation` points to, joined in the same
    statement and cached on the instance (as `select_related(relation)`); `related_columns`
    (attnames) limits what is read of it, the others deferred (as with `.only()`). Both tables are
    referred to by their names in `extra` and `where`; None when nothing matches.

    `for_update` locks the model's row (not the related one) and reads the primary; `primary` reads
    the primary without a lock (an `extra` expression that may write). `guard` (a
    query and its parameters, e.g. an access check: people.access `household_declaring_sql`) is
    run in the same statement as ``WITH guard AS (…)`` and joined: nothing matches when it has no
    row, and `extra` may name its columns (``guard.declared_as``). Parameters: the guard's first,
    then `params` (those of `extra`, then those of `where`)."""
    alias = router.db_for_write(model) if for_update or primary else router.db_for_read(model)
    connection = connections[alias]
    lock = for_update and connection.features.has_select_for_update_of
    sql, fk, own_names, own_conv, rel_names, rel_conv = _select_joined(
        model, relation, tuple(extra), where, alias, tuple(related_columns) if related_columns is not None else None,
        lock, guard[0] if guard is not None else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(guard[1] if guard is not None else ()), *params])
        row = cursor.fetchone()
    if row is None:
        return None
    own, split = len(own_names), len(own_names) + len(extra)
    instance = _row_to_instance(model, alias, own_names, own_conv, row[:own])
    related = _row_to_instance(cast(type[models.Model], fk.related_model), alias, rel_names, rel_conv, row[split:])
    fk.set_cached_value(instance, related)
    return instance, tuple(row[own:split])


def fetch_all_with(
    model: type[M], extra: Sequence[LiteralString | JsonRows], where: LiteralString, params: Sequence[Any], *,
    order_by: LiteralString, for_update: bool = False,
) -> list[tuple[M, tuple[Any, ...]]]:
    """`fetch_with` for every row matching `where`, in `order_by` order (locks are taken in that
    order: batches that lock the same rows never deadlock)."""
    alias = router.db_for_write(model) if for_update else router.db_for_read(model)
    connection = connections[alias]
    lock = for_update and connection.features.has_select_for_update
    suffix = f"ORDER BY {order_by}" + (" FOR UPDATE" if lock else "")
    sql, attnames, converters = _select(model, None, where, suffix, alias, tuple(extra))
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    split = len(attnames)
    return [(_row_to_instance(model, alias, attnames, converters, row[:split]), tuple(row[split:])) for row in rows]


def fetch_values(
    model: type[models.Model], columns: Sequence[str], where: LiteralString, params: Sequence[Any], *,
    suffix: LiteralString = "",
) -> list[tuple[Any, ...]]:
    """The `columns` of every row of `model` matching `where`, as converted tuples (as
    `values_list`): for reads that need no model instances."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, _attnames, converters = _select(model, tuple(columns), where, suffix, alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    if not any(converters):
        return [tuple(row) for row in rows]
    converted = []
    for row in rows:
        values = list(row)
        for i, chain in enumerate(converters):
            for convert, col in chain:
                values[i] = convert(values[i], col, connection)
        converted.append(tuple(values))
    return converted


@cache
def _select_related(
    model: type[models.Model], relation: str, where: str, alias: str
) -> tuple[str, models.ForeignKey, list[str], list[list[Converter]], list[str], list[list[Converter]]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    fk = cast(models.ForeignKey, model._meta.get_field(relation))
    target = cast(type[models.Model], fk.related_model)
    _sql, own_names, own_conv = _select(model, None, "1 = 1", "", alias)
    _sql, rel_names, rel_conv = _select(target, None, "1 = 1", "", alias)
    own_cols = ", ".join(f"a.{quote(f.column)}" for f in model._meta.concrete_fields)
    rel_cols = ", ".join(f"b.{quote(f.column)}" for f in target._meta.concrete_fields)
    sql = (
        f"SELECT {own_cols}, {rel_cols} FROM {quote(model._meta.db_table)} a"  # noqa: S608 — identifiers from the models
        f" JOIN {quote(target._meta.db_table)} b ON b.{quote(target._meta.pk.column)} = a.{quote(fk.column)}"
        f" WHERE {where} LIMIT 1"
    )
    return sql, fk, own_names, own_conv, rel_names, rel_conv


def fetch_related(
    model: type[M], relation: str, where: LiteralString, params: Sequence[Any], *, with_: LiteralString = "",
    with_params: Sequence[Any] = (),
) -> M | None:
    """The first row of `model` matching `where`, with the row its foreign key `relation` points
    to read by the same statement (as `select_related(relation)`); None when nothing matches.

    In `where`, `model`'s table is ``a`` and the related one ``b`` (``"a.token_hash = %s"``).
    `with_` is a WITH clause to run in the same statement (PostgreSQL: e.g. a conditional
    ``UPDATE``), with its own parameters; it sees the rows as they were before the statement.
    """
    alias = router.db_for_write(model) if with_ else router.db_for_read(model)
    connection = connections[alias]
    sql, fk, own_names, own_conv, rel_names, rel_conv = _select_related(model, relation, where, alias)
    if with_:
        sql = f"{with_} {sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*with_params, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(own_names)
    instance = _row_to_instance(model, alias, own_names, own_conv, row[:split])
    related = _row_to_instance(cast(type[models.Model], fk.related_model), alias, rel_names, rel_conv, row[split:])
    fk.set_cached_value(instance, related)
    return instance


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
    every input (tests/test_rowsql_saver.py), with a shortcut for the common ones."""
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
    target = ", ".join(quote(f.column) for f in _fields(model, conflict))
    sets = ", ".join(f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in _fields(model, replace))
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
    fields = _fields(model, columns)
    table = quote(meta.db_table)
    assignments = ", ".join(
        [*(f"{quote(_fields(model, (name,))[0].column)} = {sql}" for name, sql in expressions),
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
