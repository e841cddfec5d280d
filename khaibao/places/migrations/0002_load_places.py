from django.db import migrations


def load(apps, schema_editor):
    from khaibao.places.loader import load_places

    load_places(apps.get_model("places", "Province"), apps.get_model("places", "Ward"), apps.get_model("places", "Country"))


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
