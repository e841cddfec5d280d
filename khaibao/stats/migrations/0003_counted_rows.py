"""The statistics refresh counts the rows written since its last run (stats/counting.py): what it
counted, in which version, and when its last run began. The first run after this recounts
yesterday and today from nothing (`counted_through` is null)."""

import django.db.models.deletion
import khaibao.core.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('places', '0004_country_names_cldr'),
        ('stats', '0002_drop_redundant_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='rollupstate',
            name='counted_through',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='CountedRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('u', 'Daily update'), ('d', 'Health declaration')], max_length=1)),
                ('row_id', models.BigIntegerField()),
                ('day', models.DateField()),
                ('version', models.DateTimeField()),
                ('added', khaibao.core.fields.EncryptedJSONField(blank=True, null=True)),
                ('ward', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='places.ward')),
            ],
            options={
                'indexes': [models.Index(fields=['day'], name='stats_counted_day')],
                'constraints': [models.UniqueConstraint(fields=('source', 'row_id'), name='stats_counted_source_row')],
            },
        ),
    ]
