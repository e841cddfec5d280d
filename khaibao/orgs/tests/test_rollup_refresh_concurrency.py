"""Compliance rollup refreshes that overlap never fail, one campaign's failure does not stop the
others, and a run writes only the rows whose numbers changed (review P1-2)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.orgs import rollups
from khaibao.orgs.models import Campaign, OrgUnit, ReminderPolicy, UnitComplianceRollup
from khaibao.orgs.tests.test_compliance import member, today, unit

# Hand-checked in test_compliance.tree: (members, confirmed, declared, updated today) per unit.
EXPECTED = {
    "ROOT": (10, 8, 7, 6), "HN": (7, 5, 4, 3), "HCM": (2, 2, 2, 2), "Q1": (5, 4, 4, 2),
    "P1": (4, 3, 3, 2), "C1": (3, 2, 2, 1), "C2": (0, 0, 0, 0),
}


def _rollup(campaign: Campaign) -> dict[str, tuple[int, int, int, int]]:
    rows = UnitComplianceRollup.objects.filter(campaign=campaign, day=today()).select_related("unit")
    return {r.unit.code: (r.members, r.confirmed, r.declared, r.updated_today) for r in rows}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refreshes_of_one_campaign_at_the_same_time_all_succeed_and_add_up(world: Any, tree: Any) -> None:
    threads_per_round, rounds = 4, 3
    errors: list[BaseException] = []
    done: list[rollups.RefreshResult] = []

    def refresh(barrier: threading.Barrier) -> None:
        try:
            campaign = Campaign.objects.select_related("unit").get(pk=tree.campaign.pk)
            barrier.wait(timeout=10)
            done.append(rollups.compliance_refresh_campaign(campaign=campaign, day=today()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    for round_ in range(rounds):
        if round_ == 1:
            UnitComplianceRollup.objects.all().delete()  # the first refresh of the day inserts every row
        barrier = threading.Barrier(threads_per_round)
        threads = [threading.Thread(target=refresh, args=(barrier,)) for _ in range(threads_per_round)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    assert errors == []
    assert len(done) == threads_per_round * rounds
    assert _rollup(tree.campaign) == EXPECTED
    # The periodic job and the snapshot's refresh at once: both succeed too.
    barrier = threading.Barrier(2)

    def job() -> None:
        try:
            barrier.wait(timeout=10)
            rollups.compliance_refresh()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert _rollup(tree.campaign) == EXPECTED


def test_a_failing_campaign_does_not_stop_the_next(world: Any, tree: Any, monkeypatch: Any, caplog: Any) -> None:
    second = Campaign.objects.create(
        unit=tree.hn, name="Hà Nội", starts_on=tree.start, deadline=today() + timedelta(days=10),
        reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
    )
    real = rollups.assisted_counts

    def broken_for_root(unit_ids: list[int], now: Any) -> dict[int, int]:
        if tree.twd.pk in unit_ids:
            raise RuntimeError("boom")
        return real(unit_ids, now)

    monkeypatch.setattr(rollups, "assisted_counts", broken_for_root)
    with caplog.at_level(logging.ERROR, logger="khaibao.orgs.rollups"), pytest.raises(rollups.RollupRefreshFailed) as failed:
        rollups.compliance_refresh()

    assert failed.value.failed == [tree.campaign.pk]
    assert f"campaign {tree.campaign.pk}" in caplog.text
    assert not UnitComplianceRollup.objects.filter(campaign=tree.campaign).exists()
    # The campaign after it (HN's own, created later) was refreshed all the same.
    assert _rollup(second) == {code: n for code, n in EXPECTED.items() if code in {"HN", "Q1", "P1", "C1", "C2"}}

    monkeypatch.setattr(rollups, "assisted_counts", real)
    assert {r.campaign_id for r in rollups.compliance_refresh()} == {tree.campaign.pk, second.pk}
    assert _rollup(tree.campaign) == EXPECTED


def test_a_refresh_writes_only_the_rows_that_changed(world: Any, tree: Any) -> None:
    first = rollups.compliance_refresh_campaign(campaign=tree.campaign, day=today())
    assert (first.units, first.written) == (7, 7)
    later = timezone.now() + timedelta(seconds=60)

    again = rollups.compliance_refresh_campaign(campaign=tree.campaign, day=today(), now=later)
    assert again.written == 0
    # Unchanged rows still say when their numbers were last checked ("Numbers as of").
    assert set(UnitComplianceRollup.objects.filter(campaign=tree.campaign).values_list("refreshed_at", flat=True)) == {later}

    member(world, tree.c2, declared_at=timezone.now(), updated_at=timezone.now())
    changed = rollups.compliance_refresh_campaign(campaign=tree.campaign, day=today(), now=later + timedelta(seconds=60))
    assert changed.written == 5  # C2 and its four ancestors
    assert _rollup(tree.campaign)["C2"] == (1, 1, 1, 1)
    assert _rollup(tree.campaign)["ROOT"] == (11, 9, 8, 7)


def test_rows_of_a_unit_gone_from_the_subtree_are_removed(world: Any, tree: Any) -> None:
    rollups.compliance_refresh_campaign(campaign=tree.campaign, day=today())
    elsewhere = OrgUnit.objects.create(code="ELSE", name="Elsewhere")
    OrgUnit.objects.filter(pk=tree.c2.pk).update(parent=elsewhere, path="ELSE/C2")
    rollups.compliance_refresh_campaign(campaign=tree.campaign, day=today())
    assert "C2" not in _rollup(tree.campaign)
    assert len(_rollup(tree.campaign)) == 6


def test_nested_campaigns_are_refreshed_with_a_few_queries_each(world: Any, tree: Any) -> None:
    # A campaign at every level of HN's branch beside ROOT's: members are counted once for all.
    for level in (tree.hn, tree.q1, tree.p1, tree.c1):
        Campaign.objects.create(
            unit=level, name=f"Campaign {level.code}", starts_on=tree.start - timedelta(days=level.pk % 2),
            deadline=today() + timedelta(days=10), reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
        )
    extra = unit("P2", tree.q1)
    member(world, extra, declared_at=timezone.now(), updated_at=timezone.now())
    rollups.compliance_refresh()
    assert _rollup(tree.campaign)["Q1"] == (6, 5, 5, 3)

    with CaptureQueriesContext(connection) as queries:
        results = rollups.compliance_refresh()
    campaigns = len(results)
    assert campaigns == 5
    assert sum(r.written for r in results) == 0
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    # 1 (campaigns) + 3 (units, members, reminders) + per campaign: lock, assisted, rows, touch.
    assert len(sql) <= 4 + 4 * campaigns, "\n".join(q[:120] for q in sql)


def test_a_refresh_that_read_earlier_never_overwrites_newer_numbers(world: Any, tree: Any) -> None:
    # Diff review F5: a refresh that waited for the lock (the snapshot job and the refresh, near
    # midnight) wrote its older read over the newer one's numbers, and "Numbers as of" went back.
    later = timezone.now() + timedelta(seconds=60)
    rollups.compliance_refresh_campaign(campaign=tree.campaign, day=today(), now=later)
    member(world, tree.c2, declared_at=timezone.now(), updated_at=timezone.now())  # the newer read would see it
    stale = rollups.compliance_refresh_campaign(
        campaign=tree.campaign, day=today(), now=later - timedelta(seconds=30),
        forest=rollups.unit_forest([tree.campaign], today()),
    )
    assert stale.written == 0
    assert set(UnitComplianceRollup.objects.filter(campaign=tree.campaign).values_list("refreshed_at", flat=True)) == {later}
