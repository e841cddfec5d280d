"""Reads of `core.rowsql`: one row or a few, with their related rows, as model instances the ORM
would return (the package's docstring says why)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, LiteralString, cast

from django.db import connections, models, router

from khaibao.core.rowsql.shapes import Converter, M, Statement, model_fields


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
    values = ", ".join(f"c.{quote(f.column)}" for f in model_fields(rows.model, rows.columns))
    match = quote(model_fields(rows.model, (rows.match,))[0].column)
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
    fields = model_fields(model, columns)
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
        *(f"{related}.{quote(f.column)}" for f in model_fields(target, related_columns)),
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
