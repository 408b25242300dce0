"""The first two accounts of a new installation: an administrator and a coordinator, two people.

Every membership that reads case content, or that could confirm one, is given by one person and
confirmed by another (``halte.access.grants``). A new installation has nobody to do either: this
command, run once by the operator on the server, creates the cell's organisation, an administrator
and a coordinator — two different people — and prints for each a link to choose a password (valid
as long as Django's password-reset links, ``PASSWORD_RESET_TIMEOUT``). Each then enrols a second
factor at first login. Once any administrator or coordinator exists, it refuses: from then on,
memberships are given in Halte, by two people. Journaled.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from halte.accounts.addresses import normalise_email
from halte.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from halte.audit.journal import record
from halte.audit.models import Action


class Command(BaseCommand):
    help = "Crée les deux premiers comptes d'une installation neuve : un administrateur et un coordinateur."

    def add_arguments(self, parser):
        parser.add_argument(
            "--organisation", required=True, help="Nom de la structure de la cellule (ex. DSDEN de la Somme)."
        )
        parser.add_argument("--departement", default="080", help="Code du département (3 caractères, ex. 080).")
        parser.add_argument("--admin", required=True, metavar="COURRIEL", help="Adresse de l'administrateur.")
        parser.add_argument("--admin-name", default="", help="Prénom et nom de l'administrateur.")
        parser.add_argument("--coordinator", required=True, metavar="COURRIEL", help="Adresse du coordinateur.")
        parser.add_argument("--coordinator-name", default="", help="Prénom et nom du coordinateur.")

    def handle(self, *args, **options):
        admin_email = normalise_email(options["admin"])
        coordinator_email = normalise_email(options["coordinator"])
        if "@" not in admin_email or "@" not in coordinator_email:
            raise CommandError("Indiquez deux adresses électroniques valables.")
        if admin_email == coordinator_email:
            raise CommandError(
                "L'administrateur et le coordinateur doivent être deux personnes différentes : "
                "chacun confirme ce que l'autre demande."
            )
        departement = options["departement"].strip()
        if not (1 <= len(departement) <= 3):
            raise CommandError("Le code du département fait 3 caractères au plus (ex. 080, 02A).")
        with transaction.atomic():
            first = Membership.objects.select_for_update().filter(
                role__in=[Role.ADMIN, Role.COORDINATOR], is_active=True
            )
            if first.exists():
                raise CommandError(
                    "Cette installation a déjà un administrateur ou un coordinateur : les rattachements "
                    "se donnent désormais dans Halte, demandés par une personne et confirmés par une autre."
                )
            organisation, _ = Organisation.objects.get_or_create(
                name=options["organisation"].strip(),
                kind=OrganisationKind.EDUCATION,
                defaults={"departement": departement},
            )
            people = []
            for email, name, role in (
                (admin_email, options["admin_name"], Role.ADMIN),
                (coordinator_email, options["coordinator_name"], Role.COORDINATOR),
            ):
                first_name, _sep, last_name = name.strip().partition(" ")
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(email, None, first_name=first_name, last_name=last_name)
                membership = Membership.objects.create(user=user, organisation=organisation, role=role)
                record(
                    Action.ACCOUNTS_INSTALLED,
                    target=membership,
                    detail={"role": role, "organisation": organisation.name, "by": "install_first_accounts"},
                )
                people.append((user, role))
        for user, role in people:
            link = settings.SITE_URL + reverse(
                "accounts:password_reset_confirm",
                args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
            )
            label = "administrateur" if role == Role.ADMIN else "coordinateur"
            self.stdout.write(f"{label} {user.email} — lien pour choisir son mot de passe (à lui remettre) :\n  {link}")
        self.stdout.write(
            "Chacun enregistre ensuite son second facteur à sa première connexion. Les autres rattachements "
            "se donnent dans Halte : l'un demande, l'autre confirme."
        )
