"""Lists of people seen (audit/lists.py): one event per page, found again by person."""

from __future__ import annotations

import pytest
from django.db import connection

from khaibao.audit.lists import PEOPLE_MAX, audit_list_shown, listed_q
from khaibao.audit.models import AuditEvent


def test_it_writes_one_event_per_page_with_the_ids_once(db):
    events = audit_list_shown(actor="system", action="list.triage", person_ids=[3, 1, 3, None, 2], filters={"level": "high", "ward": None})
    assert len(events) == 1
    event = AuditEvent.objects.get(pk=events[0].pk)
    assert event.data == {"filters": {"level": "high"}, "people": [3, 1, 2], "count": 3}


def test_it_writes_a_long_export_in_parts(db):
    events = audit_list_shown(actor="system", action="list.export", person_ids=range(1, PEOPLE_MAX + 3))
    assert [e.data["count"] for e in events] == [PEOPLE_MAX, 2]
    assert [(e.data["part"], e.data["parts"]) for e in events] == [(1, 2), (2, 2)]


def test_it_refuses_an_action_that_is_not_a_list(db):
    with pytest.raises(ValueError, match="not a list action"):
        audit_list_shown(actor="system", action="person.view", person_ids=[1])


def test_it_finds_the_lists_a_person_was_shown_in(db):
    audit_list_shown(actor="system", action="list.triage", person_ids=[10, 11])
    audit_list_shown(actor="system", action="list.contacts", person_ids=[110])
    audit_list_shown(actor="system", action="list.reports", person_ids=[])
    found = AuditEvent.objects.filter(listed_q(11))
    assert [e.action for e in found] == ["list.triage"]
    assert not AuditEvent.objects.filter(listed_q(1)).exists()  # 1 is not 10, 11 or 110
    assert [e.action for e in AuditEvent.objects.filter(listed_q(110))] == ["list.contacts"]


@pytest.mark.postgres_only
def test_the_search_by_person_can_use_the_gin_index(db):
    audit_list_shown(actor="system", action="list.triage", person_ids=[10, 11])
    sql, params = AuditEvent.objects.filter(listed_q(11)).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'audit_list_people_gin'")
        assert cursor.fetchone()[0] == 1
        # A tiny table: the planner would read it whole; forbid that to see the index is usable.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_list_people_gin" in plan, plan
