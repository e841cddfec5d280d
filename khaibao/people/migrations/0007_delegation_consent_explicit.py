"""Consent is explicit: a delegation's method has no default any more, and the rows recorded
before methods were stored (an empty method, which used to count as consented) are named
"legacy" — the one value people.models.CONSENTED keeps for them."""

from django.db import migrations, models


def name_legacy_rows(apps, schema_editor):
    Delegation = apps.get_model("people", "Delegation")
    Delegation.objects.filter(consent_method="").update(consent_method="legacy")


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0006_delegation_consent_phone'),
    ]

    operations = [
        migrations.RunPython(name_legacy_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='delegation',
            name='consent_method',
            field=models.CharField(choices=[('code', 'One-time code to their phone'), ('witnessed', 'Witnessed verbal consent'), ('pending_code', 'Waiting for the code'), ('legacy', 'Recorded before consent methods were stored')], max_length=20),
        ),
    ]
