"""`manage.py backup <folder>`: the database, every stored file and a manifest of their SHA-256.

Never the keys: they are saved separately (docs/deploy.md). See ``halte.core.backup``.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from halte.audit.journal import record
from halte.audit.models import Action
from halte.core import backup


class Command(BaseCommand):
    help = "Sauvegarde la base de données et les fichiers chiffrés dans un dossier neuf, avec un manifeste SHA-256."

    def add_arguments(self, parser):
        parser.add_argument("destination", help="Dossier de la sauvegarde (inexistant ou vide).")

    def handle(self, *args, destination, verbosity=1, **options):
        progress = self.stdout.write if verbosity > 1 else None
        try:
            manifest = backup.backup(Path(destination), progress=progress)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        record(
            Action.BACKUP_MADE,
            detail={
                "files": len(manifest["files"]),
                "database_sha256": manifest["database"]["sha256"],
                "key_ids": manifest["key_ids"],
            },
        )
        self.stdout.write(
            f"Sauvegarde écrite dans {destination} : base de données et {len(manifest['files'])} fichier(s). "
            f"Clés nécessaires à la restauration (sauvegardées à part) : {', '.join(manifest['key_ids']) or 'aucune'}."
        )
