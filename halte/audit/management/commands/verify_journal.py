"""`manage.py verify_journal`: recompute the journal's hash chain and compare it with the checkpoints.

Exit code 0 when the chain holds, 1 when it is broken (the first break is named: row id and date).
Reads the checkpoint file of ``HALTE_JOURNAL_CHECKPOINT_DIR`` when there is one, or the file given
with ``--checkpoints`` (for example the lines the DPO received by email).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from halte.audit import checkpoints, verify


class Command(BaseCommand):
    help = (
        "Vérifie la chaîne d’empreintes du journal d’audit et ses points de contrôle ; nomme le premier maillon rompu."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            dest="checkpoint_file",
            help="Fichier de points de contrôle à utiliser (par défaut : celui de Halte).",
        )
        parser.add_argument("--chunk", type=int, default=verify.CHUNK, help="Événements lus à la fois.")

    def handle(self, *args, checkpoint_file=None, chunk=verify.CHUNK, verbosity=1, **options):
        path = Path(checkpoint_file) if checkpoint_file else checkpoints.checkpoint_file()
        if checkpoint_file and path is not None and not path.exists():
            raise CommandError(f"Fichier de points de contrôle introuvable : {path}")
        known = []
        if path is not None and path.exists():
            try:
                known = checkpoints.read(path)
            except checkpoints.CheckpointFileError as error:
                raise CommandError(f"Points de contrôle illisibles ({path}) : {error}") from error
        result = verify.verify(known, chunk=chunk)
        if not known and verbosity:
            self.stderr.write("Aucun point de contrôle : seule la chaîne en base a été vérifiée.")
        if result.ok:
            if verbosity:
                self.stdout.write(
                    f"Journal intègre : {result.rows} événement(s) sur {len(result.days)} jour(s), "
                    f"{len(known)} point(s) de contrôle concordant(s)."
                )
            return
        first = result.first_break
        assert first is not None
        self.stderr.write(f"Journal ROMPU. Premier maillon rompu — {first.describe()}")
        for other in result.breaks:
            if other is not first:
                self.stderr.write(f"Aussi — {other.describe()}")
        raise SystemExit(1)
