"""Campaign reminders at national scale (rollout review P1-3, P2-1, P2-2; orgs/reminder_runs.py):
batches that cost the same however many were reminded before, a bounded number of queries per
member, one run per campaign at a time, nothing sent for a day that ended, an SMS the budget
refused not counted as a reminder, and a "remind now" whose worker died resumed by the sweep."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from khaibao.accounts.models import Account, Role
from khaibao.notifications.models import Notification
from khaibao.orgs import reminder_batches, reminder_runs, reminders, tasks
from khaibao.orgs.models import (
    Campaign,
    CampaignReminder,
    CampaignReminderRun,
    Member,
    OrgSmsDailyCounter,
    OrgUnit,
    ReminderPolicy,
    UnitReminderRun,
)
from khaibao.orgs.tests.helpers import console, roster_lines, signed_in_lines

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 12, 1)
REMIND_TASK = "khaibao.orgs.tasks.unit_remind_now_task"


def _local(day: date, h: int, m: int, s: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=VN)


def _organisation(code: str = "ORGS", *, policy: str = ReminderPolicy.IN_APP_AND_SMS) -> tuple[Campaign, OrgUnit]:
    root = OrgUnit.objects.create(code=code, name=f"Tổ chức {code}")
    unit = OrgUnit.objects.create(code="U1", name=f"Đơn vị {code}", parent=root)
    d = timezone.localdate()
    campaign = Campaign.objects.create(
        unit=root, name="Khai báo", starts_on=d - timedelta(days=1), deadline=d + timedelta(days=5),
        reminder_policy=policy,
    )
    return campaign, unit


def _texted(sms: Any, lines: list[Member]) -> int:
    phones = {line.phone for line in lines}
    return len([m for m in sms.messages() if m["to"] in phones])


def _counter(organisation: str) -> tuple[int, int]:
    row = OrgSmsDailyCounter.objects.get(day=timezone.localdate(), organisation=organisation)
    return row.sent, row.refused


def _admin(unit: OrgUnit) -> Account:
    return Account.objects.create_user(f"adm-{unit.pk}", "pw-admin-2026-x", role=Role.ORG_ADMIN, org_unit=unit)


def _run_queued_remind_now() -> list[int]:
    """What a worker does with the queued "remind now" tasks (the test backend only stores them)."""
    queued = DBTaskResult.objects.filter(task_path=REMIND_TASK, status="READY").order_by("enqueued_at")
    sent = []
    for row in queued:
        sent.append(tasks.unit_remind_now_task.call(*row.args_kwargs["args"]))
        DBTaskResult.objects.filter(pk=row.pk).update(status="SUCCESSFUL")
    return sent


# --- P2-1: an SMS the budget refused is not a reminder ----------------------------------------


def test_a_member_the_sms_budget_refused_is_not_reminded_and_is_reminded_once_the_budget_is_raised(
    world: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DAILY_REMINDER_HOUR = 0
    settings.ORG_SMS_PER_ORG_DAILY = 2
    campaign, unit = _organisation()
    lines = roster_lines(unit, 5)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.campaign_reminders.call() == 2
    assert _texted(sms, lines) == 2
    assert CampaignReminder.objects.filter(day=timezone.localdate()).count() == 2  # not 5
    assert _counter("ORGS") == (2, 3)
    run = CampaignReminderRun.objects.get(campaign=campaign)
    assert (run.sent, run.refused) == (2, 3)

    # Later the same day, with a larger share: the three are reminded, the two are not again.
    settings.ORG_SMS_PER_ORG_DAILY = 10
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.campaign_reminders.call() == 3
    assert _texted(sms, lines) == 5
    assert CampaignReminder.objects.filter(day=timezone.localdate()).count() == 5
    run.refresh_from_db()
    assert (run.sent, run.refused) == (5, 0)


def test_remind_now_shows_how_many_the_sms_budget_left_out(
    world: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ORG_SMS_PER_ORG_DAILY = 3
    campaign, unit = _organisation()
    lines = roster_lines(unit, 5)
    signed_in = signed_in_lines(unit, 1)
    admin = _admin(unit)
    client = console(admin)
    assert client.post(f"/staff/compliance/{unit.pk}/remind/", {"campaign": campaign.pk}).status_code == 302
    run = UnitReminderRun.objects.get(unit=unit)
    with django_capture_on_commit_callbacks(execute=True):
        # The signed-in member is reminded in the app; the roster phones get the SMS first.
        assert reminders.unit_remind_now_run(run.pk) == 4
    run.refresh_from_db()
    assert (run.sent, run.refused) == (4, 2)
    assert run.finished_at is not None
    assert _texted(sms, lines) == 3
    assert _texted(sms, signed_in) == 0
    assert Notification.objects.filter(kind="campaign_reminder", account=signed_in[0].account).count() == 1
    tasks.compliance_refresh.call()
    page = client.get(f"/staff/compliance/{unit.pk}/?campaign={campaign.pk}").content.decode()
    assert 'data-testid="reminder-today-refused"' in page
    assert "đã nhắc 4 thành viên" in page.lower()
    assert "2 thành viên chỉ liên lạc được qua SMS" in page


# --- P2-2: a "remind now" whose worker died is resumed ----------------------------------------


class Killed(BaseException):
    """kill -9 in the middle of a run: nothing after it runs, not even `finally` of the run."""


def test_a_remind_now_killed_half_way_is_resumed_by_the_sweep(
    world: Any, settings: Any, sms: Any, api: Any, time_machine: Any, monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    time_machine.move_to(_local(DAY, 20, 0), tick=False)
    campaign, unit = _organisation()
    lines = roster_lines(unit, 5)
    admin = _admin(unit)
    client = console(admin)
    monkeypatch.setattr(reminders, "BATCH", 2)
    batches = []
    real = reminders.remind_batch

    def dies_in_the_second_batch(*args: Any, **kwargs: Any) -> Any:
        batches.append(1)
        if len(batches) == 2:
            raise Killed
        return real(*args, **kwargs)

    assert client.post(f"/staff/compliance/{unit.pk}/remind/", {"campaign": campaign.pk}).status_code == 302
    run = UnitReminderRun.objects.get(unit=unit)
    with monkeypatch.context() as patch, django_capture_on_commit_callbacks(execute=True):
        patch.setattr(reminders, "remind_batch", dies_in_the_second_batch)
        with pytest.raises(Killed):
            reminders.unit_remind_now_run(run.pk)
    run.refresh_from_db()
    # The first batch committed with its progress; the page says so, not a bare "sending…".
    assert (run.finished_at, run.sent, run.cursor) == (None, 2, lines[1].pk)
    page = client.get(f"/staff/compliance/{unit.pk}/?campaign={campaign.pk}").content.decode()
    assert 'data-testid="reminder-today-progress"' in page
    assert 'data-testid="reminder-today-stalled"' not in page
    # While its lease runs, the run may still be alive: asking again is refused, the sweep waits.
    resp = api.as_(admin).post(f"/orgs/{unit.pk}/remind", {"campaign": campaign.pk})
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "already_reminded")
    assert reminders.remind_now_sweep() == {"closed": 0, "requeued": 0}

    # The lease expires (and tasks_sweep has closed the dead worker's task row): the page says
    # the run stalled, the sweep queues it again, a worker finishes it from its cursor.
    time_machine.move_to(_local(DAY, 20, 6), tick=False)
    DBTaskResult.objects.filter(task_path=REMIND_TASK).update(status="FAILED")
    page = client.get(f"/staff/compliance/{unit.pk}/?campaign={campaign.pk}").content.decode()
    assert 'data-testid="reminder-today-stalled"' in page
    assert f'action="/staff/compliance/{unit.pk}/remind/"' in page
    assert reminders.remind_now_sweep() == {"closed": 0, "requeued": 1}
    assert reminders.remind_now_sweep() == {"closed": 0, "requeued": 0}  # already waiting
    with django_capture_on_commit_callbacks(execute=True):
        assert _run_queued_remind_now() == [5]
    run.refresh_from_db()
    assert run.finished_at is not None
    assert (run.sent, run.refused) == (5, 0)
    assert _texted(sms, lines) == 5  # each once
    assert CampaignReminder.objects.filter(member__in=lines).count() == 5
    resp = api.as_(admin).post(f"/orgs/{unit.pk}/remind", {"campaign": campaign.pk})
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "already_reminded")


def test_a_remind_now_whose_enqueue_was_lost_is_resumed_by_asking_again_or_by_the_sweep(
    world: Any, api: Any, time_machine: Any, monkeypatch: Any
) -> None:
    time_machine.move_to(_local(DAY, 20, 0), tick=False)
    campaign, unit = _organisation()
    roster_lines(unit, 2)
    admin = _admin(unit)
    with monkeypatch.context() as patch:
        patch.setattr(reminder_runs, "_enqueue_remind_now", lambda run_id: None)  # lost
        assert api.as_(admin).post(f"/orgs/{unit.pk}/remind", {"campaign": campaign.pk}).status_code == 202
    assert not DBTaskResult.objects.filter(task_path=REMIND_TASK).exists()
    time_machine.move_to(_local(DAY, 20, 3), tick=False)
    # Asking again answers the run (202) and queues it, instead of a 409 for the rest of the day.
    resp = api.as_(admin).post(f"/orgs/{unit.pk}/remind", {"campaign": campaign.pk})
    assert resp.status_code == 202, resp.content
    assert DBTaskResult.objects.filter(task_path=REMIND_TASK).count() == 1
    assert reminders.remind_now_sweep()["requeued"] == 0  # a task already waits for it
    DBTaskResult.objects.filter(task_path=REMIND_TASK).delete()  # lost again
    assert reminders.remind_now_sweep()["requeued"] == 1
    assert _run_queued_remind_now() == [2]


def test_the_sweep_closes_a_remind_now_of_a_day_that_ended_without_sending(
    world: Any, sms: Any, time_machine: Any, monkeypatch: Any
) -> None:
    time_machine.move_to(_local(DAY, 23, 50), tick=False)
    campaign, unit = _organisation()
    lines = roster_lines(unit, 2)
    monkeypatch.setattr(reminder_runs, "_enqueue_remind_now", lambda run_id: None)
    run = reminders.unit_remind_now(actor=_admin(unit), unit=unit, campaign=campaign)
    time_machine.move_to(_local(DAY + timedelta(days=1), 0, 5), tick=False)
    assert reminders.remind_now_sweep() == {"closed": 1, "requeued": 0}
    run.refresh_from_db()
    assert run.finished_at is not None
    assert reminders.unit_remind_now_run(run.pk) == 0
    assert _texted(sms, lines) == 0
    assert not CampaignReminder.objects.exists()


# --- P1-3: one run per campaign at a time; nothing sent for a day that ended ------------------


def test_a_campaign_run_does_not_start_while_the_previous_one_holds_it_and_takes_over_a_dead_one(
    world: Any, settings: Any, sms: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_local(DAY, 19, 0), tick=False)
    settings.DAILY_REMINDER_HOUR = 19
    campaign, unit = _organisation()
    lines = roster_lines(unit, 3)
    # Another worker's run of the same campaign, at its first member.
    CampaignReminderRun.objects.create(
        campaign=campaign, day=DAY, cursor=lines[0].pk, lease_until=timezone.now() + reminder_runs.LEASE
    )
    time_machine.move_to(_local(DAY, 19, 2), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.campaign_reminders.call() == 0
    assert _texted(sms, lines) == 0
    # Its worker died: once its lease expires the next run continues from its cursor, then a
    # new pass (at the next run) picks up whoever it skipped.
    time_machine.move_to(_local(DAY, 19, 10), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.campaign_reminders.call() == 2
    run = CampaignReminderRun.objects.get(campaign=campaign, day=DAY)
    assert (run.cursor, run.lease_until, run.sent) == (0, None, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.campaign_reminders.call() == 1
    assert _texted(sms, lines) == 3


def test_a_run_crossing_midnight_sends_nothing_for_the_day_that_ended(
    world: Any, settings: Any, sms: Any, time_machine: Any, monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    time_machine.move_to(_local(DAY, 23, 59, 50), tick=False)
    settings.DAILY_REMINDER_HOUR = 19
    campaign, unit = _organisation()
    lines = roster_lines(unit, 4)
    monkeypatch.setattr(reminders, "BATCH", 2)
    calls = []
    real = reminders.campaign_members_to_remind
    start = len(connection.run_on_commit)

    def slow(*args: Any, **kwargs: Any) -> list[Member]:
        calls.append(1)
        if len(calls) == 2:
            # The first batch committed (its SMS went, as in production's autocommit), and took
            # the last seconds of the day.
            pending: list[Any] = connection.run_on_commit[start:]
            del connection.run_on_commit[start:]
            for entry in pending:
                entry[1]()  # (savepoints, callback, robust)
            time_machine.move_to(_local(DAY + timedelta(days=1), 0, 0, 5), tick=False)
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders, "campaign_members_to_remind", slow)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.campaign_reminders.call()
    assert _texted(sms, lines) == 2
    assert CampaignReminder.objects.filter(day=DAY).count() == 2
    assert not CampaignReminder.objects.filter(day=DAY + timedelta(days=1)).exists()
    assert CampaignReminderRun.objects.get(campaign=campaign, day=DAY).lease_until is None


def test_an_sms_still_waiting_at_midnight_is_not_sent(
    world: Any, sms: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_local(DAY, 23, 59, 59), tick=False)
    campaign, unit = _organisation()
    (line,) = roster_lines(unit, 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = reminder_batches.campaign_reminder_send(campaign=campaign, member=line, day=DAY)
        assert sent == reminder_batches.Outcome.SENT
    assert _counter("ORGS") == (1, 0)
    time_machine.move_to(_local(DAY + timedelta(days=1), 0, 0, 1), tick=False)  # the commit was slow
    for callback in callbacks:
        callback()
    assert _texted(sms, [line]) == 0
    # The unsent SMS goes back to the day it was taken for, not to the new day (diff review F6).
    assert OrgSmsDailyCounter.objects.get(day=DAY, organisation="ORGS").sent == 0
    assert not OrgSmsDailyCounter.objects.filter(day=DAY + timedelta(days=1)).exists()


# --- P1-3: batches cost the same; queries per member are bounded ------------------------------


def _queries(run: Any) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        run()
    return [q["sql"] for q in ctx.captured_queries]


def test_the_batch_query_leaves_out_todays_reminders_by_an_index_probe_not_a_list(world: Any) -> None:
    campaign, unit = _organisation()
    roster_lines(unit, 3)
    sql = _queries(lambda: reminders.campaign_members_to_remind(campaign, timezone.localdate()))
    (select,) = [q for q in sql if "orgs_campaignreminder" in q]
    assert "NOT EXISTS" in select.upper()
    assert " NOT IN " not in select.upper()  # NOT IN (today's reminders) hashed them all per batch


def test_a_batch_costs_the_same_however_many_were_reminded_before(
    world: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign, unit = _organisation()

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.campaign_reminders_send()

    roster_lines(unit, 3)
    first = _queries(run)
    CampaignReminderRun.objects.all().delete()
    roster_lines(unit, 3)
    later = _queries(run)  # 3 more, with 3 reminded today already
    CampaignReminderRun.objects.all().delete()
    others = roster_lines(unit, 40)
    CampaignReminder.objects.bulk_create(
        CampaignReminder(member=m, day=timezone.localdate(), campaign=campaign, channel="sms") for m in others
    )
    roster_lines(unit, 3)
    much_later = _queries(run)  # 3 more, with 46 reminded today already
    assert len(first) == len(later) == len(much_later)


def test_queries_per_member_are_bounded_by_batch_not_by_member(
    world: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _campaign, unit = _organisation()

    def run() -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.campaign_reminders_send()

    def fresh_pass() -> None:
        CampaignReminderRun.objects.all().delete()

    # Roster phones only: the SMS budget and the reminder rows are written per batch.
    roster_lines(unit, 3)
    few = len(_queries(run))
    fresh_pass()
    roster_lines(unit, 12)
    many = len(_queries(run))
    assert many == few, (few, many)  # was about 3 queries per member
    # Signed-in members: what notify_account costs each (their inbox), and nothing more —
    # the preferences are read once per batch, the SMS budget taken once per batch.
    fresh_pass()
    signed_in_lines(unit, 2)
    few = len(_queries(run))
    fresh_pass()
    signed_in_lines(unit, 8)
    many = len(_queries(run))
    assert (many - few) / 6 <= 6, (few, many)  # was 12 to 16 per member
    assert Notification.objects.filter(kind="campaign_reminder").count() == 10


def test_a_pass_goes_through_lines_reminded_already_a_window_of_ids_at_a_time(
    world: Any, sms: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign, unit = _organisation()
    lines = roster_lines(unit, 9)
    # Most were reminded already (by "remind now", an earlier run): windows with nobody to remind.
    CampaignReminder.objects.bulk_create(
        CampaignReminder(member=m, day=timezone.localdate(), campaign=campaign, channel="sms") for m in lines[1:8]
    )
    monkeypatch.setattr(reminders, "WINDOW", 2)
    selects = []
    real = reminders.campaign_members_to_remind

    def counted(*args: Any, **kwargs: Any) -> list[Member]:
        selects.append(kwargs["upto"] - kwargs["after"])
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders, "campaign_members_to_remind", counted)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.campaign_reminders_send() == 2
    assert _texted(sms, [lines[0], lines[8]]) == 2
    assert selects
    assert max(selects) <= 2
    assert CampaignReminderRun.objects.get(campaign=campaign).cursor == 0  # the pass ended


def test_a_pass_walks_only_the_ids_of_its_own_subtree(
    world: Any, sms: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Diff review F2: a campaign's pass walked the whole table's id range a window at a time —
    # one line of another organisation with a high id cost every campaign hundreds of windows.
    campaign, unit = _organisation()
    lines = roster_lines(unit, 3)
    _other_campaign, elsewhere = _organisation("KHAC")
    far = roster_lines(elsewhere, 1)[0]
    Member.objects.filter(pk=far.pk).update(id=2_000_000)
    monkeypatch.setattr(reminders, "WINDOW", 1_000)
    windows = []
    real = reminders.campaign_members_to_remind

    def counted(*args: Any, **kwargs: Any) -> list[Member]:
        if args[0] == campaign:
            windows.append((kwargs["after"], kwargs["upto"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders, "campaign_members_to_remind", counted)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.campaign_reminders_send()
    assert _texted(sms, lines) == 3
    assert len(windows) == 1
    assert windows[0][1] == lines[-1].pk


# --- A slow SMS gateway: the run's lease is kept while a batch's SMS are sent -----------------


def test_a_batchs_slow_sms_keep_the_runs_lease(world: Any, time_machine: Any) -> None:
    time_machine.move_to(_local(DAY, 20, 0), tick=False)
    campaign, _unit = _organisation()
    run = CampaignReminderRun.objects.create(campaign=campaign, day=DAY)
    lease = reminder_runs.lease_claim(CampaignReminderRun, run.pk)
    assert lease is not None
    lapsed = []

    def step(after: int, record: Any, keep: Any, unsent: Any) -> reminder_runs.BatchResult | None:
        if after:
            return None
        result = reminder_runs.BatchResult(last=1, sent=300)
        record(result)
        for _ in range(300):  # 300 SMS at 2 s each: ten minutes, twice the lease
            time_machine.shift(2)
            keep()
            if CampaignReminderRun.objects.get(pk=run.pk).lease_until <= timezone.now():
                lapsed.append(timezone.now())
            # Meanwhile no other worker can take the run over.
            assert reminder_runs.lease_claim(CampaignReminderRun, run.pk) is None
        return result

    _sent, held, done = reminder_runs.run_batches(CampaignReminderRun, run.pk, lease, day=DAY, step=step)
    assert lapsed == []
    assert held is not None
    assert done


def test_each_sms_of_a_batch_keeps_the_lease(
    world: Any, sms: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    time_machine.move_to(_local(DAY, 20, 0), tick=False)
    campaign, unit = _organisation()
    lines = roster_lines(unit, 3)
    kept = []
    with django_capture_on_commit_callbacks(execute=True):
        reminder_batches.remind_batch(campaign, lines, DAY, keep=lambda: kept.append(1))
    assert _texted(sms, lines) == 3
    assert len(kept) == 3
