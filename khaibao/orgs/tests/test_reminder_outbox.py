"""A campaign reminder's SMS is durable (orgs/reminder_sms.py, "the SMS outbox"): the reminder row is
its outbox, written with the batch; a worker killed right after the batch commits no longer
loses the batch's SMS while they count as reminded, and a signed-in member's failed SMS is
retried on the deliveries' schedule, then given up visibly."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from unittest import mock

from django.utils import timezone, translation

from khaibao.core.models import OpsCounter
from khaibao.core.tests.task_runs import run_due_tasks
from khaibao.orgs import reminder_sms
from khaibao.orgs.models import CampaignReminder, CampaignReminderRun, OrgSmsDailyCounter, ReminderSmsStatus
from khaibao.orgs.reminder_batches import campaign_reminder_send
from khaibao.orgs.reminders import campaign_reminders_send
from khaibao.orgs.tasks import campaign_reminder_sms_requeue
from khaibao.orgs.tests.helpers import signed_in_lines
from khaibao.orgs.tests.test_org_sms_budget import _organisation

SMS_TASK = "khaibao.orgs.tasks.campaign_reminder_sms_send"


def _run_sms_tasks() -> list[Any]:
    """Run the reminder SMS tasks that are due, as the worker would; their return values in order."""
    return run_due_tasks(SMS_TASK)


def _morning() -> datetime:
    # Far from midnight: the retries (1, 5, 25 minutes) stay within the day.
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(10, 0)))


def test_a_batch_whose_worker_died_after_the_commit_is_sent_by_the_sweep(
    world: Any, sms: Any, settings: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_morning())
    campaign, lines = _organisation("ORGB", 3)
    day = timezone.localdate()
    # The batch commits; the worker dies before its SMS go (kill -9 right after the commit).
    with django_capture_on_commit_callbacks(execute=False):
        assert campaign_reminders_send(day=day) == 3
    assert set(CampaignReminder.objects.values_list("sms", flat=True)) == {ReminderSmsStatus.QUEUED}
    # The next runs do not remind them again (one reminder a day) ...
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminders_send(day=day) == 0
    assert sms.messages() == []
    assert campaign_reminder_sms_requeue.call() == 0  # not yet: the first attempt may still be on its way

    # ... the sweep sends what the dead worker did not.
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS + 1))
    assert campaign_reminder_sms_requeue.call() == 3
    assert _run_sms_tasks() == ["sent"] * 3
    assert sorted(m["to"] for m in sms.messages()) == sorted(line.phone for line in lines)
    assert set(CampaignReminder.objects.values_list("sms", flat=True)) == {ReminderSmsStatus.SENT}
    assert CampaignReminderRun.objects.get(campaign=campaign, day=day).sent == 3
    assert OrgSmsDailyCounter.objects.get(day=day, organisation="ORGB").sent == 3
    # Sent once: a second sweep, or a duplicate task, sends nothing more.
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS + 1))
    assert campaign_reminder_sms_requeue.call() == 0
    assert reminder_sms.reminder_sms_send(CampaignReminder.objects.first().pk) == "skipped"  # type: ignore[union-attr]
    assert len(sms.messages()) == 3


def test_sent_at_once_the_batch_commits_nothing_is_left_for_the_sweep(
    world: Any, sms: Any, settings: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_morning())
    _organisation("ORGA", 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminders_send() == 2
    assert len(sms.messages()) == 2
    assert set(CampaignReminder.objects.values_list("sms", "next_attempt_at")) == {(ReminderSmsStatus.SENT, None)}
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS * 2))
    assert campaign_reminder_sms_requeue.call() == 0


def test_a_signed_in_members_failed_sms_is_retried_then_sent(
    world: Any, sms: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_morning())
    campaign, _lines = _organisation("ORGC", 0)
    (member,) = signed_in_lines(campaign.unit.children.get(), 1)
    day = timezone.localdate()
    with mock.patch.object(reminder_sms, "send_sms", side_effect=TimeoutError("gateway timed out")), \
            django_capture_on_commit_callbacks(execute=True):
        campaign_reminder_send(campaign=campaign, member=member, day=day)
    row = CampaignReminder.objects.get(member=member, day=day)
    assert (row.channel, row.sms, row.attempts) == ("in_app", ReminderSmsStatus.FAILED, 1)
    with translation.override("en"):
        assert row.get_sms_display() == "SMS not sent yet, will retry"
    assert row.get_sms_display() == "Chưa gửi được tin nhắn SMS, sẽ thử lại"
    assert _run_sms_tasks() == []  # not due before the first retry delay (1 minute)

    time_machine.move_to(timezone.now() + timedelta(minutes=1, seconds=1))
    assert _run_sms_tasks() == ["sent"]
    (message,) = sms.messages()
    assert message["to"] == member.account.phone  # type: ignore[union-attr]
    row.refresh_from_db()
    assert (row.sms, row.next_attempt_at, row.last_error) == (ReminderSmsStatus.SENT, None, "")
    assert OrgSmsDailyCounter.objects.get(day=day, organisation="ORGC").sent == 1


def test_a_signed_in_members_sms_is_given_up_visibly_after_the_last_attempt(
    world: Any, sms: Any, settings: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_morning())
    campaign, _lines = _organisation("ORGC", 0)
    (member,) = signed_in_lines(campaign.unit.children.get(), 1)
    day = timezone.localdate()
    with mock.patch.object(reminder_sms, "send_sms", side_effect=TimeoutError("gateway timed out")):
        with django_capture_on_commit_callbacks(execute=True):
            campaign_reminder_send(campaign=campaign, member=member, day=day)
        outcomes = []
        for _attempt in range(settings.NOTIFY_MAX_ATTEMPTS - 1):
            due = CampaignReminder.objects.get().next_attempt_at
            assert due is not None
            time_machine.move_to(due + timedelta(seconds=1))
            outcomes += _run_sms_tasks()
    assert outcomes == ["failed"] * (settings.NOTIFY_MAX_ATTEMPTS - 2) + ["gave_up"]
    row = CampaignReminder.objects.get()
    assert (row.sms, row.attempts, row.next_attempt_at) == (
        ReminderSmsStatus.GAVE_UP, settings.NOTIFY_MAX_ATTEMPTS, None
    )
    with translation.override("en"):
        assert row.get_sms_display() == "SMS could not be sent: reach them another way"
    assert "gateway timed out" in row.last_error
    assert OrgSmsDailyCounter.objects.get(day=day, organisation="ORGC").sent == 0  # the slot went back
    assert OpsCounter.objects.filter(name="orgs.reminder_sms.gave_up").exists()
    assert sms.messages() == []
    # Still reminded in the app: the in-app reminder stands.
    assert CampaignReminder.objects.filter(member=member, day=day, channel="in_app").exists()


def test_a_roster_line_whose_swept_sms_fails_is_not_reminded_and_the_next_run_reminds_it(
    world: Any, sms: Any, settings: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_morning())
    _campaign, (line,) = _organisation("ORGA", 1)
    day = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=False):
        campaign_reminders_send(day=day)
    time_machine.move_to(timezone.now() + timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS + 1))
    campaign_reminder_sms_requeue.call()
    with mock.patch.object(reminder_sms, "send_sms", side_effect=TimeoutError("gateway timed out")):
        assert _run_sms_tasks() == ["forgotten"]
    assert not CampaignReminder.objects.filter(member=line, day=day).exists()
    assert OrgSmsDailyCounter.objects.get(day=day, organisation="ORGA").sent == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminders_send(day=day) == 1
    (message,) = sms.messages()
    assert message["to"] == line.phone


def test_the_sms_after_midnight_is_not_sent(
    world: Any, sms: Any, settings: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # A batch committed at 23:59 whose worker died: the sweep finds it after midnight.
    time_machine.move_to(timezone.make_aware(datetime.combine(timezone.localdate(), time(23, 59))))
    _organisation("ORGA", 1)
    day = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=False):
        campaign_reminders_send(day=day)
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    assert campaign_reminder_sms_requeue.call() == 1
    assert _run_sms_tasks() == ["forgotten"]
    assert sms.messages() == []
    assert not CampaignReminder.objects.filter(day=day).exists()
    assert OrgSmsDailyCounter.objects.get(day=day, organisation="ORGA").sent == 0
