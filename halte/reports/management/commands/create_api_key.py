"""`manage.py create_api_key "<structure>" "<nom de la clé>"`: give a partner platform its key."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.accounts.models import Organisation
from halte.reports.apikeys import create_key


class Command(BaseCommand):
    help = _(
        "Crée une clé d’API pour une structure partenaire. La clé est affichée une seule fois : "
        "seule son empreinte est conservée."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help=gettext_lazy("Nom exact de la structure."))
        parser.add_argument("name", help=gettext_lazy("Nom de la clé, par exemple « Plateforme 3018 — production »."))

    def handle(self, *args, organisation: str, name: str, **options):
        found = Organisation.objects.filter(name=organisation).first()
        if found is None:
            raise CommandError(_("Aucune structure ne s’appelle « %(name)s ».") % {"name": organisation})
        if not found.is_active:
            raise CommandError(_("La structure « %(name)s » est désactivée.") % {"name": found.name})
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError(_("Le nom de la clé doit compter entre 1 et 100 caractères."))
        key, raw = create_key(organisation=found, name=name)
        self.stdout.write(
            _("Clé d’API créée pour « %(organisation)s » (début : %(prefix)s).")
            % {
                "organisation": found.name,
                "prefix": key.prefix,
            }
        )
        self.stdout.write("")
        self.stdout.write(raw)
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                _(
                    "Attention : cette clé ne sera plus jamais affichée. Transmettez-la maintenant à la structure "
                    "par un canal sûr ; en cas de perte, révoquez-la et créez-en une autre."
                )
            )
        )
