# IdempotencyRecord moves here from the api app: the table `api_idempotencyrecord` (created by
# api.0001 and encrypted by api.0002) is kept with its rows, so this only records the model in
# core's state; api.0003 drops it from the api app's state.

import django.utils.timezone
from django.db import migrations, models

import khaibao.core.fields


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_drop_redundant_indexes"),
        ("api", "0002_alter_idempotencyrecord_body"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("owner", models.CharField(max_length=100)),
                        ("key", models.CharField(max_length=255)),
                        ("method", models.CharField(max_length=10)),
                        ("path", models.CharField(max_length=500)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField()),
                        ("content_type", models.CharField(max_length=100)),
                        ("body", khaibao.core.fields.EncryptedBinaryField()),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                    ],
                    options={
                        "db_table": "api_idempotencyrecord",
                        "constraints": [models.UniqueConstraint(fields=("owner", "key"), name="idempotency_owner_key")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
