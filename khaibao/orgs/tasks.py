from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_tasks import task


@task()
def compliance_refresh() -> int:
    """Every 60 s (settings.PERIODIC_TASKS): today's compliance rollups of every campaign in force."""
    from khaibao.orgs.rollups import compliance_refresh as refresh

    return sum(result.units for result in refresh())


@task()
def compliance_snapshot() -> int:
    """Every 5 minutes: freeze yesterday's report once, and today's from 23:55 local (idempotent)."""
    from khaibao.orgs.rollups import compliance_snapshot as snapshot

    return snapshot()


@task()
def campaign_reminders() -> int:
    """Every 10 minutes from `DAILY_REMINDER_HOUR`: remind members who have not complied (once a
    day), until midnight. A campaign whose previous run still goes is skipped (its lease). Every
    slot, at any hour, first resumes the stalled "remind now" runs (`remind_now_sweep`), so they
    are resumed even where the sweep is not scheduled on its own."""
    from khaibao.orgs.reminders import campaign_reminders_send, remind_now_sweep

    remind_now_sweep()
    if timezone.localtime().hour < settings.DAILY_REMINDER_HOUR:
        return 0
    return campaign_reminders_send()


@task()
def unit_remind_now_task(run_id: int) -> int:
    """An admin's "remind now" for a unit's subtree (orgs.reminders.unit_remind_now)."""
    from khaibao.orgs.reminders import unit_remind_now_run

    return unit_remind_now_run(run_id)


@task()
def remind_now_sweep() -> dict[str, int]:
    """Every minute: queue again the "remind now" runs whose worker died or whose enqueue was lost,
    close those of a day that ended (orgs.reminder_runs.remind_now_sweep)."""
    from khaibao.orgs.reminders import remind_now_sweep as sweep

    return sweep()


@task()
def campaign_reminder_sms_send(reminder_id: int) -> str:
    """One attempt at a campaign reminder's SMS: a retry, or one lost after its batch committed
    (orgs.reminder_sms.reminder_sms_send)."""
    from khaibao.orgs.reminder_sms import reminder_sms_send

    return reminder_sms_send(reminder_id)


@task()
def campaign_reminder_sms_requeue() -> int:
    """Every minute (settings.PERIODIC_TASKS): queue again the reminder SMS whose time passed long
    ago — a worker killed right after its batch committed, a lost enqueue (orgs.reminder_sms)."""
    from khaibao.orgs.reminder_sms import reminder_sms_requeue

    return reminder_sms_requeue()
