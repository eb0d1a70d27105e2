"""Callbacks whose body nothing masked keep no encrypted copy of it from now on: ``body``
is the bytes received. Events stored before the exact bytes were kept at all (empty
``body_encrypted``) are marked as differing from what arrived, so that ``raw_body()``
never mistakes their masked text for the bytes received."""

from django.db import migrations


def mark_events_without_their_bytes(apps, schema_editor):
    WebhookEvent = apps.get_model("providers", "WebhookEvent")
    WebhookEvent.objects.filter(body_encrypted=b"", body_redacted=False).update(body_redacted=True)


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0005_webhook_event_fewer_indexes'),
    ]

    operations = [
        migrations.RunPython(mark_events_without_their_bytes, migrations.RunPython.noop, elidable=True),
    ]
