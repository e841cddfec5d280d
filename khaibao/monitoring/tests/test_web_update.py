from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khaibao.declarations.tests.helpers import ago, today
from khaibao.monitoring.models import DailyUpdate


@pytest.fixture
def lan_browser(world: Any) -> Client:
    client = Client()
    client.force_login(world.lan)
    return client


def test_it_records_i_am_well_in_one_tap(world, lan_browser):
    page = lan_browser.get(f"/people/{world.lan_child.id}/", headers={"Accept-Language": "en"}).content.decode()
    assert 'name="well"' in page
    resp = lan_browser.post(f"/people/{world.lan_child.id}/update/", {"well": "1"}, follow=True,
                            headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    update = DailyUpdate.objects.get(person=world.lan_child)
    assert update.day == today()
    assert update.feeling == "well"
    assert "Today's update is done." in resp.content.decode()


def test_it_records_symptoms_for_yesterday(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/update/",
        {"day": ago(1), "feeling": "unwell", "symptoms": ["cough", "fever"], "temperature": "38.2"},
    )
    assert resp.status_code == 302
    update = DailyUpdate.objects.get(person=world.lan_child)
    assert update.day.isoformat() == ago(1)
    assert update.symptoms == ["cough", "fever"]


def test_it_keeps_the_answers_when_the_temperature_is_wrong(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/update/",
        {"day": ago(0), "feeling": "unwell", "symptoms": ["cough"], "temperature": "45.0"},
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 400
    assert "temperature" in resp.context["form"].errors
    assert 'value="45.0"' in resp.content.decode()
    assert not DailyUpdate.objects.exists()


def test_it_offers_only_today_and_yesterday(world, lan_browser):
    resp = lan_browser.post(f"/people/{world.lan_child.id}/update/", {"day": ago(2), "feeling": "well"})
    assert resp.status_code == 400
    assert "day" in resp.context["form"].errors
    assert not DailyUpdate.objects.exists()


def test_it_refuses_an_update_where_nothing_was_chosen(world, lan_browser):
    """Issue 17: "how do you feel" is not pre-chosen, and an update without it is refused."""
    form = lan_browser.get(f"/people/{world.lan_child.id}/update/").content.decode()
    assert 'name="feeling"' in form
    assert not [tag for tag in form.split("<input") if 'name="feeling"' in tag and "checked" in tag.split(">")[0]]
    resp = lan_browser.post(f"/people/{world.lan_child.id}/update/", {"day": ago(0)})
    assert resp.status_code == 400
    assert resp.context["form"].errors["feeling"] == ["Cho biết bạn thấy khỏe hay không khỏe."]
    assert not DailyUpdate.objects.exists()


def test_it_refuses_an_api_update_without_a_feeling(world, api):
    for body in ({}, {"symptoms": []}, {"feeling": ""}):
        resp = api.as_(world.lan).put(f"/people/{world.lan_child.id}/updates/{ago(0)}", body)
        assert resp.status_code == 400, body
        assert resp.json()["error"]["fields"] == {"feeling": "Cho biết bạn thấy khỏe hay không khỏe."}
    assert not DailyUpdate.objects.exists()
