from __future__ import annotations

from django_tasks import task

from khaibao.audit.services import audit_seal

# A run stops starting new batches after this long (half the task's period, settings.PERIODIC_TASKS):
# a backlog is worked off over the next runs without keeping the worker from its other jobs.
SEAL_BUDGET_SECONDS = 5.0
SEAL_BATCH = 5000  # rows a transaction


@task()
def audit_chain_seal() -> dict[str, int]:
    """Every 10 s (settings.PERIODIC_TASKS): link the audit rows appended since into the chain,
    5,000 rows a transaction, for up to SEAL_BUDGET_SECONDS."""
    report = audit_seal(batch=SEAL_BATCH, budget_seconds=SEAL_BUDGET_SECONDS)
    return {"sealed": report.sealed, "waiting": report.waiting}
