"""The warning job's travellers, found through the travel index of sealed answers (issue 18):
the same people as matching the answers themselves, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.zones.selectors import travellers

HANOI, HCMC = 1, 79
HOAN_KIEM, BA_DINH, SAI_GON = 70, 4, 26740


def declare(api: Any, account: Any, person: Any, *trips: dict[str, Any]) -> None:
    resp = api.as_(account).post(f"/api/v1/people/{person.id}/declarations", declaration(travel=list(trips)))
    assert resp.status_code == 201, resp.content


def test_it_finds_travellers_by_ward_and_province_without_reading_other_answers(world, api):
    declare(api, world.mai, world.mai_self, {"ward_code": HOAN_KIEM, "from": ago(4), "to": ago(3)})
    declare(api, world.hung, world.hung_self, {"province_code": HANOI, "from": ago(2), "to": ago(2)})
    declare(api, world.hoa, world.hoa_self, {"ward_code": SAI_GON, "from": ago(2), "to": ago(1)})
    declare(api, world.lan, world.lan_child, {"ward_code": HOAN_KIEM, "from": ago(12), "to": ago(11)})
    since = timezone.localdate() - timedelta(days=14)
    week = {"first": timezone.localdate() - timedelta(days=7), "last": None, "since": since}

    # A ward zone: the ward's travellers in the window; a province-wide trip says too little.
    assert travellers(ward_codes=[HOAN_KIEM], province_code=None, **week) == [world.mai_self.id]
    # A whole-province zone: trips to any of its wards and province-wide trips alike.
    assert travellers(ward_codes=[], province_code=HANOI, **week) == sorted([world.mai_self.id, world.hung_self.id])
    assert travellers(ward_codes=[], province_code=HCMC, **week) == [world.hoa_self.id]
    # The window still decides: the older Hoàn Kiếm trip counts from its own days on.
    older = {**week, "first": timezone.localdate() - timedelta(days=13)}
    assert travellers(ward_codes=[HOAN_KIEM], province_code=None, **older) == sorted(
        [world.mai_self.id, world.lan_child.id]
    )

    # The index names no place: no ward or province code in it, only keyed hashes.
    index = Declaration.objects.get(person=world.mai_self).travel_index
    assert len(index) == 2
    assert not {str(HOAN_KIEM), str(HANOI)} & set(index)
    assert all(len(key) == 20 for key in index)
