from __future__ import annotations

from django.conf import settings
from django_tasks import task


@task()
def erasure_run(erasure_id: int) -> dict[str, int]:
    """Erase one person's data (queued when a citizen withdraws consent or asks for erasure)."""
    from khaibao.privacy.erasure import person_data_erase
    from khaibao.privacy.models import Erasure

    erasure = Erasure.objects.filter(pk=erasure_id).first()
    if erasure is None:
        return {}
    return person_data_erase(erasure=erasure)


@task()
def retention_purge() -> dict[str, int]:
    """Hourly (settings.PERIODIC_TASKS): erasures left pending, then everything past its
    retention period, in bounded batches so that one run stays short."""
    from khaibao.privacy.retention import retention_run
    from khaibao.privacy.services import erasures_pending_run

    erasures_pending_run()
    return retention_run(max_batches=settings.RETENTION_MAX_BATCHES)
