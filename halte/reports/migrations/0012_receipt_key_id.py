"""Receipt digests record the id of the key they were made with.

Every code issued so far was keyed with SECRET_KEY: those rows are marked ``legacy``, the id under which
``halte.reports.receipts`` still finds them with SECRET_KEY (and its fallbacks), then re-keys them with
the current receipt key the first time they are typed. No code stops working."""

from django.db import migrations, models


def mark_existing_codes_legacy(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Report.objects.filter(receipt_lookup__isnull=False).update(receipt_key_id="legacy")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0011_reporter_kind_in_the_third_person"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="receipt_key_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.RunPython(mark_existing_codes_legacy, migrations.RunPython.noop),
    ]
