from __future__ import annotations

from django_tasks import task


@task()
def missed_updates_refresh() -> dict[str, int]:
    """Every 5 minutes (settings.PERIODIC_TASKS): missed days, escalation, lost to follow-up."""
    from khaibao.cases.services import missed_updates_refresh as refresh

    report = refresh()
    return {"checked": report.checked, "changed": report.changed}
