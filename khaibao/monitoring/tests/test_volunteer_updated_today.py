"""The volunteer's page and API say "updated today" by the one rule (monitoring.selectors
`status_updated_on`, the status row's `last_update_day`), as the reminder, the organisations'
counts and the person's own pages do — not by a daily update row of their own (review-seams 4)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from khaibao.monitoring.pending import pending_assess_all
from khaibao.monitoring.services import daily_update_store


def _updated_today(client: Any, person: Any) -> bool:
    entries = client.get("/volunteers/assisted").json()
    return bool(next(e for e in entries if e["person"]["id"] == person.pk)["updated_today"])


def test_it_counts_a_rush_update_once_the_status_row_says_so(world: Any, api: Any) -> None:
    client = api.as_(world.volunteer)
    assert _updated_today(client, world.ong_tu) is False
    # Rush mode (decision D): the update row is stored first, the status row waits for the worker.
    daily_update_store(actor=world.volunteer, person=world.ong_tu, day=timezone.localdate(), feeling="well")
    assert _updated_today(client, world.ong_tu) is False

    pending_assess_all(budget_seconds=5)
    assert _updated_today(client, world.ong_tu) is True
