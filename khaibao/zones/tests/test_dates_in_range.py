"""A zone's validity and a place's window keep to core.params' date range on every path: the
console's form, the API and the services (fault review: a zone valid from year 1, or a place
until 9999-12-31, took down the public zones pages and the console's list)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.core.errors import ServiceError
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.inputs import PlaceInput, ZoneInput
from khaibao.zones.models import Place, Zone, ZoneVersion
from khaibao.zones.places import place_declare
from khaibao.zones.zones import zone_declare, zone_update

FAR = ["0001-01-01", "9999-12-31", "1899-12-31T08:00"]


@pytest.mark.parametrize("field", ["valid_from", "valid_until"])
@pytest.mark.parametrize("value", FAR)
def test_the_console_refuses_a_zone_date_out_of_range_and_the_pages_stay_up(
    world: Any, client: Client, field: str, value: str
) -> None:
    sign_in_staff(client, world.province)
    resp = client.post("/staff/zones/new/", {"name": "Ổ dịch thử", "level": "3", "wards": ["70"], field: value})
    assert resp.status_code == 400, resp.status_code
    assert "1900-01-01" in resp.content.decode()  # the range's message beside the field
    assert not Zone.objects.exists()
    assert client.get("/staff/zones/").status_code == 200
    assert Client().get("/zones/").status_code == 200


@pytest.mark.parametrize("field", ["valid_from", "valid_until"])
@pytest.mark.parametrize("value", [*FAR, datetime(1, 1, 1, 12, tzinfo=timezone.get_default_timezone())])
def test_the_service_refuses_a_zone_date_out_of_range(world: Any, field: str, value: Any) -> None:
    with pytest.raises(ServiceError) as exc:
        zone_declare(actor=world.province, data=ZoneInput(name="Ổ dịch", level=3, ward_codes=[70], **{field: value}))
    assert set(exc.value.fields) == {field}
    assert not Zone.objects.exists()


@pytest.mark.parametrize("field", ["window_start", "window_end"])
@pytest.mark.parametrize("value", FAR)
def test_the_service_refuses_a_place_window_out_of_range(world: Any, field: str, value: str) -> None:
    window = {"window_start": "2026-11-12T18:00", "window_end": "2026-11-12T21:00", field: value}
    with pytest.raises(ServiceError) as exc:
        place_declare(actor=world.province, data=PlaceInput(
            name="Chợ X", ward_code=70, window_start=window["window_start"], window_end=window["window_end"],
        ))
    assert field in exc.value.fields
    assert not Place.objects.exists()


def test_the_console_refuses_a_place_window_out_of_range(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    resp = client.post("/staff/zones/places/new/", {
        "name": "Chợ X", "ward": "70", "radius_m": "100", "window_start": "2026-11-12T18:00", "window_end": "9999-12-31",
    })
    assert resp.status_code == 400
    assert not Place.objects.exists()
    assert Client().get("/zones/").status_code == 200


def test_a_zone_stored_out_of_range_before_the_check_can_still_be_ended(world: Any) -> None:
    version = zone_declare(actor=world.province, data=ZoneInput(name="Ổ dịch", level=3, ward_codes=[70]))
    ZoneVersion.objects.filter(pk=version.pk).update(valid_from=datetime(1, 1, 2, tzinfo=timezone.get_default_timezone()))
    zone = Zone.objects.get(pk=version.zone_id)
    ended = zone_update(actor=world.province, zone=zone, end=True)
    assert ended.change == "end"
