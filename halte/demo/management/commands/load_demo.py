from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from halte.demo.loader import account_sheet, demo_totp_key, load_demo, write_account_sheet


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent) et écrit var/demo_accounts.json."

    def handle(self, *args, **options):
        try:
            result = load_demo()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        path = settings.VAR_DIR / "demo_accounts.json"
        write_account_sheet(path)
        if result.changed:
            self.stdout.write(
                f"Démonstration : {result.schools_created} établissement(s), "
                f"{result.organisations_created} structure(s), {result.users_created} compte(s), "
                f"{result.memberships_created} rattachement(s) créés."
            )
        else:
            self.stdout.write("Démonstration : tout était déjà en place, rien n'a changé.")
        self.stdout.write(f"\nComptes de démonstration (aussi dans {path.name} sous var/) :\n")
        for row in account_sheet():
            code = f"{totp(bytes.fromhex(demo_totp_key(str(row['email'])))):06d}"
            self.stdout.write(f"  {row['role']:<20} {row['email']:<45} code actuel : {code}")
        self.stdout.write(
            f"\nMot de passe de tous les comptes : {account_sheet()[0]['password']}\n"
            "Code de double authentification : ajoutez la clé « totp_secret » du fichier dans une application\n"
            "d'authentification, ou lancez « .venv/bin/python manage.py demo_totp » pour les codes du moment.\n"
        )
