"""`manage.py rotate_evidence_key`: re-seal every evidence file and document under the current key.

Put the new key first in ``HALTE_EVIDENCE_KEYS`` (keep the old ones after it), restart the site, then
run this command. It can run while the site serves, and can be run again after an interruption: it
takes up the files still sealed with an older key. Exit code 1 when some files could not be read
(missing, altered, or their key absent or different): they are named by public id and keep their key.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from halte.core import rotation
from halte.core.backup import BackupError


class Command(BaseCommand):
    help = "Rechiffre avec la clé courante toutes les pièces et tous les documents scellés avec une clé plus ancienne."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Compte seulement ce qui reste à rechiffrer, par identifiant de clé."
        )

    def handle(self, *args, dry_run=False, verbosity=1, **options):
        try:
            waiting = rotation.pending()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if dry_run:
            self._usage()
            self.stdout.write(f"À rechiffrer : {waiting['evidence']} pièce(s), {waiting['documents']} document(s).")
            return
        progress = self.stdout.write if verbosity > 1 else None
        try:
            outcome = rotation.rotate(progress=progress)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Clé « {outcome.key_id} » : {outcome.evidence} pièce(s) et {outcome.documents} document(s) rechiffrés."
        )
        self._usage()
        if outcome.failed:
            raise CommandError(
                f"{len(outcome.failed)} fichier(s) n’ont pas pu être lus et gardent leur ancienne clé "
                f"(absents, altérés, ou clé absente ou différente) : {', '.join(outcome.failed[:20])}"
            )

    def _usage(self):
        for key_id, count in sorted(rotation.key_usage().items()):
            self.stdout.write(f"Clé « {key_id} » : {count} fichier(s).")
