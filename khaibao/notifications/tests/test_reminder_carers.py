"""Who receives a person's reminders and warnings is who may see the person: the access layer's
carers rule (people/access.py), not a copy of it. A volunteer whose appointment was revoked or
expired, or whose consent is still pending, or whose delegation ended, gets nothing about them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from khaibao.accounts.models import Account, Role
from khaibao.notifications.models import Notification
from khaibao.notifications.services import notify_people
from khaibao.notifications.tasks import send_daily_reminders
from khaibao.notifications.tests.helpers import monitor
from khaibao.people.access import person_carers, visible_people
from khaibao.people.models import Person, VolunteerAppointment

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 3, 10)
ASSISTED_PHONE = "+84912000111"


def _evening() -> datetime:
    return datetime(TODAY.year, TODAY.month, TODAY.day, 20, 0, tzinfo=VN)


def _reminded(person: Person) -> set[int]:
    return set(Notification.objects.filter(person=person, kind="daily_reminder").values_list("account_id", flat=True))


def _register_with_code(api, world) -> Person:
    body = {
        "full_name": "Lê Thị Bảy", "birth_year": 1940, "sex": "female", "id_number": "001140000777",
        "ward_code": world.ba_dinh.code, "street": "Số 9 ngõ Huế", "consent_method": "code", "phone": ASSISTED_PHONE,
    }
    resp = api.as_(world.volunteer).post("/volunteers/assisted", body)
    assert resp.status_code == 201, resp.json()
    assert resp.json()["pending"] is True
    return Person.objects.get(pk=resp.json()["person"]["id"])


def test_the_volunteer_gets_ong_tus_daily_reminder_while_appointed(world):
    monitor(world.ong_tu, until=TODAY)
    with time_machine.travel(_evening(), tick=False):
        assert send_daily_reminders.call() == 1
    assert _reminded(world.ong_tu) == {world.volunteer.id}


def test_a_volunteer_whose_appointment_was_revoked_no_longer_gets_ong_tus_daily_reminder(world, api):
    appointment = VolunteerAppointment.objects.get(account=world.volunteer)
    assert api.as_(world.org_admin).delete(f"/volunteers/{appointment.pk}").status_code == 204
    assert api.as_(world.volunteer).get(f"/people/{world.ong_tu.id}").status_code == 404
    monitor(world.ong_tu, until=TODAY)
    with time_machine.travel(_evening(), tick=False):
        send_daily_reminders.call()
    assert world.volunteer.id not in _reminded(world.ong_tu)


def test_a_volunteer_whose_consent_is_still_pending_gets_no_daily_reminder(world, api, sms):
    bay = _register_with_code(api, world)
    assert api.as_(world.volunteer).get(f"/people/{bay.id}").status_code == 404
    monitor(bay, until=TODAY)
    with time_machine.travel(_evening(), tick=False):
        send_daily_reminders.call()
    assert world.volunteer.id not in _reminded(bay)
    # Once the person gives the code, the volunteer looks after them and is reminded.
    delegation = bay.delegations.get()
    code = sms.last_code(ASSISTED_PHONE)
    confirmed = api.as_(world.volunteer).post(f"/volunteers/assisted/{delegation.id}/confirm", {"code": code})
    assert confirmed.status_code == 200, confirmed.json()
    with time_machine.travel(_evening() + timedelta(days=1), tick=False):
        monitor(bay, until=TODAY + timedelta(days=1))
        send_daily_reminders.call()
    assert world.volunteer.id in _reminded(bay)


@pytest.mark.parametrize("case", [
    "household_owner", "active_volunteer", "revoked_appointment", "expired_appointment", "pending_consent",
    "ended_delegation",
])
def test_every_fan_out_follows_the_access_rule_row_for_row(world, api, sms, case):
    """The ORM fan-out (notify_person: reminders), the SQL fan-out (notify_people: zone
    warnings to residents) and the access layer agree on who looks after each person."""
    person = world.ong_tu
    if case == "household_owner":
        person = world.lan_child
    elif case == "revoked_appointment":
        appointment = VolunteerAppointment.objects.get(account=world.volunteer)
        assert api.as_(world.org_admin).delete(f"/volunteers/{appointment.pk}").status_code == 204
    elif case == "expired_appointment":
        VolunteerAppointment.objects.filter(account=world.volunteer).update(expires_at=datetime(2021, 1, 1, tzinfo=VN))
    elif case == "pending_consent":
        person = _register_with_code(api, world)
    elif case == "ended_delegation":
        delegation = world.ong_tu.delegations.get()
        assert api.as_(world.volunteer).delete(f"/volunteers/assisted/{delegation.id}").status_code == 204

    carers = {a.pk for a in person_carers(person)}
    notify_people(
        people=Person.objects.filter(pk=person.pk), kind="zone_warning", title="t", body="b",
        dedupe_key=f"row-for-row:{case}",
    )
    fanned_out = set(Notification.objects.filter(dedupe_key=f"row-for-row:{case}").values_list("account_id", flat=True))
    citizens = Account.objects.filter(role=Role.CITIZEN)
    may_see = {account.pk for account in citizens if visible_people(account).filter(pk=person.pk).exists()}
    assert carers == fanned_out == may_see
    expected = {
        "household_owner": {world.lan.id},
        "active_volunteer": {world.volunteer.id},
    }.get(case, set())
    assert carers == expected
