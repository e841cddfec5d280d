from __future__ import annotations

from django_tasks import task

from khaibao.cases.missed import missed_updates_refresh as refresh


@task()
def missed_updates_refresh() -> dict[str, int]:
    """Every 5 minutes (settings.PERIODIC_TASKS): missed days, escalation, lost to follow-up."""
    report = refresh()
    return {"checked": report.checked, "changed": report.changed}
