"""`manage.py scan_evidence`: scan the evidence stored unscanned (no daemon then, or it failed).

Idempotent: a file already found clean or infected is not scanned again. Run it once after
configuring ``HALTE_CLAMD_URL``, and from time to time (cron) to retry failed scans.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from halte.reports import antivirus, vault
from halte.reports.enums import ScanStatus
from halte.reports.models import Evidence


class Command(BaseCommand):
    help = "Analyse par l’antivirus les pièces qui ne l’ont pas été."

    def handle(self, *args, **options):
        if not antivirus.is_configured():
            raise CommandError(_("HALTE_CLAMD_URL n’est pas défini : aucun antivirus à interroger."))
        counts = dict.fromkeys(ScanStatus.values, 0)
        unreadable = 0
        pending = Evidence.objects.filter(scan_status__in=[ScanStatus.NOT_SCANNED, ScanStatus.FAILED])
        for item in pending.select_related("report").iterator():
            try:
                counts[vault.rescan(item)] += 1
            except vault.EvidenceUnreadable:
                unreadable += 1
        self.stdout.write(
            _(
                "Analysées : %(clean)d saines, %(infected)d avec virus (en quarantaine), %(failed)d en échec, "
                "%(unreadable)d illisibles."
            )
            % {
                "clean": counts[ScanStatus.CLEAN],
                "infected": counts[ScanStatus.INFECTED],
                "failed": counts[ScanStatus.FAILED],
                "unreadable": unreadable,
            }
        )
