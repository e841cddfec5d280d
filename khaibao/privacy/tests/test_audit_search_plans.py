"""The DPO's search of a large trail by actor name and by date reads an index, never the whole
trail (PostgreSQL plans; review "scale" #7: 0.8 s and 0.45 s at 5M events, past the web
statement timeout at 100M)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.privacy.audit_trail import AuditFilters, audit_events_all, audit_events_search

pytestmark = pytest.mark.postgres_only

EVENTS = 300_000  # over a year, 5,000 actors


@pytest.fixture
def long_trail(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO audit_auditevent (at, actor_id, actor_label, action, object_type, object_id, person_id,
                                          reason, ip, data, prev_hash, hash)
            SELECT now() - interval '365 days' + g * (interval '365 days' / %(n)s), NULL, 'user' || (g %% 5000),
                   (ARRAY['person.case_view', 'list.triage', 'auth.sign_in', 'export.create'])[1 + g %% 4],
                   '', '', NULL, '', '', '{}'::jsonb, '', NULL
            FROM generate_series(1, %(n)s) AS g
            """,
            {"n": EVENTS},
        )
        cursor.execute("ANALYZE audit_auditevent")


def _plans(run: Any) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        run()
    plans = []
    for q in ctx.captured_queries:
        if 'FROM "audit_auditevent"' not in q["sql"]:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + q["sql"])
            plans.append("\n".join(r[0] for r in cursor.fetchall()))
    assert plans
    return plans


def _no_scan_of_the_trail(plan: str) -> None:
    assert "Seq Scan on audit_auditevent" not in plan, plan
    # the former plan of a date search: the primary key walked backwards, every newer event filtered out
    assert "Index Scan Backward using audit_auditevent_pkey" not in plan, plan


def test_it_finds_an_actor_by_name_through_an_index(long_trail: None, world: Any) -> None:
    for plan in _plans(lambda: audit_events_search(user=world.dpo, filters=AuditFilters(actor="user777"))):
        _no_scan_of_the_trail(plan)
        assert "audit_actor_label" in plan, plan


def test_it_finds_a_day_long_ago_through_an_index(long_trail: None, world: Any) -> None:
    day = timezone.localdate() - timedelta(days=200)
    filters = AuditFilters(date_from=day, date_to=day)
    for plan in _plans(lambda: audit_events_search(user=world.dpo, filters=filters)):
        _no_scan_of_the_trail(plan)
    # the export's count before it starts (privacy.audit_trail: one export holds a bounded number)
    for plan in _plans(lambda: list(audit_events_all(user=world.dpo, filters=filters, batch=5000))):
        assert "Seq Scan on audit_auditevent" not in plan, plan
