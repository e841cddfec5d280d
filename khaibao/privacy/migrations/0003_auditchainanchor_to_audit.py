# The audit-chain anchor moved to khaibao/audit (the chain's owner); its table stays as it
# is, with its row, so only Django's record of which app holds the model changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0002_drop_redundant_indexes"),
        ("audit", "0006_auditchainanchor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditChainAnchor")],
            database_operations=[],
        ),
    ]
