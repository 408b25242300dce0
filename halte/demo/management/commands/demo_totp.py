from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from halte.demo.loader import account_sheet, demo_totp_key, ensure_allowed


class Command(BaseCommand):
    help = "Affiche le code de double authentification actuel des comptes de démonstration."

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="Un seul compte (adresse ou début d'adresse).")

    def handle(self, *args, email=None, **options):
        try:
            ensure_allowed()
        except Exception as error:
            raise CommandError(str(error)) from error
        rows = [r for r in account_sheet() if not email or str(r["email"]).startswith(email)]
        if not rows:
            raise CommandError("Aucun compte de démonstration ne correspond.")
        for row in rows:
            code = totp(bytes.fromhex(demo_totp_key(str(row["email"]))))
            self.stdout.write(f"{row['email']:<45} {code:06d}")
