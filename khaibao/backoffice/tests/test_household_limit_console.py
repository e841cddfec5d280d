"""Raising a household's limit from the official's case view (issue 18, item 6): the current
size and limit shown, field errors for bad input (nothing changes), a confirmation step, then the
raise through `people.limits.household_limit_raise` (audited with the reason)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.people.models import HouseholdLimit

REASON = "Gia đình ba thế hệ sống chung"


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def test_the_case_view_shows_the_households_size_and_limit(world: Any, settings: Any) -> None:
    settings.HOUSEHOLD_MAX_PEOPLE = 20
    page = staff(world.ward_official).get(f"/staff/cases/{world.lan_self.pk}/").content.decode()
    assert "3 người, tối đa 20" in page  # Lan, her son and her father
    assert f"/staff/cases/{world.lan_self.pk}/household-limit/" in page
    # Ông Tư belongs to no household: nothing to raise.
    assert "household-limit/" not in staff(world.ward_official).get(f"/staff/cases/{world.ong_tu.pk}/").content.decode()


def test_bad_input_shows_field_errors_and_changes_nothing(world: Any, settings: Any) -> None:
    settings.HOUSEHOLD_MAX_PEOPLE = 20
    ward = staff(world.ward_official)
    url = f"/staff/cases/{world.lan_self.pk}/household-limit/"
    for data, field in (({"limit-max_people": "20", "limit-reason": REASON}, "max_people"),
                        ({"limit-max_people": "201", "limit-reason": REASON}, "max_people"),
                        ({"limit-max_people": "ba mươi", "limit-reason": REASON}, "max_people"),
                        ({"limit-max_people": "30", "limit-reason": "gấp"}, "reason")):
        resp = ward.post(url, {**data, "confirmed": "1"})
        assert resp.status_code == 400, data
        assert resp.context["limit_form"].errors[field], data
    assert "từ 21 đến 200" in ward.post(url, {"limit-max_people": "5", "limit-reason": REASON}).content.decode()
    assert not HouseholdLimit.objects.exists()
    assert not AuditEvent.objects.filter(action="household.limit_raise").exists()


def test_it_raises_the_limit_after_confirmation_audited(world: Any, settings: Any) -> None:
    settings.HOUSEHOLD_MAX_PEOPLE = 20
    ward = staff(world.ward_official)
    url = f"/staff/cases/{world.lan_self.pk}/household-limit/"
    confirm = ward.post(url, {"limit-max_people": "30", "limit-reason": REASON})
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert 'name="confirmed"' in body
    assert "<strong>30</strong>" in body
    assert not HouseholdLimit.objects.exists()
    done = ward.post(url, {"limit-max_people": "30", "limit-reason": REASON, "confirmed": "1"}, follow=True)
    assert done.status_code == 200
    page = done.content.decode()
    assert "Giới hạn của hộ nay là 30 người." in page
    assert "3 người, tối đa 30" in page
    limit = HouseholdLimit.objects.get()
    assert (limit.owner_id, limit.max_people, limit.raised_by_id) == (world.lan.pk, 30, world.ward_official.pk)
    event = AuditEvent.objects.get(action="household.limit_raise")
    assert (event.actor_id, event.person_id, event.reason) == (world.ward_official.pk, world.lan_self.pk, REASON)
    assert AuditEvent.objects.filter(action="person.household_limit", person_id=world.lan_self.pk).exists()


def test_other_roles_and_jurisdictions_cannot_raise_it(world: Any) -> None:
    url = f"/staff/cases/{world.lan_self.pk}/household-limit/"
    data = {"limit-max_people": "30", "limit-reason": REASON, "confirmed": "1"}
    assert staff(world.province_hcm).post(url, data).status_code == 404
    assert staff(world.ward_official).get(url).status_code == 405
    for account in (world.org_admin, world.checkpoint, world.dpo):
        assert staff(account).post(url, data).status_code == 403
    lan = Client()
    lan.force_login(world.lan)
    assert lan.post(url, data).status_code == 403
    assert not HouseholdLimit.objects.exists()
