# The model moved to khaibao/core (core/idempotency.py owns the store); the table stays as it
# is, rows and all, so only Django's record of which app holds the model changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0002_alter_idempotencyrecord_body"),
        ("core", "0004_idempotencyrecord"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
