"""What a zone or place warning keeps and says (docs/privacy.md, "Sealed health data"): why a
person was warned and their levels are sealed — a traveller's declared travel is health data —
and a re-assessed person's message names neither the zone nor their travel, since it is stored in
clear beside them and sent by SMS; a place's message gives the official's instruction once, its
window as the pages write a moment; an English reader is told the advice is in Vietnamese.
Rows written before the sealing are sealed by the migrations."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.notifications.models import ChannelPreference, Notification
from khaibao.zones.models import ZoneWarning, ZoneWarningRun
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.test_warnings import HOAN_KIEM, declare_zone, run_of, travel

TOKEN = "gAAAAA"
NEUTRAL_VI = (
    "Một vùng dịch có thể liên quan đến bạn hoặc người bạn chăm sóc. "
    "Hãy mở Khai Báo để xem mức nguy cơ và việc cần làm."
)
NEUTRAL_EN = (
    "An epidemic area may concern you or someone you look after. "
    "Open Khai Báo to see their risk level and what to do."
)
# The console's pre-filled advice for a place (backoffice/zone_forms.py).
CONSOLE_ADVICE = "Nếu bạn đã có mặt tại đây trong khung giờ trên, hãy gọi đường dây nóng và khai báo y tế."


def raw(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall()) if cursor.description else []


def stored(person_id: int) -> tuple[Any, ...]:
    (row,) = raw("SELECT reason, level_before, level_after FROM zones_zonewarning WHERE person_id = %s", [person_id])
    return row


def english(account: Any) -> None:
    ChannelPreference.objects.update_or_create(account=account, defaults={"language": "en"})


def test_it_keeps_no_reason_or_level_in_clear(world: Any, api: Any) -> None:
    # Mai travelled into Hoàn Kiếm; Lan's child lives there and travelled there too; the others live there.
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    travel(api, world.lan, world.lan_child, ward=HOAN_KIEM, start=3, end=2)
    resp = api.as_(world.lan).post(f"/api/v1/people/{world.lan_self.id}/declarations", declaration())
    assert resp.status_code == 201, resp.content
    zone_warnings_run.call(run_of(declare_zone(api, world, valid_from=ago(5))).pk)

    everyone = raw("SELECT reason, level_before, level_after FROM zones_zonewarning")
    assert len(everyone) == 6
    assert all(str(value).startswith(TOKEN) for row in everyone for value in row), everyone
    # The person's own export reads them back (privacy.selectors), the traveller's level raised.
    mai = ZoneWarning.objects.get(person=world.mai_self)
    assert (mai.reason, mai.get_reason_display(), mai.level_before, mai.level_after) == (
        "traveller", "Đã khai báo đi đến đó", "low", "medium",
    )
    child = ZoneWarning.objects.get(person=world.lan_child)
    assert (child.reason, child.level_after) == ("resident", "medium")
    # Warned with the residents, in SQL: their level as the status row says, or none without one.
    lan = ZoneWarning.objects.get(person=world.lan_self)
    assert (lan.reason, lan.level_before, lan.level_after) == ("resident", "low", "low")
    nam = ZoneWarning.objects.get(person=world.nam_self)
    assert (nam.reason, nam.level_before, nam.level_after) == ("resident", "", "")
    assert stored(world.lan_self.pk)[1] != stored(world.lan_self.pk)[2]  # two tokens, not one copied


def test_a_travellers_message_names_neither_the_zone_nor_the_travel(world: Any, api: Any) -> None:
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    english(world.hung)
    travel(api, world.hung, world.hung_self, ward=HOAN_KIEM, start=4, end=3)
    zone_warnings_run.call(run_of(declare_zone(api, world, valid_from=ago(5))).pk)

    mai = Notification.objects.get(account=world.mai, kind="zone_warning")
    assert (mai.title, mai.body) == ("Cảnh báo: một vùng dịch", NEUTRAL_VI)
    hung = Notification.objects.get(account=world.hung, kind="zone_warning")
    assert (hung.title, hung.body) == ("Warning: an epidemic area", NEUTRAL_EN)
    for note in (mai, hung):
        assert "Hoàn Kiếm" not in note.title + note.body
        assert note.link == f"/people/{note.person_id}/"  # their re-assessed level, as a venue exposure's


def test_a_resident_who_travelled_there_gets_the_travellers_form(world: Any, api: Any) -> None:
    # Re-assessed one by one like a traveller: the same text, link and key form, so the stored
    # message does not tell the two apart (both do differ from the residents' shared message).
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    travel(api, world.lan, world.lan_child, ward=HOAN_KIEM, start=3, end=2)
    zone = declare_zone(api, world, valid_from=ago(5))
    zone_warnings_run.call(run_of(zone).pk)

    child = Notification.objects.get(person=world.lan_child, kind="zone_warning")
    mai = Notification.objects.get(person=world.mai_self, kind="zone_warning")
    version = run_of(zone).zone_version_id
    for note, person in ((child, world.lan_child), (mai, world.mai_self)):
        assert (note.title, note.body) == ("Cảnh báo: một vùng dịch", NEUTRAL_VI)
        assert (note.link, note.dedupe_key) == (f"/people/{person.pk}/", f"zone-warning:{version}:{person.pk}")


def publish_place(api: Any, world: Any, *, day: str, advice: Any) -> None:
    resp = api.as_(world.province).post("/zones/places", {
        "name": "Chợ Đồng Xuân", "ward_code": HOAN_KIEM,
        "window_start": f"{day}T08:00", "window_end": f"{day}T11:00", "advice": advice,
    })
    assert resp.status_code == 201, resp.content
    zone_warnings_run.call(ZoneWarningRun.objects.get(place_version__place_id=resp.json()["place_id"]).pk)


def test_a_place_gives_the_officials_instruction_once(world: Any, api: Any) -> None:
    day = ago(3)
    publish_place(api, world, day=day, advice=CONSOLE_ADVICE)

    shown = f"{date.fromisoformat(day):%d/%m/%Y}"
    body = Notification.objects.get(account=world.nam, kind="zone_warning").body
    assert body == (
        f"Chợ Đồng Xuân là mốc dịch tễ trong khoảng {shown} 08:00 – {shown} 11:00. {CONSOLE_ADVICE}"
    )
    assert body.count("gọi đường dây nóng") == 1


def test_a_place_without_advice_gives_the_default_instruction(world: Any, api: Any) -> None:
    english(world.nam)
    day = ago(3)
    publish_place(api, world, day=day, advice="")

    shown = f"{date.fromisoformat(day):%d/%m/%Y}"
    assert Notification.objects.get(account=world.lan, kind="zone_warning").body == (
        f"Ai đã có mặt tại Chợ Đồng Xuân trong khoảng {shown} 08:00 – {shown} 11:00 "
        "phải gọi đường dây nóng và khai báo y tế."
    )
    assert Notification.objects.get(account=world.nam, kind="zone_warning").body == (
        f"Anyone who was at Chợ Đồng Xuân between {shown} 08:00 – {shown} 11:00 must call the hotline and declare."
    )


def test_an_english_reader_is_told_the_advice_is_in_vietnamese(world: Any, api: Any) -> None:
    english(world.nam)
    advice = "Hạn chế ra ngoài, gọi 1900 9095 nếu có triệu chứng."
    zone_warnings_run.call(run_of(declare_zone(api, world, advice={"vi": advice, "en": ""})).pk)

    body = Notification.objects.get(account=world.nam, kind="zone_warning").body
    assert body.endswith(f"Advice from the health authority (in Vietnamese): {advice}")
    assert Notification.objects.get(account=world.lan, kind="zone_warning").body.endswith(f". {advice}")


# --- Rows written before the sealing --------------------------------------------------------------

BEFORE = [("zones", "0006_finished_runs_forget_travellers")]


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] == "zones"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migrations_seal_rows_written_before_them(monkeypatch: Any) -> None:
    migrate(BEFORE)
    now = timezone.now()
    # The run, version and person columns have no database constraint (models.ZoneWarning).
    rows = [(1, 11, "traveller", "low", "medium"), (2, 12, "resident", "", ""), (3, 13, "resident", "high", "high")]
    for pk, person_id, reason, before, after in rows:
        raw(
            "INSERT INTO zones_zonewarning (id, run_id, zone_version_id, person_id, reason, level_before, level_after,"
            " created_at) VALUES (%s, 1, 1, %s, %s, %s, %s, %s)",
            [pk, person_id, reason, before, after, now],
        )
    # Batches of two: the keyset walk goes over several transactions.
    monkeypatch.setattr("khaibao.core.sealing.BATCH", 2)

    migrate(latest())

    sealed = raw("SELECT reason, level_before, level_after FROM zones_zonewarning ORDER BY id")
    assert all(str(value).startswith(TOKEN) for row in sealed for value in row), sealed
    assert [
        (w.pk, w.person_id, w.reason, w.level_before, w.level_after) for w in ZoneWarning.objects.order_by("pk")
    ] == rows
    raw("DELETE FROM zones_zonewarning")
