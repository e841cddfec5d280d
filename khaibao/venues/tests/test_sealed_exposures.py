"""Where someone was stays sealed after the check-in (docs/venues.md, "Sealed, short-lived, never
the venue's"): an exposure run leaves no venue in clear in the exposure, the run, the case's visit,
the audit event or the warning — while the person's status page, the officials' case page and
the assessment still say where and when. Rows written before the sealing are sealed by the
migrations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.monitoring.models import PersonStatus
from khaibao.notifications.models import Notification
from khaibao.people.models import Person
from khaibao.places.models import Ward
from khaibao.venues.models import CaseVisit, Venue, VenueExposure, VenueExposureRun
from khaibao.venues.selectors import exposures_of
from khaibao.venues.tasks import venue_exposure_run
from khaibao.venues.tests.test_case_visit_confirm import case_scene

TOKEN = "gAAAAA"


def raw(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall()) if cursor.description else []


def columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def raw_rows(table: str) -> list[dict[str, Any]]:
    names = columns(table)
    return [dict(zip(names, row, strict=True)) for row in raw(f"SELECT * FROM {table} ORDER BY id")]  # noqa: S608 - the test's own table names


def test_it_leaves_no_venue_in_clear_after_a_cases_run(world: Any, api: Any) -> None:
    official, venue, case_checkin = case_scene(world, api)
    at = case_checkin.at
    assert official.post(f"/staff/cases/{world.lan_self.pk}/checkins/{case_checkin.pk}/visit/", {"confirmed": "1"}).status_code == 302
    run = VenueExposureRun.objects.get(kind="case")
    assert venue_exposure_run.call(run.pk)["status"] == "done"

    # The raw rows: no venue column, the venue only as a token — in the exposure, the run (a
    # case's run covers one venue) and the case's visit (the case beside the venue).
    (exposure,) = raw_rows("venues_venueexposure")
    assert exposure["person_id"] == world.mai_self.pk
    assert "venue_id" not in exposure
    assert str(exposure["venue_sealed"]).startswith(TOKEN)
    (run_row,) = raw_rows("venues_venueexposurerun")
    assert str(run_row["venue_ids"]).startswith(TOKEN)
    (visit,) = raw_rows("venues_casevisit")
    assert "venue_id" not in visit
    assert str(visit["venue_sealed"]).startswith(TOKEN)
    event = AuditEvent.objects.get(action="venue.case_visit")
    assert str(venue.pk) not in str(event.data)
    # The warning (stored in clear, sent by SMS) names neither the venue nor the time.
    when = f"{timezone.localtime(at):%H:%M %d/%m/%Y}"
    (note,) = raw("SELECT title, body, link, dedupe_key FROM notifications_notification WHERE kind = 'venue_exposure'")
    text = " ".join(str(v) for v in note)
    assert venue.name not in text
    assert f"{timezone.localtime(at):%H:%M}" not in text
    assert venue.code not in text

    # The readers unseal: the run still knows its venue, the status page and the officials' case
    # page say where and when, and the exposure counts in the assessment.
    assert VenueExposureRun.objects.get(pk=run.pk).venue_ids == [venue.pk]
    page = Client()
    page.force_login(world.mai)
    status_page = page.get(f"/people/{world.mai_self.pk}/").content.decode()
    assert venue.name in status_page
    assert when in status_page
    warnings = page.get("/checkins/").content.decode().split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert world.mai_self.full_name in warnings
    assert venue.name in warnings
    case_page = official.get(f"/staff/cases/{world.mai_self.pk}/checkins/").content.decode()
    assert venue.name in case_page
    status = PersonStatus.objects.get(person=world.mai_self)
    assert status.level == "medium"
    assert "medium.venue_exposure" in status.reasons
    # The case was not warned about their own visit.
    assert not VenueExposure.objects.filter(person=world.lan_self).exists()
    assert not Notification.objects.filter(account=world.lan, kind="venue_exposure").exists()


# --- Rows written before the sealing --------------------------------------------------------------

BEFORE = [("venues", "0003_checkin_day_partitions")]


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] == "venues"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migrations_seal_rows_written_before_them(monkeypatch: Any) -> None:
    migrate(BEFORE)
    ward = Ward.objects.order_by("code").first()
    assert ward is not None
    person = Person.objects.create(full_name="Case", birth_year=1980, sex="female", home_ward=ward)
    exposed = [Person.objects.create(full_name=f"P{i}", birth_year=1980, sex="male", home_ward=ward) for i in range(3)]
    venues = [Venue.objects.create(code=f"ABCDE{i}", name=f"Quán {i}", kind="shop", ward=ward, street="1 Phố") for i in range(2)]
    now = timezone.now()
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    raw(
        "INSERT INTO venues_casevisit (case_person_id, venue_id, start, \"end\", created_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        [person.pk, venues[0].pk, now - timedelta(hours=2), now, now],
    )
    raw(
        "INSERT INTO venues_venueexposurerun (subject, kind, label, venue_ids, window_start, window_end, status,"  # noqa: S608 - literals of the test
        f" matched, warned, raised, created_at, updated_at) VALUES ('place-version:1', 'place', 'Chợ', %s{json_cast},"
        " %s, %s, 'done', 3, 3, 0, %s, %s)",
        [f"[{venues[0].pk}, {venues[1].pk}]", now - timedelta(hours=2), now, now, now],
    )
    run_id = raw("SELECT id FROM venues_venueexposurerun")[0][0]
    for i, someone in enumerate(exposed):
        raw(
            "INSERT INTO venues_venueexposure (run_id, person_id, venue_id, checked_in_at, \"on\", exposure, created_at)"
            " VALUES (%s, %s, %s, %s, %s, 'venue_exposure', %s)",
            [run_id, someone.pk, venues[i % 2].pk, now - timedelta(hours=1), timezone.localdate(now), now],
        )
    # Batches of two: the keyset walk goes over several transactions.
    monkeypatch.setattr("khaibao.core.sealing.BATCH", 2)

    migrate(latest())

    assert "venue_id" not in columns("venues_venueexposure")
    assert "venue_id" not in columns("venues_casevisit")
    for table, column in (("venues_venueexposure", "venue_sealed"), ("venues_casevisit", "venue_sealed"),
                          ("venues_venueexposurerun", "venue_ids")):
        values = [row[0] for row in raw(f"SELECT {column} FROM {table}")]  # noqa: S608 - the test's own names
        assert values
        assert all(str(v).startswith(TOKEN) for v in values), (table, values)
    assert VenueExposureRun.objects.get().venue_ids == [venues[0].pk, venues[1].pk]
    assert CaseVisit.objects.get().venue_sealed == str(venues[0].pk)
    assert [e["venue"] for e in exposures_of(exposed[1].pk)] == [venues[1].name]
    assert [e["venue"] for e in exposures_of(exposed[2].pk)] == [venues[0].name]
