"""One rule for "a member still has something to do" (compliance.member_status_q): the reminders,
the chasing list and the members page pick the same roster lines, and the same as the Python
rule the chasing list's "to do" column and the members page's facts are written from."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.orgs import chase, compliance, reminders
from khaibao.orgs.models import Member
from khaibao.orgs.tests.test_compliance import today


def _has_something_to_do(m: Member, campaign: Any, day: Any) -> bool:
    if m.removed_at is not None or m.declined_at is not None:
        return False
    if m.confirmed_at is None:
        return True
    status = getattr(m.person, "status", None) if m.person_id else None
    facts = compliance.member_facts(
        starts_on=campaign.starts_on, day=day,
        last_declaration_at=status.last_declaration_at if status else None,
        last_update_day=status.last_update_day if status else None,
    )
    return (campaign.target_declared and not facts.declared_since_start) or (
        campaign.target_updated_daily and not facts.updated_today
    )


@pytest.mark.parametrize(("declared", "updated"), [(True, True), (True, False), (False, True)])
def test_it_picks_the_same_members_to_remind_to_chase_and_by_hand(world: Any, tree: Any, declared: bool, updated: bool) -> None:
    campaign = tree.campaign
    campaign.target_declared, campaign.target_updated_daily = declared, updated
    campaign.save()
    day = today()
    roster = Member.objects.filter(unit__path__startswith=tree.twd.path).select_related("person__status")
    by_hand = {m.pk for m in roster if _has_something_to_do(m, campaign, day)}
    assert by_hand  # the tree has members missing each target

    assert {m.pk for m in reminders.campaign_members_to_remind(campaign, day)} == by_hand
    assert {m.pk for m in chase.chase_members(tree.twd, campaign, "not_done", day)} == by_hand


def test_the_members_page_and_the_chasing_list_filter_alike(world: Any, tree: Any) -> None:
    day = today()
    for status in ("awaiting_confirmation", "not_declared", "not_updated_today"):
        page = compliance.members_page(tree.twd, tree.campaign, day=day, status=status, limit=200)
        chased = chase.chase_members(tree.twd, tree.campaign, status, day)
        assert {r.member_id for r in page.items} == {m.pk for m in chased}, status
        assert page.items, status


def test_it_refuses_a_status_it_does_not_know(world: Any, tree: Any) -> None:
    with pytest.raises(ValueError, match="unknown member status"):
        compliance.member_status_q("everyone", tree.campaign, today())
