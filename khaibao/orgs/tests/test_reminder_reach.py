"""The compliance page says whom the campaign's reminders reach, and that is whom they reach:
members who never signed in have only the roster phone, so they are reminded only when the
policy sends SMS (orgs/reminder_texts.py `policy_sends_sms`; docs/organisations.md, "Reminders")."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.notifications.models import Notification
from khaibao.orgs import tasks
from khaibao.orgs.models import Member, ReminderPolicy
from khaibao.orgs.reminder_texts import policy_sends_sms
from khaibao.orgs.tests.test_compliance import at, member, today
from khaibao.stats.tests.helpers import official_client


def _reminders_section(client: Any, unit: Any) -> str:
    html = client.get(f"/staff/compliance/{unit.pk}/").content.decode()
    start = html.index('data-testid="reminders"')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize(
    ("policy", "reaches"),
    [
        pytest.param(ReminderPolicy.IN_APP, False, id="in-app"),
        pytest.param(ReminderPolicy.IN_APP_AND_SMS, True, id="in-app-and-sms"),
    ],
)
def test_the_page_says_whether_members_without_an_account_are_reminded(
    world: Any, tree: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any,
    policy: str, reaches: bool,
) -> None:
    tree.campaign.reminder_policy = policy
    tree.campaign.save()
    assert policy_sends_sms(policy) is reaches
    section = _reminders_section(official_client(tree.admin), tree.hn)
    assert 'data-testid="reminder-schedule"' in section
    assert 'data-testid="reminder-without-account"' in section
    if reaches:
        assert "members who have never signed in get an SMS to the roster phone" in section
        assert "never signed in are not reminded" not in section
    else:
        assert "Members who have never signed in are not reminded" in section
        assert "members who have signed in and have not done what the campaign asks" in section
        assert "get an SMS to the roster phone" not in section

    # What the page says is what happens: the never-signed-in line gets an SMS or nothing; a
    # member with an account awaiting confirmation is reminded in the app either way.
    settings.DAILY_REMINDER_HOUR = 0
    d = today()
    unconfirmed = member(world, tree.hn, declared_at=at(d), updated_at=at(d), account=True, confirmed=False)
    never_signed_in = Member.objects.get(unit=tree.hn, person__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.campaign_reminders.call()
    texts = [m for m in sms.messages() if m["to"] == never_signed_in.phone]
    assert len(texts) == (1 if reaches else 0)
    assert Notification.objects.filter(kind="campaign_reminder", account=unconfirmed.account).count() == 1


def test_the_page_promises_no_reminder_without_a_policy(world: Any, tree: Any) -> None:
    tree.campaign.reminder_policy = ReminderPolicy.NONE
    tree.campaign.save()
    section = _reminders_section(official_client(tree.admin), tree.hn)
    assert 'data-testid="reminder-schedule"' not in section
    assert 'data-testid="reminder-without-account"' not in section
    assert "sends no reminders" in section
