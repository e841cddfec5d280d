"""People an official cleared before `PersonStatus.cleared_at` existed (monitoring 0021) get the time
of their latest "cleared" action, so their next daily update cannot undo the clearing either
(docs/officials.md). One UPDATE; people with no status row are left alone."""

from __future__ import annotations

from django.db import migrations

_BACKFILL = """
UPDATE monitoring_personstatus SET cleared_at = (
    SELECT MAX(a.at) FROM cases_followupaction a
    WHERE a.person_id = monitoring_personstatus.person_id AND a.kind = 'cleared'
)
WHERE cleared_at IS NULL AND EXISTS (
    SELECT 1 FROM cases_followupaction a
    WHERE a.person_id = monitoring_personstatus.person_id AND a.kind = 'cleared'
)
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_followup_action_at_index"), ("monitoring", "0021_status_cleared_at")]

    operations = [migrations.RunSQL(_BACKFILL, reverse_sql=migrations.RunSQL.noop, elidable=True)]
