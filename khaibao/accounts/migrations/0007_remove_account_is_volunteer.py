# Account.is_volunteer goes: a copy of "holds a volunteer appointment in force" kept by the
# appointing and revoking services, read by nothing, and wrong as soon as an appointment expired
# on its own. Whether someone is a volunteer is asked of their appointments
# (people.access.is_active_volunteer). On PostgreSQL dropping the column changes only the catalogue.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_officials_index'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='account',
            name='is_volunteer',
        ),
    ]
