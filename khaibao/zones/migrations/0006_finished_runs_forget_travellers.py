"""A finished warning run no longer keeps who declared travel into its area: the list was the
run's working state (zones.warnings clears it when a run finishes). This clears the lists of
the runs that finished before."""

from django.db import migrations


def forget_travellers(apps, schema_editor):
    ZoneWarningRun = apps.get_model("zones", "ZoneWarningRun")
    ZoneWarningRun.objects.filter(status="done").update(traveller_ids=[])


class Migration(migrations.Migration):

    dependencies = [
        ("zones", "0005_warning_run_unreachable"),
    ]

    operations = [
        migrations.RunPython(forget_travellers, migrations.RunPython.noop, elidable=True),
    ]
