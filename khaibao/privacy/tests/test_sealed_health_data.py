"""Sealed health data (issue 18): existing rows are sealed by the migrations, values a process of
the previous release wrote in clear are sealed by `manage.py seal_health_data`, and every reader
gets the answers back."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.core import sealing
from khaibao.declarations.models import Declaration
from khaibao.declarations.travel import travel_index, ward_key
from khaibao.monitoring.models import Assessment, DailyUpdate, PersonStatus
from khaibao.people.models import Person
from khaibao.places.models import Ward

BEFORE = [("declarations", "0002_drop_redundant_indexes"), ("monitoring", "0010_drop_redundant_status_indexes")]


def latest() -> list[tuple[str, str]]:
    """Every app up to its latest migration: the ORM reads the rows afterwards, and the tests that
    run after this one in the same process need the whole schema (a hard-coded "latest" went stale
    when monitoring 0018 added columns, and later browser tests failed on them)."""
    executor = MigrationExecutor(connection)
    return list(executor.loader.graph.leaf_nodes())


def raw(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_seals_rows_written_before_the_migration(monkeypatch):
    migrate(BEFORE)
    ward = Ward.objects.order_by("code").first()
    assert ward is not None
    people = [Person.objects.create(full_name=f"P{i}", birth_year=1980, sex="female", home_ward=ward) for i in range(5)]
    today = timezone.localdate()
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    for i, person in enumerate(people):
        answers = {"symptoms": [{"code": "cough", "onset": str(today)}], "conditions": ["diabetes"], "pregnant": True,
                   "travel": [{"ward_code": ward.code, "province_code": ward.province.code, "country": None,
                               "from": str(today - timedelta(days=2)), "to": str(today)}]}
        raw(
            "INSERT INTO declarations_declaration (person_id, version, kind, declared_as, questionnaire_version,"  # noqa: S608 - literals of the test
            f" consent_version, commitment, consent, answers, created_at) VALUES (%s, 1, 'universal', 'self', 'q', 'c',"
            f" TRUE, TRUE, %s{json_cast}, %s)",
            [person.pk, json.dumps(answers), timezone.now()],
        )
        raw(
            "INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_as, created_at,"  # noqa: S608 - literals of the test
            f" updated_at) VALUES (%s, %s, %s{json_cast}, %s, %s, 'self', %s, %s)",
            [person.pk, today, json.dumps(["fever"] if i % 2 else []), Decimal("38.4") if i % 2 else None,
             "unwell" if i % 2 else "well", timezone.now(), timezone.now()],
        )
        raw(
            "INSERT INTO monitoring_personstatus (person_id, level, reasons, recommendations, ruleset_version, priority,"  # noqa: S608 - literals of the test
            " needs_attention, is_f0, contact_level, in_queue, queue_rank, missed_days)"
            f" VALUES (%s, 'medium', %s{json_cast}, %s{json_cast}, '2026.1', 1200, FALSE, FALSE, '', FALSE, 0, 0)",
            [person.pk, json.dumps(["medium.symptoms_only"]), json.dumps(["self_monitor"])],
        )
        raw(
            "INSERT INTO monitoring_assessment (person_id, source, level, engine_level, level_kept, reasons,"  # noqa: S608 - literals of the test
            " recommendations, ruleset_version, monitoring_days, priority, created_at)"
            f" VALUES (%s, 'declaration', 'medium', 'medium', FALSE, %s{json_cast}, %s{json_cast}, '2026.1', 14, 1200, %s)",
            [person.pk, json.dumps(["medium.symptoms_only"]), json.dumps(["self_monitor"]), timezone.now()],
        )
    # Batches of two rows: the keyset walk must cross three of them per table to seal all five.
    monkeypatch.setattr(sealing, "BATCH", 2)
    migrate(latest())

    for table, columns in (("declarations_declaration", "answers"), ("monitoring_dailyupdate", "symptoms, feeling"),
                           ("monitoring_assessment", "reasons"), ("monitoring_personstatus", "reasons")):
        for row in raw(f"SELECT {columns} FROM {table}", []):  # noqa: S608 - the test's own names
            assert all(str(v).startswith("gAAAAA") for v in row), (table, row)
    assert not raw("SELECT 1 FROM monitoring_dailyupdate WHERE temperature IS NOT NULL AND temperature NOT LIKE %s",
                   ["gAAAAA%"])

    declaration = Declaration.objects.get(person=people[0])
    assert declaration.answers["conditions"] == ["diabetes"]
    assert declaration.answers["pregnant"] is True
    assert declaration.travel_index == travel_index(declaration.answers)
    assert ward_key(ward.code) in declaration.travel_index
    updates = {u.person_id: u for u in DailyUpdate.objects.all()}
    assert (updates[people[1].pk].symptoms, updates[people[1].pk].temperature, updates[people[1].pk].feeling) == (
        ["fever"], Decimal("38.4"), "unwell"
    )
    assert (updates[people[0].pk].symptoms, updates[people[0].pk].temperature, updates[people[0].pk].feeling) == (
        [], None, "well"
    )
    assert PersonStatus.objects.get(pk=people[2].pk).reasons == ["medium.symptoms_only"]
    assert Assessment.objects.filter(person=people[3]).get().reasons == ["medium.symptoms_only"]


def seal(*args: str) -> str:
    out = StringIO()
    call_command("seal_health_data", *args, stdout=out)
    return out.getvalue()


def test_it_seals_what_an_older_process_wrote_in_clear(world, api):
    today = timezone.localdate()
    lan = api.as_(world.lan)
    resp = lan.put(f"/people/{world.lan_self.pk}/updates/{today}", {"symptoms": ["cough"], "temperature": 38.2, "feeling": "unwell"})
    assert resp.status_code == 201, resp.content
    assert "0 health answers in clear (none)" in seal("--check")

    # A process of the previous release writes the day's feeling and symptoms in clear.
    raw("UPDATE monitoring_dailyupdate SET feeling = 'well', symptoms = %s WHERE person_id = %s", ['["fever"]', world.lan_self.pk])
    update = DailyUpdate.objects.get(person=world.lan_self)
    assert (update.symptoms, update.feeling, update.temperature) == (["fever"], "well", Decimal("38.2"))  # still readable
    with pytest.raises(CommandError, match="in clear remain"):
        seal("--check")

    assert "Sealed 2 health answers" in seal()
    stored = raw("SELECT symptoms, feeling, temperature FROM monitoring_dailyupdate WHERE person_id = %s", [world.lan_self.pk])
    assert all(v.startswith("gAAAAA") for v in stored[0])
    update = DailyUpdate.objects.get(person=world.lan_self)
    assert (update.symptoms, update.feeling, update.temperature) == (["fever"], "well", Decimal("38.2"))
    assert AuditEvent.objects.filter(action="keys.seal").count() == 1
    assert "Sealed 0 health answers" in seal()


def test_it_serialises_the_answers_not_their_tokens(world, api):
    # dumpdata / loaddata and serialized_rollback go through the serialisers.
    today = timezone.localdate()
    resp = api.as_(world.lan).put(f"/people/{world.lan_self.pk}/updates/{today}",
                                  {"symptoms": ["cough"], "temperature": 38.2, "feeling": "unwell"})
    assert resp.status_code == 201, resp.content
    update = DailyUpdate.objects.get(person=world.lan_self)
    text = serializers.serialize("json", [update])
    assert '"symptoms": ["cough"]' in text
    assert "gAAAAA" not in text
    DailyUpdate.objects.all().delete()
    for obj in serializers.deserialize("json", text):
        obj.save()
    again = DailyUpdate.objects.get(person=world.lan_self)
    assert (again.symptoms, again.temperature, again.feeling) == (["cough"], Decimal("38.2"), "unwell")
