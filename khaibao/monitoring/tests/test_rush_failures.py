"""Rush mode: one daily update that cannot be assessed holds back nobody else. Its rows are marked,
retried after a back-off, then given up — kept, counted on /healthz, and the update recorded as
sent — instead of rolling back every batch that claims them, for ever (review-faults 5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from khaibao.monitoring import pending
from khaibao.monitoring.models import PendingAssessment, PersonStatus
from khaibao.monitoring.pending import MAX_ATTEMPTS, pending_assess_all, person_pending_since
from khaibao.monitoring.selectors import status_updated_on
from khaibao.monitoring.services import daily_update_store


def _poisoned(person_id: int) -> Any:
    real = pending.assessment_compute

    def compute(*, person: Any, **kw: Any) -> Any:
        if person.pk == person_id:
            raise ValueError("bad stored answer for one person")
        return real(person=person, **kw)

    return mock.patch.object(pending, "assessment_compute", side_effect=compute)


def _jobs() -> dict[str, Any]:
    return Client().get("/healthz?detail").json()["checks"]["jobs"]  # type: ignore[no-any-return]


def test_it_assesses_the_others_and_retries_the_failing_one_later(world: Any) -> None:
    today = timezone.localdate()
    daily_update_store(actor=world.lan, person=world.lan_child, day=today, feeling="well")
    daily_update_store(actor=world.mai, person=world.mai_self, day=today, feeling="well")

    with _poisoned(world.lan_child.pk):
        totals = pending_assess_all(budget_seconds=5)
    assert (totals["updates"], totals["failed"]) == (1, 1)
    row = PendingAssessment.objects.get()
    assert row.person_id == world.lan_child.pk
    assert row.attempts == 1
    assert row.failed_at is not None
    assert row.retry_at is not None
    assert row.retry_at > timezone.now()
    assert PersonStatus.objects.get(person=world.mai_self).last_update_day == today
    jobs = _jobs()
    assert (jobs["rush_pending_assessments"], jobs["rush_assessments_failing"]) == (1, 1)

    # Within the back-off the row is not claimed; after it, the fault gone, it is assessed.
    assert pending_assess_all(budget_seconds=5)["batches"] == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=pending.RETRY_BASE_SECONDS + 1)):
        assert pending_assess_all(budget_seconds=5)["updates"] == 1
    assert not PendingAssessment.objects.exists()


def test_it_gives_up_after_the_last_attempt_and_keeps_the_update_visible(world: Any) -> None:
    today = timezone.localdate()
    daily_update_store(actor=world.lan, person=world.lan_child, day=today, feeling="well")
    moment = timezone.now()
    with _poisoned(world.lan_child.pk):
        for _ in range(MAX_ATTEMPTS):
            with time_machine.travel(moment):
                pending_assess_all(budget_seconds=5)
            moment += timedelta(hours=1)  # past any back-off
    row = PendingAssessment.objects.get()
    assert row.attempts == MAX_ATTEMPTS
    assert row.gave_up_at is not None
    assert row.retry_at is None
    # No longer waiting ("assessing" for ever), but not silently dropped either.
    jobs = _jobs()
    assert jobs["rush_pending_assessments"] == 0
    assert jobs["rush_assessments_given_up"] == 1
    assert person_pending_since(world.lan_child.pk) is None
    # The update was sent: nobody reminds the person of it nor counts it as missed.
    assert status_updated_on(PersonStatus.objects.get(person=world.lan_child), today)
    with time_machine.travel(moment):
        assert pending_assess_all(budget_seconds=5)["batches"] == 0

    call_command("rush_retry_given_up", stdout=mock.Mock())  # the fault fixed, handed back
    assert pending_assess_all(budget_seconds=5)["updates"] == 1
    assert not PendingAssessment.objects.exists()


def test_a_new_update_of_the_day_starts_afresh_after_a_give_up(world: Any) -> None:
    # The given-up row belongs to the old answers: the person's corrected update is assessed
    # (diff review: ON CONFLICT DO NOTHING kept it given up until an operator stepped in).
    today = timezone.localdate()
    daily_update_store(actor=world.lan, person=world.lan_child, day=today, feeling="well")
    PendingAssessment.objects.filter(person=world.lan_child).update(
        attempts=MAX_ATTEMPTS, failed_at=timezone.now(), gave_up_at=timezone.now()
    )
    daily_update_store(actor=world.lan, person=world.lan_child, day=today, feeling="unwell", symptoms=["cough"])
    row = PendingAssessment.objects.get(person=world.lan_child)
    assert (row.attempts, row.failed_at, row.retry_at, row.gave_up_at) == (0, None, None, None)
    assert pending_assess_all(budget_seconds=5)["updates"] == 1
    assert not PendingAssessment.objects.filter(person=world.lan_child).exists()
