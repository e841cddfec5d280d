"""A warning run re-assesses people one by one in small transactions (review-scale finding 3):
each `person_reassess` holds the person's status row lock until the batch commits, so no batch
re-assesses more than ZONE_WARNING_REASSESS_BATCH_SIZE people, whatever the residents' batch
size; and the run row's traveller list is written when the run starts and finishes, not with
every batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.assessment import person_reassess
from khaibao.monitoring.models import Assessment
from khaibao.zones.models import RunStatus, ZoneWarning
from khaibao.zones.tests.test_warnings import HOAN_KIEM, declare_zone, run_of, travel
from khaibao.zones.warnings import warning_run_step


def _counting(calls: list[int]) -> Callable[..., Any]:
    def reassess(**kwargs: Any) -> Any:
        calls.append(kwargs["person"].pk)
        return person_reassess(**kwargs)

    return reassess


def _writes_travellers(queries: CaptureQueriesContext) -> bool:
    return any(
        q["sql"].startswith("UPDATE") and "zones_zonewarningrun" in q["sql"] and "traveller_ids" in q["sql"]
        for q in queries.captured_queries
    )


def test_no_batch_reassesses_more_than_the_reassess_batch_size(
    world: Any, api: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The residents' batch keeps its default size (10,000: the whole ward in one batch); only
    # the one-by-one bound is lowered, to 1.
    settings.ZONE_WARNING_REASSESS_BATCH_SIZE = 1
    travel(api, world.lan, world.lan_child, ward=HOAN_KIEM, start=3, end=2)  # residents who travelled there
    travel(api, world.lan, world.lan_parent, ward=HOAN_KIEM, start=3, end=2)
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)  # travellers from Ba Đình
    travel(api, world.hung, world.hung_self, ward=HOAN_KIEM, start=4, end=3)
    travel(api, world.hung, world.hung_spouse, ward=HOAN_KIEM, start=4, end=3)
    run = run_of(declare_zone(api, world, valid_from=ago(5)))
    calls: list[int] = []
    monkeypatch.setattr("khaibao.zones.warnings.person_reassess", _counting(calls))

    per_batch: list[int] = []
    travellers_written: list[bool] = []
    for _ in range(20):  # each step is one transaction
        calls.clear()
        with CaptureQueriesContext(connection) as queries:
            run = warning_run_step(run_id=run.pk)
        per_batch.append(len(calls))
        travellers_written.append(_writes_travellers(queries))
        if run.status == RunStatus.DONE:
            break

    assert run.status == RunStatus.DONE
    assert max(per_batch) == 1
    assert sum(per_batch) == 5
    # Written when the run starts (the list) and when it finishes (emptied), never in between.
    assert travellers_written[0]
    assert travellers_written[-1]
    assert not any(travellers_written[1:-1])
    assert len(travellers_written) > 2
    assert (run.expected, run.processed, run.warned, run.reassessed) == (8, 8, 8, 5)
    reasons = [(w.person_id, w.reason) for w in ZoneWarning.objects.all()]  # sealed: read, not filtered
    assert sum(reason == "resident" for _id, reason in reasons) == 5
    assert {i for i, reason in reasons if reason == "traveller"} == {
        world.mai_self.id, world.hung_self.id, world.hung_spouse.id}
    assert Assessment.objects.filter(source="reassessment").count() == 5
    assert run.traveller_ids == []


def test_a_run_killed_between_small_batches_resumes_without_reassessing_twice(
    world: Any, api: Any, settings: Any
) -> None:
    settings.ZONE_WARNING_REASSESS_BATCH_SIZE = 1
    travel(api, world.lan, world.lan_child, ward=HOAN_KIEM, start=3, end=2)
    travel(api, world.lan, world.lan_parent, ward=HOAN_KIEM, start=3, end=2)
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    run = run_of(declare_zone(api, world, valid_from=ago(5)))

    warning_run_step(run_id=run.pk)  # the worker dies after the first small batch
    run.refresh_from_db()
    assert (run.status, run.reassessed) == (RunStatus.RUNNING, 1)
    assert sorted(run.traveller_ids) == sorted([world.lan_child.id, world.lan_parent.id, world.mai_self.id])

    while run.status != RunStatus.DONE:
        run = warning_run_step(run_id=run.pk)
    assert (run.processed, run.warned, run.reassessed) == (6, 6, 3)
    assert Assessment.objects.filter(source="reassessment").count() == 3
