"""`manage.py import_schools FILE`: load an official export of the school directory."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.directory.importer import ImportAborted, ImportFileError, import_schools


class Command(BaseCommand):
    help = _(
        "Importe les établissements d'un export officiel de l'Éducation nationale (« Annuaire de "
        "l'éducation » ou « Adresse et géolocalisation des établissements »), au format CSV UTF-8 "
        "séparé par des points-virgules. Les établissements sont mis à jour par UAI."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=gettext_lazy("Chemin du fichier CSV à importer."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy("Analyse le fichier et affiche le bilan sans rien enregistrer."),
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help=gettext_lazy("N'importe rien si une seule ligne est rejetée."),
        )

    def handle(self, *args, file: str, dry_run: bool, strict: bool, **options):
        try:
            result = import_schools(file, dry_run=dry_run, strict=strict)
        except ImportAborted as error:
            self.write_rejected(error.rejected)
            raise CommandError(str(error)) from error
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        if dry_run:
            self.stdout.write(_("Simulation : aucune modification n'a été enregistrée."))
        self.stdout.write(result.summary())
        self.write_rejected(result.rejected)

    def write_rejected(self, rejected: list[tuple[int, str]]) -> None:
        for line, message in rejected:
            self.stdout.write(_("ligne %(line)d : %(message)s") % {"line": line, "message": message})
