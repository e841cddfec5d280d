"""A campaign reminder SMS that fails at the gateway does not count as a reminder for a member whom
only the roster phone reaches: they are reminded by a later run (review-faults finding 4)."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.utils import timezone

from khaibao.notifications.models import Notification
from khaibao.orgs import reminder_batches, reminder_sms
from khaibao.orgs.models import CampaignReminder, CampaignReminderRun, OrgSmsDailyCounter
from khaibao.orgs.reminder_batches import Outcome, campaign_reminder_send
from khaibao.orgs.reminders import campaign_reminders_send
from khaibao.orgs.tests.helpers import signed_in_lines
from khaibao.orgs.tests.test_org_sms_budget import _organisation

GATEWAY_DOWN = mock.patch.object(reminder_sms, "send_sms", side_effect=TimeoutError("gateway timed out"))


def test_a_roster_line_whose_sms_failed_is_reminded_by_the_next_call(
    world: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign, (line,) = _organisation("ORGA", 1)
    day = timezone.localdate()
    with GATEWAY_DOWN, django_capture_on_commit_callbacks(execute=True):
        campaign_reminder_send(campaign=campaign, member=line, day=day)
    assert not CampaignReminder.objects.filter(member=line, day=day).exists()
    assert OrgSmsDailyCounter.objects.get(day=day, organisation="ORGA").sent == 0  # the slot went back

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminder_send(campaign=campaign, member=line, day=day) == Outcome.SENT
    (message,) = sms.messages()
    assert message["to"] == line.phone
    assert CampaignReminder.objects.filter(member=line, day=day, channel="sms").exists()


def test_a_runs_sent_count_leaves_out_the_failed_sms_and_the_next_run_sends_it(
    world: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign, lines = _organisation("ORGB", 3)
    day = timezone.localdate()
    failing = lines[1].phone

    def gateway(*, to: str, body: str) -> None:
        if to == failing:
            raise TimeoutError("gateway timed out")
        sms_sent.append(to)

    sms_sent: list[str] = []
    with mock.patch.object(reminder_sms, "send_sms", side_effect=gateway), django_capture_on_commit_callbacks(execute=True):
        campaign_reminders_send(day=day)
    run = CampaignReminderRun.objects.get(campaign=campaign, day=day)
    assert run.sent == 2
    assert set(CampaignReminder.objects.filter(day=day).values_list("member_id", flat=True)) == {
        lines[0].pk, lines[2].pk
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminders_send(day=day) == 1
    assert [m["to"] for m in sms.messages()] == [failing]
    run.refresh_from_db()
    assert run.sent == 3


def test_a_signed_in_member_whose_sms_failed_keeps_the_in_app_reminder(
    world: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign, _lines = _organisation("ORGC", 0)
    (member,) = signed_in_lines(campaign.unit.children.get(), 1)
    day = timezone.localdate()
    with GATEWAY_DOWN, django_capture_on_commit_callbacks(execute=True):
        campaign_reminder_send(campaign=campaign, member=member, day=day)
    assert CampaignReminder.objects.filter(member=member, day=day, channel="in_app").exists()
    assert Notification.objects.filter(account=member.account, kind="campaign_reminder").count() == 1
    assert sms.messages() == []


def test_the_outcome_says_unsent_when_the_batch_commits_before_the_answer(world: Any, sms: Any) -> None:
    # Outside any caller's transaction (the worker), the SMS is tried as the batch commits.
    campaign, (line,) = _organisation("ORGA", 1)
    day = timezone.localdate()
    with GATEWAY_DOWN, mock.patch.object(reminder_batches.transaction, "on_commit", lambda fn, robust=False: fn()):
        assert campaign_reminder_send(campaign=campaign, member=line, day=day) == Outcome.UNSENT
    assert not CampaignReminder.objects.filter(member=line, day=day).exists()
