# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - notifications_notification_account_id_e2a0bb0c (account_id): the index "notification_inbox" (account_id,
#   id DESC)
# - notifications_delivery_notification_id_ea8dc048 (notification_id): the unique constraint
#   "delivery_one_per_channel" (notification_id, channel)
# - notifications_webpushsubscription_account_id_042ead25 (account_id): the unique constraint
#   "webpush_account_endpoint" (account_id, endpoint)
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("notifications_notification", "account_id", "notifications_notification_account_id_e2a0bb0c"),
    ("notifications_delivery", "notification_id", "notifications_delivery_notification_id_ea8dc048"),
    ("notifications_webpushsubscription", "account_id", "notifications_webpushsubscription_account_id_042ead25"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="notification",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries", to="notifications.notification",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications", to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="webpushsubscription",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="webpush_subscriptions", to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
