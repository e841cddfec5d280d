# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - orgs_campaignreminder_member_id_513914b2 (member_id): the unique constraint "orgs_reminder_member_day"
#   (member_id, day)
# - orgs_compliancesnapshot_campaign_id_f8395912 (campaign_id): the unique constraint
#   "orgs_snapshot_campaign_unit_day" (campaign_id, unit_id, day)
# - orgs_unitcompliancerollup_campaign_id_d400fa74 (campaign_id): the unique constraint
#   "orgs_rollup_campaign_day_unit" (campaign_id, day, unit_id)
#
# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - orgs_member_phone_index_6ded52e0_like (orgs_member.phone_index): HMAC blind index, only ever compared for
#   equality
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes, drop_pattern_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("orgs_campaignreminder", "member_id", "orgs_campaignreminder_member_id_513914b2"),
    ("orgs_compliancesnapshot", "campaign_id", "orgs_compliancesnapshot_campaign_id_f8395912"),
    ("orgs_unitcompliancerollup", "campaign_id", "orgs_unitcompliancerollup_campaign_id_d400fa74"),
)
# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("orgs_member", "phone_index", "orgs_member_phone_index_6ded52e0_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0004_compliance"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="campaignreminder",
                    name="member",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="orgs.member",
                    ),
                ),
                migrations.AlterField(
                    model_name="compliancesnapshot",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="orgs.campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="unitcompliancerollup",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="orgs.campaign",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
