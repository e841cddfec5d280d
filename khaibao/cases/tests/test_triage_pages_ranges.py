"""The triage queue's pages after a cursor are ranges of the queue index (review "scale" #1).

The same rows in the same order as one OR-ed keyset condition, ties of rank and waiting time
included (SQLite and PostgreSQL); on PostgreSQL a deep page reads no row before its cursor.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.cases.triage import _cursor_encode, triage_queue
from khaibao.monitoring.models import PersonStatus
from khaibao.people.models import Person


def _queue_with_ties(world: Any, people: int) -> None:
    """`people` queued residents of Hoàn Kiếm: 3 ranks × 4 waiting times, so most rows tie on both."""
    start = timezone.now() - timedelta(hours=1)
    created = Person.objects.bulk_create(
        Person(full_name=f"Cư dân {i}", birth_year=1970, sex="female", home_ward=world.hoan_kiem)
        for i in range(people)
    )
    PersonStatus.objects.bulk_create(
        PersonStatus(
            person=p, level="medium", home_ward=world.hoan_kiem, home_province=world.hanoi, in_queue=True,
            queue_rank=i % 3, queue_since=start + timedelta(minutes=(i // 3) % 4),
        )
        for i, p in enumerate(created)
    )


def _walk(official: Any, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = triage_queue(official, cursor=cursor, limit=limit, audited=False)
        seen += [row.status.person_id for row in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def _or_cursor_pages(official: Any, limit: int) -> list[int]:
    """The pages as the former single OR-ed keyset condition gave them."""
    qs = PersonStatus.objects.filter(in_queue=True, home_ward=official.scope_ward_id)
    ordered = qs.order_by("-queue_rank", "queue_since", "person_id")
    seen: list[int] = []
    last: PersonStatus | None = None
    while True:
        page_qs = ordered
        if last is not None:
            rank, since, pid = last.queue_rank, last.queue_since, last.person_id
            page_qs = ordered.filter(
                Q(queue_rank__lt=rank) | Q(queue_rank=rank, queue_since__gt=since)
                | Q(queue_rank=rank, queue_since=since, person_id__gt=pid)
            )
        page = list(page_qs[: limit + 1])
        seen += [s.person_id for s in page[:limit]]
        if len(page) <= limit:
            return seen
        last = page[limit - 1]


@pytest.mark.parametrize("limit", [1, 2, 5, 7])
def test_it_pages_through_ties_as_the_single_keyset_condition_did(world: Any, limit: int) -> None:
    _queue_with_ties(world, 30)
    official = world.ward_official  # Hoàn Kiếm: the 30 residents and nobody else queued
    expected = _or_cursor_pages(official, limit)
    assert len(expected) == len(set(expected)) == 30
    assert _walk(official, limit) == expected
    assert _walk(world.national, limit) == list(
        PersonStatus.objects.filter(in_queue=True).order_by("-queue_rank", "queue_since", "person_id")
        .values_list("person_id", flat=True)
    )


def test_it_never_shows_a_row_twice_when_its_rank_changes_between_the_ranges(world: Any, monkeypatch: Any) -> None:
    _queue_with_ties(world, 12)
    official = world.ward_official
    first = triage_queue(official, limit=2, audited=False)
    # the third row moves down a rank once the page's first range was read: the second range
    # would find it again
    third = _or_cursor_pages(official, 12)[2]
    real_filter = type(PersonStatus.objects.all()).filter
    calls = {"n": 0}

    def filter_then_move(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], Q) and "queue_rank__lt" in str(args[0]):
            calls["n"] += 1
            PersonStatus.objects.filter(person_id=third).update(queue_rank=0)
        return real_filter(self, *args, **kwargs)

    monkeypatch.setattr(type(PersonStatus.objects.all()), "filter", filter_then_move)
    page = triage_queue(official, cursor=first.next_cursor, limit=6, audited=False)
    ids = [row.status.person_id for row in page.items]
    assert len(ids) == len(set(ids))


_REMOVED = re.compile(r"Rows Removed by Filter: (\d+)")


@pytest.mark.postgres_only
@pytest.mark.parametrize("official", ["national", "province"])
def test_a_deep_page_reads_no_row_before_its_cursor(world: Any, official: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO people_person (full_name, birth_year, sex, id_number, phone, phone_index, street,
                                       created_at, updated_at, home_ward_id, nationality_id)
            SELECT 'Cư dân ' || g, 1970, 'female', '', '', '', '', now(), now(), %(ward)s, 'VN'
            FROM generate_series(1, 20000) AS g
            """,
            {"ward": world.hoan_kiem.pk},
        )
        # A quarter queued; 4 ranks × 200 waiting times, so ties of both are ~6 rows each.
        cursor.execute(
            """
            INSERT INTO monitoring_personstatus (person_id, level, reasons, recommendations, ruleset_version, priority,
                needs_attention, is_f0, contact_level, in_queue, missed_days, queue_rank, queue_since,
                home_ward_id, home_province_id)
            SELECT p.id, 'medium', '[]', '[]', '2026.1', 0, false, false, '', p.id %% 4 = 0, 0, (p.id / 4) %% 4,
                   now() - ((p.id / 16) %% 200) * interval '1 minute', p.home_ward_id, %(province)s
            FROM people_person p WHERE p.full_name LIKE %(generated)s
            """,
            {"province": world.hanoi.pk, "generated": "Cư dân %"},
        )
        cursor.execute("ANALYZE people_person, monitoring_personstatus")
    queue = list(
        PersonStatus.objects.filter(in_queue=True).order_by("-queue_rank", "queue_since", "person_id")
        .values_list("queue_rank", "queue_since", "person_id")
    )
    assert len(queue) > 4500
    limit = 100
    for row in (4000, 1240):  # deep inside a rank, and near a rank's end (the next rank's range too)
        rank, since, person_id = queue[row - 1]
        assert since is not None
        with CaptureQueriesContext(connection) as ctx:
            page = triage_queue(getattr(world, official), cursor=_cursor_encode(rank, since, person_id),
                                limit=limit, audited=False)
        assert [r.status.person_id for r in page.items] == [q[2] for q in queue[row: row + limit]]
        statements = [q["sql"] for q in ctx.captured_queries if 'FROM "monitoring_personstatus"' in q["sql"]]
        assert 1 <= len(statements) <= 3
        for sql in statements:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
                plan = "\n".join(r[0] for r in cursor.fetchall())
            # An index or bitmap scan of a queue index (every queued row is of Hà Nội: the
            # province's page may read the national one), bounded by the cursor.
            assert re.search(r"Index Scan (using|on) status_queue_", plan), plan
            assert "Index Cond" in plan, plan
            assert "Seq Scan on monitoring_personstatus" not in plan, plan
            assert all(int(n) <= limit + 1 for n in _REMOVED.findall(plan)), plan
