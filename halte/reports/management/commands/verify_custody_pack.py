"""`manage.py verify_custody_pack <scelle.zip> [--public-key cle.pem]`: check a custody pack.

Checks the Ed25519 signature of the manifest, that the signing key is trusted (by default the keys
Halte is configured with, see reports/custody.py; with ``--public-key``, that key only), the readable
manifest, and every file's SHA-256 and size; fails (exit status 1) on the first kind of change found.
"""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.reports import custody


class Command(BaseCommand):
    help = "Vérifie un scellé numérique des pièces : signature, clé, empreinte de chaque fichier."

    def add_arguments(self, parser):
        parser.add_argument("pack", help=gettext_lazy("Le fichier ZIP du scellé."))
        parser.add_argument(
            "--public-key",
            help=gettext_lazy("Clé publique Ed25519 (PEM) à laquelle se fier, au lieu des clés configurées."),
        )

    def handle(self, *args, pack: str, public_key: str | None = None, **options):
        if not Path(pack).is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": pack})
        result = custody.verify_pack(Path(pack), self._trusted(public_key))
        for line in result.checked:
            self.stdout.write(line)
        if result.manifest:
            files = result.manifest.get("files", [])
            withheld = [entry for entry in files if isinstance(entry, dict) and entry.get("withheld")]
            for entry in withheld:
                self.stdout.write(
                    _("Non jointe (%(reason)s) : %(name)s, SHA-256 à la saisie %(sha)s")
                    % {
                        "reason": entry["withheld"],
                        "name": entry.get("original_name"),
                        "sha": entry.get("sha256_at_capture"),
                    }
                )
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(_("Scellé NON conforme : %(count)d problème(s).") % {"count": len(result.problems)})
        self.stdout.write(self.style.SUCCESS(_("Scellé conforme : signature et empreintes vérifiées.")))

    def _trusted(self, path: str | None) -> list[Ed25519PublicKey]:
        if not path:
            return custody.trusted_keys()
        try:
            key = serialization.load_pem_public_key(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise CommandError(_("Clé publique illisible : %(path)s") % {"path": path}) from exc
        if not isinstance(key, Ed25519PublicKey):
            raise CommandError(_("La clé publique n’est pas une clé Ed25519."))
        return [key]
