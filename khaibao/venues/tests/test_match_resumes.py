"""An exposure run's match commits venue by venue (review-scale finding 4): a zone over a whole
province covers every venue in it, and a match killed half-way resumes with the next venue
instead of starting over from nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.venues import exposure
from khaibao.venues.models import RunKind, RunStatus, VenueExposure, VenueExposureRun
from khaibao.venues.sealing import venue_seal
from khaibao.venues.tasks import venue_exposure_run
from khaibao.venues.tests.test_api_checkins import checkin, iso, register


def _three_venues_and_a_run(world: Any, api: Any) -> tuple[list[int], VenueExposureRun]:
    now = timezone.now()
    venues = [register(api, world.nam, name=f"Quán số {n}") for n in (1, 2, 3)]
    at = iso(now - timedelta(hours=2))
    assert checkin(api, world.lan, venues[0]["code"], [world.lan_self.id, world.lan_child.id], at=at).status_code == 201
    assert checkin(api, world.mai, venues[1]["code"], at=at).status_code == 201
    assert checkin(api, world.hung, venues[2]["code"], [world.hung_self.id], at=at).status_code == 201
    ids = [v["id"] for v in venues]
    run = VenueExposureRun.objects.create(
        subject="place-version:990001", kind=RunKind.PLACE, label="Điểm dịch thử", venue_ids=ids,
        window_start=now - timedelta(hours=3), window_end=now - timedelta(hours=1),
    )
    return ids, run


def test_a_match_that_fails_at_the_second_venue_keeps_the_first_and_resumes_there(
    world: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, run = _three_venues_and_a_run(world, api)
    sealed: list[int] = []

    def failing_once(venue_id: int) -> str:
        sealed.append(venue_id)
        if venue_id == ids[1] and sealed.count(venue_id) == 1:
            raise RuntimeError("worker killed")
        return venue_seal(venue_id)

    monkeypatch.setattr(exposure, "venue_seal", failing_once)
    with pytest.raises(RuntimeError):
        venue_exposure_run.call(run.pk, max_steps=1)

    run.refresh_from_db()
    assert (run.status, run.venues_matched, run.matched) == (RunStatus.PENDING, 1, 2)
    kept = set(VenueExposure.objects.filter(run=run).values_list("person_id", flat=True))
    assert kept == {world.lan_self.id, world.lan_child.id}

    result = venue_exposure_run.call(run.pk)

    assert result["status"] == "done"
    assert sealed == [ids[0], ids[1], ids[1], ids[2]]  # resumed with the second venue, not the first
    run.refresh_from_db()
    assert (run.venues_matched, run.matched, run.warned) == (3, 4, 4)
    assert set(VenueExposure.objects.filter(run=run, warned_at__isnull=False).values_list("person_id", flat=True)) == {
        world.lan_self.id, world.lan_child.id, world.mai_self.id, world.hung_self.id}


def test_each_venue_is_matched_in_its_own_transaction(world: Any, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ids, run = _three_venues_and_a_run(world, api)
    transactions: list[int] = []
    original = exposure._match_next

    def counting(run_id: int, venue_ids: list[int]) -> VenueExposureRun:
        before = VenueExposure.objects.filter(run_id=run_id).count()
        matched = original(run_id, venue_ids)
        transactions.append(VenueExposure.objects.filter(run_id=run_id).count() - before)
        return matched

    monkeypatch.setattr(exposure, "_match_next", counting)
    run = exposure.exposure_run_step(run_id=run.pk)

    assert transactions == [2, 1, 1]
    assert run.status == RunStatus.RUNNING
    # The warning batches do not encrypt and write the sealed venue list again.
    with CaptureQueriesContext(connection) as queries:
        while run.status != RunStatus.DONE:
            run = exposure.exposure_run_step(run_id=run.pk, size=2)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "venues_venueexposurerun" in q["sql"]]
    assert len(updates) == 3
    assert not any("venue_ids" in sql for sql in updates)
    assert VenueExposureRun.objects.get(pk=run.pk).venue_ids == ids
