"""The data migration that fills the queue columns of status rows written before issue 4."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps

from khaibao.cases.tests.helpers import declare
from khaibao.monitoring.models import PersonStatus


def test_it_backfills_home_ward_province_and_queue_columns(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    declare(api, world.hung, world.hung_self, "low")
    PersonStatus.objects.update(home_ward=None, home_province=None, in_queue=False, queue_since=None, queue_rank=0)

    migration = importlib.import_module("khaibao.cases.migrations.0002_backfill_queue_columns")
    migration.backfill(apps, None)

    lan = PersonStatus.objects.get(person=world.lan_self)
    assert (lan.home_ward_id, lan.home_province_id) == (world.hoan_kiem.code, world.hanoi.code)
    assert (lan.in_queue, lan.queue_rank) == (True, 2000)
    assert lan.queue_since is not None
    hung = PersonStatus.objects.get(person=world.hung_self)
    assert (hung.home_province_id, hung.in_queue, hung.queue_since) == (world.hcmc.code, False, None)
