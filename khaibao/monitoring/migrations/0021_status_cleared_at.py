# When a health official last cleared the person: the assessment leaves out the answers dated up
# to that day (monitoring/inputs.py, `AssessmentInputs.cleared_on`). Nullable, no default: adding
# it rewrites no row and holds the table's lock only for the catalogue change.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0020_daily_update_updated_at_brin")]

    operations = [
        migrations.AddField(
            model_name="personstatus", name="cleared_at", field=models.DateTimeField(blank=True, null=True)
        ),
    ]
