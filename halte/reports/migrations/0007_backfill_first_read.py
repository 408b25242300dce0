"""Reports already handled before the safety net existed count as read, so that the periodic pass does
not escalate the whole history at once: those taken in charge, triaged or attached to a case (read at
the latest when received, as nothing more precise is known), and those whose reading the journal
recorded (read when it says). The others, received and never opened, are escalated as they should be.
"""

from django.db import migrations
from django.db.models import Min, Q


def backfill(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    unread = Report.objects.filter(first_read_at__isnull=True)
    for report in unread.filter(~Q(status="received") | Q(case__isnull=False) | Q(triage__isnull=False)).iterator():
        Report.objects.filter(pk=report.pk).update(first_read_at=report.received_at)
    reads = (
        AuditEvent.objects.filter(action="reports.read", target_type="reports.report")
        .values("target_id")
        .annotate(first=Min("at"))
    )
    for row in reads.iterator():
        Report.objects.filter(public_id=row["target_id"], first_read_at__isnull=True).update(first_read_at=row["first"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_flag_hits_proposed_priority_first_read"),
        ("audit", "0001_initial"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
