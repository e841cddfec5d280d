from django.db import migrations


def load(apps, schema_editor):
    # Country names now come from CLDR (Babel): reload them in place (the loader is idempotent).
    from khaibao.places.loader import load_places

    load_places(apps.get_model("places", "Province"), apps.get_model("places", "Ward"), apps.get_model("places", "Country"))


class Migration(migrations.Migration):
    dependencies = [("places", "0003_drop_redundant_indexes")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
