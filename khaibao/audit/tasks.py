from __future__ import annotations

from django_tasks import task


@task()
def audit_chain_seal() -> dict[str, int]:
    """Every 10 s (settings.PERIODIC_TASKS): link the audit rows appended since into the chain."""
    from khaibao.audit.services import audit_seal

    report = audit_seal()
    return {"sealed": report.sealed, "waiting": report.waiting}
