"""Every index of the migrated schema earns its keep (PostgreSQL catalog).

Each index costs a write on every insert into its table, and declarations and pass codes are
hot paths; at 100M people a redundant one also costs gigabytes. Django adds one for every
ForeignKey, and for a CharField with db_index or unique a second "..._like" copy with
varchar_pattern_ops for LIKE 'abc%' lookups. This test fails, naming the index, when

1. a plain index (not unique, no WHERE, no expression) has columns that another non-partial
   index on the same table starts with, in the same operator classes: the other one serves
   every lookup it could;
2. a pattern-ops index exists for a column nobody searches by prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.postgres_only

# Columns searched by prefix, so their pattern-ops index is used.
PATTERN_OPS_ALLOWED = {
    ("orgs_orgunit", "path"),  # subtree queries: path__startswith
}


def excluded_tables() -> set[str]:
    """Tables whose indexes are Django's to decide, not ours: the automatic many-to-many tables
    (e.g. accounts_account_groups); auth_* and django_* are excluded by prefix in `indexes`."""
    return {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.auto_created}


@dataclass(frozen=True)
class Index:
    table: str
    name: str
    unique: bool
    partial: bool
    expression: bool
    columns: tuple[str, ...]
    opclasses: tuple[str, ...]
    descending: tuple[bool, ...]
    method: str


def indexes() -> list[Index]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL, x.indexprs IS NOT NULL,
                   array(SELECT coalesce(a.attname, '')
                         FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                         LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                         ORDER BY k.n),
                   array(SELECT o.opcname FROM unnest(x.indclass::oid[]) WITH ORDINALITY c(oid, n)
                         JOIN pg_opclass o ON o.oid = c.oid ORDER BY c.n),
                   array(SELECT (f.opt & 1) = 1 FROM unnest(x.indoption::int2[]) WITH ORDINALITY f(opt, n)
                         ORDER BY f.n),
                   am.amname
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace ns ON ns.oid = t.relnamespace
            JOIN pg_am am ON am.oid = i.relam
            -- A partition's indexes are copies of its parent's, checked once on the parent.
            WHERE ns.nspname = current_schema() AND t.relkind IN ('r', 'p') AND NOT t.relispartition
              -- Django's own tables (auth_*, django_session, django_migrations, ...) keep its indexes.
              AND t.relname NOT LIKE 'auth\\_%%' AND t.relname NOT LIKE 'django\\_%%'
            """
        )
        rows = cursor.fetchall()
    skip = excluded_tables()
    return [
        Index(table, name, unique, partial, expression, tuple(cols), tuple(ops), tuple(desc), method)
        for table, name, unique, partial, expression, cols, ops, desc, method in rows
        if table not in skip
    ]


def covered(index: Index, other: Index) -> bool:
    """Whether `other` serves every lookup and ordering `index` could."""
    n = len(index.columns)
    if other.name == index.name or other.table != index.table or other.method != index.method:
        return False
    if other.partial:  # serves only the rows its WHERE keeps
        return False
    if other.columns[:n] != index.columns or other.opclasses[:n] != index.opclasses:
        return False
    if n == 1:
        return True  # a b-tree is read in either direction
    directions = other.descending[:n]
    return directions == index.descending or directions == tuple(not d for d in index.descending)


def redundant(all_indexes: list[Index]) -> list[str]:
    found = []
    for index in all_indexes:
        if index.unique or index.partial or index.expression:
            continue
        by = [o.name for o in all_indexes if covered(index, o)]
        if by:
            found.append(f"{index.table}.{index.name} {index.columns} (covered by {', '.join(sorted(by))})")
    return sorted(found)


def pattern_ops(all_indexes: list[Index]) -> list[str]:
    return sorted(
        f"{index.table}.{index.name} {index.columns}"
        for index in all_indexes
        if any(op in ("varchar_pattern_ops", "text_pattern_ops") for op in index.opclasses)
        and not all((index.table, column) in PATTERN_OPS_ALLOWED for column in index.columns)
    )


def test_no_index_is_covered_by_another(db: None) -> None:
    found = redundant(indexes())
    assert not found, "redundant indexes:\n" + "\n".join(found)


def test_no_pattern_ops_index_on_a_column_matched_exactly(db: None) -> None:
    found = pattern_ops(indexes())
    assert not found, "pattern-ops indexes on columns matched exactly:\n" + "\n".join(found)


def test_the_catalog_query_sees_the_indexes_it_judges(db: None) -> None:
    # Guards the checks above against passing on an empty or misread catalog.
    found = {(i.table, i.name): i for i in indexes()}
    path = next(i for i in found.values() if i.table == "orgs_orgunit" and "pattern_ops" in i.opclasses[0])
    assert path.columns == ("path",)
    assert pattern_ops([path]) == []
    queue = found[("monitoring_personstatus", "status_queue_ward")]
    assert queue.columns[:3] == ("home_ward_id", "in_queue", "queue_rank")
    assert queue.descending[:3] == (False, False, True)
    lone = replace(queue, name="x", columns=queue.columns[:1], opclasses=queue.opclasses[:1])
    lone = replace(lone, descending=(False,))
    assert redundant([lone, queue]) == [
        "monitoring_personstatus.x ('home_ward_id',) (covered by status_queue_ward)"
    ]
    # A partial index covers nothing; a different direction on a later column is a different order.
    assert redundant([lone, replace(queue, partial=True)]) == []
    pair = replace(queue, name="y", columns=queue.columns[:3], opclasses=queue.opclasses[:3])
    pair = replace(pair, descending=(False, False, False))
    assert redundant([pair, queue]) == []
    assert not any(t.startswith(("auth_", "django_")) for t, _ in found)
