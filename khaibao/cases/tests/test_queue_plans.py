"""The triage queue's plans at a realistic row count (PostgreSQL): each jurisdiction's first page
is a range scan of its own index, never a scan of the whole status table.

These plans are why the status table needs no single-column index on home_ward_id or
home_province_id (monitoring migration 0010): the queue indexes lead with those columns.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

PEOPLE = 60_000  # 1 in 10 in the queue, spread over every ward of the two provinces

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def crowded(world: Any) -> Any:
    """The named world plus PEOPLE generated residents of Hà Nội and TP.HCM with their statuses."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH wards AS (
                SELECT code, province_id, row_number() OVER (ORDER BY code) - 1 AS n, count(*) OVER () AS total
                FROM places_ward WHERE province_id IN (%(hanoi)s, %(hcmc)s)
            )
            INSERT INTO people_person (full_name, birth_year, sex, id_number, phone, phone_index, street,
                                       created_at, updated_at, home_ward_id, nationality_id)
            SELECT 'Cư dân ' || g, 1950 + g %% 60, 'female', '', '', '', '', now(), now(), w.code, 'VN'
            FROM generate_series(1, %(people)s) AS g
            JOIN wards w ON w.n = g %% w.total
            """,
            {"hanoi": world.hanoi.pk, "hcmc": world.hcmc.pk, "people": PEOPLE},
        )
        cursor.execute(
            """
            INSERT INTO monitoring_personstatus (person_id, level, reasons, recommendations, ruleset_version, priority,
                needs_attention, is_f0, contact_level, in_queue, missed_days, queue_rank, queue_since,
                home_ward_id, home_province_id)
            SELECT p.id, 'medium', '[]', '[]', '2026.1', 0, false, false, '', random() < 0.1, 0, (random() * 7)::int,
                   now() - (p.id %% 1000) * interval '1 minute', p.home_ward_id, w.province_id
            FROM people_person p JOIN places_ward w ON w.code = p.home_ward_id
            WHERE p.full_name LIKE %(generated)s
            """,
            {"generated": "Cư dân %"},
        )
        cursor.execute("ANALYZE people_person, monitoring_personstatus")
    return world


def _first_page_plan(api: Any, official: Any) -> str:
    client = api.as_(official)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/triage")
    assert resp.status_code == 200, resp.content
    assert len(resp.json()["items"]) > 0
    (sql,) = [q["sql"] for q in ctx.captured_queries if 'FROM "monitoring_personstatus"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("official", "index"),
    [("ward_official", "status_queue_ward"), ("province", "status_queue_province"), ("national", "status_queue_national")],
)
def test_each_jurisdiction_reads_its_first_page_from_its_queue_index(crowded: Any, api: Any, official: str, index: str) -> None:
    plan = _first_page_plan(api, getattr(crowded, official))
    # An index scan, or a bitmap scan of the few queued rows of a ward, both through `index`.
    assert f"Scan using {index}" in plan or f"Bitmap Index Scan on {index}" in plan, plan
    assert "Seq Scan on monitoring_personstatus" not in plan, plan


def test_the_status_table_has_no_index_the_queue_indexes_already_lead_with(db: Any) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "monitoring_personstatus")
    columns = [c["columns"] for c in constraints.values() if c["index"]]
    assert ["home_ward_id"] not in columns
    assert ["home_province_id"] not in columns
    assert ["home_ward_id", "in_queue", "queue_rank", "queue_since", "person_id"] in columns
    assert ["home_province_id", "in_queue", "queue_rank", "queue_since", "person_id"] in columns
