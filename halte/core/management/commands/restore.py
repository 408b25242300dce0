"""`manage.py restore <folder>`: a backup into an empty database and an empty storage, checked end to end.

Exit code 1 with a French message when the backup is altered or incomplete, the database or the
storage is not empty, or a file does not open (keys absent or different). See ``halte.core.backup``.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from halte.audit.journal import record
from halte.audit.models import Action
from halte.core import backup


class Command(BaseCommand):
    help = "Restaure une sauvegarde de Halte dans une base de données vide et un dossier de fichiers vide."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Dossier d’une sauvegarde faite par « manage.py backup ».")
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="Vérifie seulement les SHA-256 de la sauvegarde, sans rien écrire.",
        )

    def handle(self, *args, source, verify_only=False, **options):
        try:
            if verify_only:
                manifest = backup.verify(Path(source))
                self.stdout.write(
                    "Sauvegarde intacte : base de données et "
                    f"{len(manifest['files'])} fichier(s) conformes au manifeste."
                )
                return
            outcome = backup.restore(Path(source), progress=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = backup.read_manifest(Path(source))
        record(
            Action.BACKUP_RESTORED,
            detail={
                "backup_created_at": manifest["created_at"],
                "database_sha256": manifest["database"]["sha256"],
                "files": outcome.files,
                "evidence_ok": outcome.evidence_ok,
                "documents_ok": outcome.documents_ok,
                "problems": len(outcome.problems),
            },
        )
        self.stdout.write(
            f"Restauration terminée : {outcome.files} fichier(s), {outcome.evidence_ok} pièce(s) et "
            f"{outcome.documents_ok} document(s) ouverts et vérifiés."
        )
        if outcome.problems:
            raise CommandError("À corriger :\n  - " + "\n  - ".join(outcome.problems))
