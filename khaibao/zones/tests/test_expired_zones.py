"""A zone whose validity has passed (its end is behind us, no official ended it) no longer applies:
raising, lowering or editing it is refused by the service (409 `zone_expired`, on `valid_until`),
through the API and the console alike, with nothing written and nobody warned — unless the change
puts it back in force with a new end in the future, which is a raise from now (the lapsed time is
not covered afterwards). The console offers only that on an expired zone's page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from khaibao.core.errors import ServiceError
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.inputs import ZoneInput
from khaibao.zones.models import Zone, ZoneVersion, ZoneWarningRun
from khaibao.zones.tests.helpers import zone_body
from khaibao.zones.zones import zone_update

EN = {"Accept-Language": "en"}


@pytest.fixture
def expired(world: Any, api: Any, time_machine: Any) -> dict[str, Any]:
    """A level-3 zone in force for an hour, two hours ago (the clock stands at its start + 2 h)."""
    start = timezone.now().replace(microsecond=0)
    time_machine.move_to(start, tick=False)
    body = zone_body(valid_until=(start + timedelta(hours=1)).isoformat())
    zone_id = api.as_(world.province).post("/zones", body).json()["zone_id"]
    time_machine.move_to(start + timedelta(hours=2), tick=False)
    return {"zone_id": zone_id, "start": start, "runs": ZoneWarningRun.objects.filter(zone_version__zone_id=zone_id).count()}


def _unchanged(expired: dict[str, Any]) -> bool:
    zone_id = expired["zone_id"]
    return (
        ZoneVersion.objects.filter(zone_id=zone_id).count() == 1
        and ZoneWarningRun.objects.filter(zone_version__zone_id=zone_id).count() == expired["runs"]
    )


@pytest.mark.parametrize(("language", "opening"), [
    ("vi", "Vùng dịch này đã hết hiệu lực"),
    ("en", "This zone's validity has passed"),
])
def test_the_service_refuses_to_change_an_expired_zone(world: Any, expired: dict[str, Any], language: str, opening: str) -> None:
    zone = Zone.objects.get(pk=expired["zone_id"])
    with translation.override(language), pytest.raises(ServiceError) as refused:
        zone_update(actor=world.province, zone=zone, data=ZoneInput(level=4))
    assert (refused.value.code, refused.value.status) == ("zone_expired", 409)
    assert refused.value.fields["valid_until"].startswith(opening)
    assert _unchanged(expired)


@pytest.mark.parametrize("body", [
    {"level": 4},
    {"advice": {"vi": "Ở nhà.", "en": "Stay home."}},
    {"level": 2},
])
def test_the_api_refuses_to_change_an_expired_zone(world: Any, api: Any, expired: dict[str, Any], body: dict[str, Any]) -> None:
    resp = api.as_(world.province).patch(f"/zones/{expired['zone_id']}", body)
    assert resp.status_code == 409, resp.content
    error = resp.json()["error"]
    assert error["code"] == "zone_expired"
    assert "valid_until" in error["fields"]
    assert _unchanged(expired)


def test_a_new_end_in_the_future_puts_an_expired_zone_back_in_force_from_now(
    world: Any, api: Any, expired: dict[str, Any]
) -> None:
    now = timezone.now()
    until = now + timedelta(days=7)

    resp = api.as_(world.province).patch(f"/zones/{expired['zone_id']}", {"valid_until": until.isoformat()})

    assert resp.status_code == 200, resp.content
    assert (resp.json()["version"], resp.json()["change"]) == (2, "raise")
    latest = ZoneVersion.objects.get(zone_id=expired["zone_id"], number=2)
    # In force again from now: the hour it had lapsed is not covered afterwards.
    assert (latest.valid_from, latest.valid_until) == (now, until)
    assert ZoneWarningRun.objects.filter(zone_version=latest).exists()  # its people are told it is back


def test_no_end_at_all_puts_an_expired_zone_back_in_force_until_further_notice(
    world: Any, api: Any, expired: dict[str, Any]
) -> None:
    resp = api.as_(world.province).patch(f"/zones/{expired['zone_id']}", {"valid_until": None, "level": 4})
    assert resp.status_code == 200, resp.content
    latest = ZoneVersion.objects.get(zone_id=expired["zone_id"], number=2)
    assert (latest.level, latest.valid_until) == (4, None)


def test_an_expired_zone_page_offers_only_putting_it_back_in_force(
    world: Any, client: Client, expired: dict[str, Any]
) -> None:
    sign_in_staff(client, world.province)
    zone_id = expired["zone_id"]

    page = client.get(f"/staff/zones/{zone_id}/", headers=EN).content.decode()

    assert "Change (raise, lower, widen)" not in page
    assert f"/staff/zones/{zone_id}/end/" not in page
    assert "Put back in force" in page
    assert f'href="/staff/zones/{zone_id}/edit/"' in page


def test_a_zone_in_force_page_still_offers_its_changes(world: Any, api: Any, client: Client) -> None:
    zone_id = api.as_(world.province).post("/zones", zone_body()).json()["zone_id"]
    sign_in_staff(client, world.province)
    page = client.get(f"/staff/zones/{zone_id}/", headers=EN).content.decode()
    assert "Change (raise, lower, widen)" in page
    assert f"/staff/zones/{zone_id}/end/" in page
    assert "Put back in force" not in page


def _shown(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    return found.group(1) if found else ""


def _form_as_shown(client: Client, zone_id: int, **changes: str) -> dict[str, Any]:
    page = client.get(f"/staff/zones/{zone_id}/edit/", headers=EN).content.decode()
    assert "validity has passed" in page  # the form says what it will take
    body: dict[str, Any] = {name: _shown(page, name) for name in ("name", "valid_from", "valid_until")}
    body.update({"level": "3", "wards": ["70"], "step": "publish", **changes})
    return body


def test_the_console_refuses_a_raise_of_an_expired_zone(world: Any, client: Client, expired: dict[str, Any]) -> None:
    sign_in_staff(client, world.province)
    body = _form_as_shown(client, expired["zone_id"], level="4")

    resp = client.post(f"/staff/zones/{expired['zone_id']}/edit/", body, headers=EN)

    assert resp.status_code == 400
    assert "This zone&#x27;s validity has passed" in resp.content.decode()
    assert _unchanged(expired)


def test_the_console_puts_an_expired_zone_back_in_force_with_a_new_end(
    world: Any, client: Client, expired: dict[str, Any]
) -> None:
    sign_in_staff(client, world.province)
    until = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    body = _form_as_shown(client, expired["zone_id"], valid_until=until)

    resp = client.post(f"/staff/zones/{expired['zone_id']}/edit/", body)

    assert resp.status_code == 302, resp.content.decode()[:2000]
    latest = ZoneVersion.objects.get(zone_id=expired["zone_id"], number=2)
    assert latest.change == "raise"
    assert latest.valid_until is not None
    assert latest.valid_until > timezone.now()
