# Replies to inbound SMS are sent by the worker from an outbox, with retries (review "scale" #9),
# instead of over HTTP inside the webhook's request. Rows received before keep a blank
# `reply_status`: whether their reply left is not known. Adding a column with a constant default
# is a catalogue change on PostgreSQL 11+, not a rewrite of the table.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('smsin', '0004_created_at_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='inboundsms',
            name='reply_status',
            field=models.CharField(blank=True, choices=[('held', 'held back (hourly limit)'), ('queued', 'queued'), ('sent', 'sent'), ('failed', 'failed, will be retried'), ('gave_up', 'gave up')], default='', max_length=10),
        ),
        migrations.CreateModel(
            name='InboundSmsReply',
            fields=[
                ('inbound', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='reply_outbox', serialize=False, to='smsin.inboundsms')),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'inbound SMS reply waiting',
                'verbose_name_plural': 'inbound SMS replies waiting',
                'indexes': [models.Index(fields=['next_attempt_at'], name='smsin_reply_due')],
            },
        ),
    ]
