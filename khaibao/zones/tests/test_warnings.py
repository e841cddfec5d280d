"""The warning job: residents and travellers found, travellers re-assessed, everyone warned once,
batched and resumable; and the zones the risk engine sees at the edges of their validity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import Assessment, PersonStatus
from khaibao.notifications.models import Notification
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.inputs import ZoneInput
from khaibao.zones.models import ZoneWarning, ZoneWarningRun
from khaibao.zones.tasks import zone_warning_runs_resume, zone_warnings_run
from khaibao.zones.tests.helpers import zone_body
from khaibao.zones.zones import zone_declare

HOAN_KIEM, BA_DINH = 70, 4


def travel(api: Any, account: Any, person: Any, *, ward: int, start: int, end: int) -> Any:
    resp = api.as_(account).post(
        f"/api/v1/people/{person.id}/declarations",
        declaration(travel=[{"ward_code": ward, "from": ago(start), "to": ago(end)}]),
    )
    assert resp.status_code == 201, resp.content
    return resp.json()


def declare_zone(api: Any, world: Any, **overrides: Any) -> dict[str, Any]:
    resp = api.as_(world.province).post("/zones", zone_body(**overrides))
    assert resp.status_code == 201, resp.content
    return resp.json()


def run_of(zone: dict[str, Any]) -> ZoneWarningRun:
    return ZoneWarningRun.objects.get(zone_version__zone_id=zone["zone_id"], zone_version__number=zone["version"])


def hoan_kiem_residents(world: Any) -> set[int]:
    return {p.id for p in (world.lan_self, world.lan_child, world.lan_parent, world.nam_self, world.ong_tu)}


def test_it_reassesses_a_traveller_and_raises_their_level(world: Any, api: Any) -> None:
    before = travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    assert before["assessment"]["level"] == "low"
    zone = declare_zone(api, world, valid_from=ago(5))

    result = zone_warnings_run.call(run_of(zone).pk)

    assert result["status"] == "done"
    status = PersonStatus.objects.get(person=world.mai_self)
    assert status.level == "medium"
    assert "medium.zone_travel" in status.reasons
    assert Assessment.objects.filter(person=world.mai_self, source="reassessment").count() == 1
    warning = ZoneWarning.objects.get(person=world.mai_self)
    assert (warning.reason, warning.level_before, warning.level_after) == ("traveller", "low", "medium")
    (note,) = Notification.objects.filter(account=world.mai, kind="zone_warning")
    assert note.link == f"/people/{world.mai_self.id}/"
    run = run_of(zone)
    assert (run.reassessed, run.raised) == (1, 1)


def test_it_warns_the_residents_of_the_zones_wards(world: Any, api: Any) -> None:
    zone = declare_zone(api, world)
    zone_warnings_run.call(run_of(zone).pk)
    warned = set(ZoneWarning.objects.values_list("person_id", flat=True))
    assert warned == hoan_kiem_residents(world)
    # Lan looks after three of them and gets one message; the volunteer one for Ông Tư;
    # Mai (Ba Đình) hears nothing.
    assert Notification.objects.filter(account=world.lan, kind="zone_warning").count() == 1
    assert Notification.objects.filter(account=world.volunteer, kind="zone_warning").count() == 1
    assert not Notification.objects.filter(account=world.mai).exists()
    note = Notification.objects.filter(account=world.nam).get()
    assert "Phường Hoàn Kiếm" in note.title
    assert "1900 9095" in note.body
    # Residents are warned, not re-assessed: living there is not a risk fact of the rules.
    assert not Assessment.objects.filter(source="reassessment").exists()


def test_it_reassesses_a_resident_who_also_travelled_there_once(world: Any, api: Any, settings: Any) -> None:
    # Lan's child lives in Hoàn Kiếm and declared a trip inside it: warned with the residents,
    # but re-assessed like a traveller, and counted once (batches of 2 cut through the household).
    settings.ZONE_WARNING_BATCH_SIZE = 2
    travel(api, world.lan, world.lan_child, ward=HOAN_KIEM, start=3, end=2)
    zone = declare_zone(api, world, valid_from=ago(5))
    run = run_of(zone)
    assert run.expected == 0  # counted when the run starts
    zone_warnings_run.call(run.pk)
    run.refresh_from_db()
    assert (run.status, run.expected, run.processed, run.warned, run.reassessed) == ("done", 5, 5, 5, 1)
    warning = ZoneWarning.objects.get(person=world.lan_child)
    assert (warning.reason, warning.level_after) == ("resident", "medium")
    assert Notification.objects.get(person=world.lan_child, kind="zone_warning").link == f"/people/{world.lan_child.id}/"
    others = ZoneWarning.objects.exclude(person=world.lan_child)
    assert {w.level_before == w.level_after for w in others} == {True}


def test_it_does_not_warn_about_a_level_one_zone(world: Any, api: Any) -> None:
    zone = declare_zone(api, world, level=1)
    assert zone["warning"] is None
    assert not ZoneWarningRun.objects.exists()


def test_it_is_idempotent(world: Any, api: Any) -> None:
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=2, end=2)
    zone = declare_zone(api, world, valid_from=ago(5))
    run = run_of(zone)
    zone_warnings_run.call(run.pk)
    notes = Notification.objects.count()
    # Even a run forced back to the start warns nobody twice.
    ZoneWarningRun.objects.filter(pk=run.pk).update(status="pending", cursor=0, phase="residents")
    zone_warnings_run.call(run.pk)
    zone_warnings_run.call(run.pk)
    assert ZoneWarning.objects.count() == 6
    assert Notification.objects.count() == notes
    assert Assessment.objects.filter(source="reassessment").count() == 1


def test_it_resumes_after_being_killed_halfway(world: Any, api: Any, settings: Any) -> None:
    settings.ZONE_WARNING_BATCH_SIZE = 2
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=2, end=2)
    zone = declare_zone(api, world, valid_from=ago(5))
    run = run_of(zone)

    zone_warnings_run.call(run.pk, max_batches=1)  # the worker dies after one batch
    run.refresh_from_db()
    assert (run.status, run.warned, run.expected) == ("running", 2, 6)

    zone_warnings_run.call(run.pk)
    run.refresh_from_db()
    assert (run.status, run.warned, run.processed) == ("done", 6, 6)
    assert ZoneWarning.objects.count() == 6
    # Lan, Nam and the volunteer once each for their residents, Mai for her travel.
    keys = list(Notification.objects.values_list("account_id", "dedupe_key"))
    assert len(keys) == len(set(keys)) == 4


def test_it_rolls_back_a_batch_that_crashed_and_finishes_later(
    world: Any, api: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ZONE_WARNING_BATCH_SIZE = 3
    zone = declare_zone(api, world)
    run = run_of(zone)
    zone_warnings_run.call(run.pk, max_batches=1)

    # Residents of a batch are warned together (notify_people): the worker dies in that call.
    def dying(**kwargs: Any) -> Any:
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patched:
        patched.setattr("khaibao.zones.warnings.notify_people", dying)
        with pytest.raises(RuntimeError):
            zone_warnings_run.call(run.pk)
    run.refresh_from_db()
    assert (run.warned, ZoneWarning.objects.count()) == (3, 3)  # the half batch left nothing

    zone_warnings_run.call(run.pk)
    run.refresh_from_db()
    assert (run.status, run.warned) == ("done", 5)
    assert Notification.objects.filter(kind="zone_warning").count() == 3  # Lan, Nam, the volunteer


def test_it_queues_stale_runs_again(world: Any, api: Any) -> None:
    zone = declare_zone(api, world)
    run = run_of(zone)
    ZoneWarningRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - timedelta(hours=1))
    assert zone_warning_runs_resume.call() == 1


def test_it_shows_the_official_how_many_people_were_warned(world: Any, api: Any, client: Client) -> None:
    zone = declare_zone(api, world)
    sign_in_staff(client, world.province)
    page = client.get(f"/staff/zones/{zone['zone_id']}/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'hx-trigger="every 2s"' in page.content.decode()  # progress polls while running

    zone_warnings_run.call(run_of(zone).pk)
    page = client.get(f"/staff/zones/{zone['zone_id']}/", headers={"Accept-Language": "en"})
    text = page.content.decode()
    assert "5 people warned" in text
    assert 'hx-trigger="every 2s"' not in text
    assert api.as_(world.province).get(f"/zones/{zone['zone_id']}").json()["warned"] == 5


def test_it_warns_travellers_and_residents_of_a_place(world: Any, api: Any) -> None:
    travel(api, world.hoa, world.hoa_self, ward=HOAN_KIEM, start=3, end=3)
    travel(api, world.hung, world.hung_self, ward=HOAN_KIEM, start=6, end=5)
    day = ago(3)
    resp = api.as_(world.province).post("/zones/places", {
        "name": "Chợ Hàng Da", "ward_code": HOAN_KIEM,
        "window_start": f"{day}T18:00", "window_end": f"{day}T21:00", "advice": "Gọi 1900 9095.",
    })
    assert resp.status_code == 201, resp.content
    zone_warnings_run.call(ZoneWarningRun.objects.get(place_version__place_id=resp.json()["place_id"]).pk)
    warned = set(ZoneWarning.objects.values_list("person_id", flat=True))
    assert warned == hoan_kiem_residents(world) | {world.hoa_self.id}  # Hùng was there on other days
    assert "18:00" in Notification.objects.get(account=world.hoa).body


# Time windows at their edges, through a declaration made after the zone exists.


@pytest.mark.parametrize(
    ("trip", "zone_dates", "level"),
    [
        pytest.param((6, 3), {"valid_from": ago(3)}, "medium", id="trip ends the day the zone starts"),
        pytest.param((6, 4), {"valid_from": ago(3)}, "low", id="trip ends the day before"),
        pytest.param((5, 4), {"valid_from": ago(9), "valid_until": ago(5)}, "medium", id="trip starts the zone's last day"),
        pytest.param((4, 3), {"valid_from": ago(9), "valid_until": ago(5)}, "low", id="trip starts the day after it ended"),
    ],
)
def test_it_matches_travel_at_the_edges_of_a_zones_validity(
    world: Any, api: Any, trip: tuple[int, int], zone_dates: dict[str, str], level: str
) -> None:
    declare_zone(api, world, **zone_dates)
    result = travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=trip[0], end=trip[1])
    assert result["assessment"]["level"] == level


def test_it_keeps_counting_a_zone_for_the_days_before_it_was_lowered(world: Any, api: Any) -> None:
    zone = declare_zone(api, world, level=4, valid_from=ago(10))
    api.as_(world.province).patch(f"/zones/{zone['zone_id']}", {"level": 1})
    assert travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=3, end=2)["assessment"]["level"] == "medium"


def test_it_counts_a_province_wide_zone_for_any_ward_of_the_province(world: Any, api: Any) -> None:
    declare_zone(api, world, ward_codes=[], whole_province=True, valid_from=ago(5))
    assert travel(api, world.hung, world.hung_self, ward=BA_DINH, start=2, end=2)["assessment"]["level"] == "medium"


def test_it_reaches_the_services_through_the_same_function_as_the_api(world: Any) -> None:
    version = zone_declare(actor=world.national, data=ZoneInput(name="X", level=2, ward_codes=[BA_DINH]))
    assert version.zone.province_id == 1


def test_it_sends_one_sms_per_carer_however_many_of_the_household_it_concerns(world: Any, api: Any, sms: Any) -> None:
    from khaibao.notifications.models import Delivery, Notification

    # Lan's household (self, child, parent) all live in Hoàn Kiếm, the default zone's ward.
    zone = declare_zone(api, world)
    zone_warnings_run.call(run_of(zone).pk)
    # One inbox message for the household too: the residents' message names no one.
    lan_notes = Notification.objects.filter(account=world.lan, kind="zone_warning")
    assert lan_notes.count() == 1
    assert Delivery.objects.filter(notification__account=world.lan, channel="sms").count() == 1


def test_it_erases_a_persons_warnings_with_the_person(world: Any, api: Any) -> None:
    # The warnings table has no database-level foreign keys (measured cost): Django's
    # on_delete must still take a person's warnings with them.
    zone = declare_zone(api, world)
    zone_warnings_run.call(run_of(zone).pk)
    nam_id = world.nam_self.id
    assert ZoneWarning.objects.filter(person_id=nam_id).exists()
    world.nam_self.delete()
    assert not ZoneWarning.objects.filter(person_id=nam_id).exists()
    assert ZoneWarning.objects.count() == 4


# Nobody whose processing stopped (consent withdrawn, erasure asked) is warned or re-assessed:
# travellers go through the same exclusion as residents, when the run starts and at each batch.

LAN_PHONE = "+84900000001"


def stop_processing(api: Any, sms: Any, world: Any, person: Any) -> None:
    """Lan withdraws consent for `person`; the erasure stays queued (no worker here), so the
    person and their declarations are still there — only processing has stopped."""
    client = api.as_(world.lan)
    ask = client.post("/privacy/erasure-codes", {"person_ids": [person.id], "reason": "consent_withdrawn"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202, confirm.content
    assert not PersonStatus.objects.filter(person=person).exists()


def assert_left_alone(person: Any) -> None:
    assert not ZoneWarning.objects.filter(person=person).exists()
    assert not Notification.objects.filter(person=person).exists()
    assert not Assessment.objects.filter(person=person, source="reassessment").exists()
    assert not PersonStatus.objects.filter(person=person).exists()  # not brought back


def test_it_leaves_out_a_traveller_whose_processing_stopped(world: Any, api: Any, sms: Any) -> None:
    # Lan and her child (Hoàn Kiếm) both travelled to Ba Đình; then she withdrew consent for him.
    travel(api, world.lan, world.lan_self, ward=BA_DINH, start=4, end=3)
    travel(api, world.lan, world.lan_child, ward=BA_DINH, start=4, end=3)
    stop_processing(api, sms, world, world.lan_child)
    zone = declare_zone(api, world, name="Phường Ba Đình", ward_codes=[BA_DINH], valid_from=ago(5))

    zone_warnings_run.call(run_of(zone).pk)

    assert_left_alone(world.lan_child)
    assert ZoneWarning.objects.get(person=world.lan_self).reason == "traveller"
    assert PersonStatus.objects.get(person=world.lan_self).level == "medium"
    run = run_of(zone)
    assert (run.status, run.expected, run.warned, run.reassessed) == ("done", run.processed, run.processed, 1)


def test_it_leaves_out_a_traveller_who_stopped_processing_during_the_run(world: Any, api: Any, sms: Any) -> None:
    travel(api, world.lan, world.lan_self, ward=BA_DINH, start=4, end=3)
    travel(api, world.lan, world.lan_child, ward=BA_DINH, start=4, end=3)
    zone = declare_zone(api, world, name="Phường Ba Đình", ward_codes=[BA_DINH], valid_from=ago(5))
    run = run_of(zone)
    zone_warnings_run.call(run.pk, max_batches=1)  # the run starts: both travellers are listed
    run.refresh_from_db()
    assert run.phase == "residents"
    assert set(run.traveller_ids) == {world.lan_self.id, world.lan_child.id}

    stop_processing(api, sms, world, world.lan_child)
    zone_warnings_run.call(run.pk)

    assert_left_alone(world.lan_child)
    assert ZoneWarning.objects.get(person=world.lan_self).reason == "traveller"
    run.refresh_from_db()
    assert (run.status, run.reassessed) == ("done", 1)
