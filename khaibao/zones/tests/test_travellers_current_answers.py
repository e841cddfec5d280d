"""Zone warnings read travel as the risk engine does: from the person's current answers only
(declarations.selectors `current_answers`). Travel a newer universal declaration left out was
corrected, and warning about it tells the person something untrue and spends an SMS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.declarations.models import Declaration
from khaibao.declarations.selectors import current_answers, current_declarations_q
from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration
from khaibao.monitoring.models import PersonStatus
from khaibao.notifications.models import Notification
from khaibao.zones.models import ZoneWarning
from khaibao.zones.selectors import travellers
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.test_warnings import BA_DINH, HOAN_KIEM, declare_zone, run_of, travel


def declare(api: Any, account: Any, person: Any, **answers: Any) -> None:
    resp = api.as_(account).post(f"/api/v1/people/{person.id}/declarations", declaration(**answers))
    assert resp.status_code == 201, resp.content


def declare_risk(api: Any, account: Any, person: Any, **answers: Any) -> None:
    resp = api.as_(account).post(f"/api/v1/people/{person.id}/risk-declarations", risk_declaration(**answers))
    assert resp.status_code == 201, resp.content


def trip(ward: int, start: int, end: int) -> dict[str, Any]:
    return {"ward_code": ward, "from": ago(start), "to": ago(end)}


def week() -> dict[str, Any]:
    today = timezone.localdate()
    return {"first": today - timedelta(days=7), "last": None, "since": today - timedelta(days=14)}


def test_it_does_not_warn_about_travel_a_newer_declaration_left_out(world: Any, api: Any) -> None:
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    declare(api, world.mai, world.mai_self)  # "I did not travel": the trip was a mistake
    zone = declare_zone(api, world, valid_from=ago(5))

    zone_warnings_run.call(run_of(zone).pk)

    status = PersonStatus.objects.get(person=world.mai_self)
    assert (status.level, status.reasons) == ("low", [])
    assert not ZoneWarning.objects.filter(person=world.mai_self).exists()
    assert not Notification.objects.filter(account=world.mai).exists()
    run = run_of(zone)
    assert (run.status, run.reassessed) == ("done", 0)
    assert run.expected == ZoneWarning.objects.count()  # the residents alone


def test_it_still_warns_about_travel_in_the_current_declaration(world: Any, api: Any) -> None:
    declare(api, world.mai, world.mai_self)
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    zone = declare_zone(api, world, valid_from=ago(5))

    zone_warnings_run.call(run_of(zone).pk)

    warning = ZoneWarning.objects.get(person=world.mai_self)
    assert (warning.reason, warning.level_after) == ("traveller", "medium")
    assert Notification.objects.filter(account=world.mai, kind="zone_warning").count() == 1


def test_it_still_warns_about_travel_in_a_later_risk_declaration(world: Any, api: Any) -> None:
    declare(api, world.mai, world.mai_self)
    declare_risk(
        api, world.mai, world.mai_self, contact_with_case=False, contacts=[], came_from_epidemic_area=True,
        travel=[trip(HOAN_KIEM, 4, 3)],
    )
    zone = declare_zone(api, world, valid_from=ago(5))

    zone_warnings_run.call(run_of(zone).pk)

    warning = ZoneWarning.objects.get(person=world.mai_self)
    assert warning.reason == "traveller"
    assert Notification.objects.filter(account=world.mai, kind="zone_warning").count() == 1


def test_it_reads_the_declarations_current_answers_reads(world: Any, api: Any) -> None:
    # Mai: travel, then a universal declaration without it, then a risk-factor one with travel.
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=6, end=5)
    declare(api, world.mai, world.mai_self)
    declare_risk(
        api, world.mai, world.mai_self, contact_with_case=False, contacts=[], came_from_epidemic_area=True,
        travel=[trip(BA_DINH, 3, 3)],
    )
    # Hùng: a risk-factor declaration with travel, then a universal one still naming the trip.
    declare_risk(
        api, world.hung, world.hung_self, contact_with_case=False, contacts=[], came_from_epidemic_area=True,
        travel=[trip(HOAN_KIEM, 4, 4)],
    )
    declare(api, world.hung, world.hung_self, travel=[trip(HOAN_KIEM, 2, 2)])
    # Lan's child: risk-factor declarations only (no universal one: every declaration counts).
    for days in (5, 2):
        declare_risk(
            api, world.lan, world.lan_child, contact_with_case=False, contacts=[], came_from_epidemic_area=True,
            travel=[trip(HOAN_KIEM, days, days)],
        )
    people = [world.mai_self, world.hung_self, world.lan_child, world.hoa_self]

    for person in people:
        rows = Declaration.objects.filter(current_declarations_q(), person=person).order_by("version")
        assert [d.answers for d in rows] == current_answers(person), person

    assert travellers(ward_codes=[HOAN_KIEM], province_code=None, **week()) == sorted(
        [world.hung_self.id, world.lan_child.id]
    )
    assert travellers(ward_codes=[BA_DINH], province_code=None, **week()) == [world.mai_self.id]
    # The superseded Hoàn Kiếm trip of Mai is in the window and indexed, yet not current.
    assert Declaration.objects.filter(person=world.mai_self).count() == 3
