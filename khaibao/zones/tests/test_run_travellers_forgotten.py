"""Who declared travel into a zone is health data: a warning run keeps the list only while it
runs (review-seams finding 1). Finished, it is empty; an erased person leaves an unfinished run's
list; the runs finished before this change are cleared by a data migration."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from khaibao.declarations.tests.helpers import ago
from khaibao.privacy.erasure import person_data_erase
from khaibao.privacy.models import Erasure
from khaibao.privacy.retention import retention_run
from khaibao.zones.models import RunStatus, ZoneWarning, ZoneWarningRun
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.test_warnings import HOAN_KIEM, declare_zone, run_of, travel
from khaibao.zones.warnings import warning_run_step


def test_it_forgets_the_travellers_when_the_run_finishes(world: Any, api: Any) -> None:
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    run = run_of(declare_zone(api, world, valid_from=ago(5)))

    zone_warnings_run.call(run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.traveller_ids == []
    assert [w.reason for w in ZoneWarning.objects.filter(person=world.mai_self)] == ["traveller"]  # the warning stays (reason sealed: read, not filtered)
    retention_run(now=timezone.now() + timedelta(days=400))
    assert not ZoneWarning.objects.filter(person=world.mai_self).exists()
    assert world.mai_self.id not in ZoneWarningRun.objects.get(pk=run.pk).traveller_ids


def test_it_takes_an_erased_person_out_of_an_unfinished_run(world: Any, api: Any) -> None:
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    travel(api, world.hung, world.hung_self, ward=HOAN_KIEM, start=4, end=3)
    run = run_of(declare_zone(api, world, valid_from=ago(5)))
    warning_run_step(run_id=run.pk, batch_size=1)  # started, residents' first batch: still running
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert world.mai_self.id in run.traveller_ids

    erasure = Erasure.objects.create(person_id=world.mai_self.id, reason="request", requested_at=timezone.now())
    counts = person_data_erase(erasure=erasure)

    run.refresh_from_db()
    assert counts["warning_run_travellers"] == 1
    assert run.traveller_ids == [world.hung_self.id]
    zone_warnings_run.call(run.pk)  # the run finishes without them
    assert [w.reason for w in ZoneWarning.objects.filter(person=world.hung_self)] == ["traveller"]
    assert ZoneWarningRun.objects.get(pk=run.pk).traveller_ids == []


def test_the_migration_clears_the_runs_that_finished_before(world: Any, api: Any) -> None:
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    run = run_of(declare_zone(api, world, valid_from=ago(5)))
    zone_warnings_run.call(run.pk)
    ZoneWarningRun.objects.filter(pk=run.pk).update(traveller_ids=[world.mai_self.id])  # as the old code left it
    migration = importlib.import_module("khaibao.zones.migrations.0006_finished_runs_forget_travellers")

    migration.forget_travellers(apps, None)

    assert ZoneWarningRun.objects.get(pk=run.pk).traveller_ids == []
