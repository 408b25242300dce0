"""`manage.py revoke_api_key <début de la clé>`: revoke a partner's key for good."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.reports.apikeys import revoke
from halte.reports.models import ApiKey


class Command(BaseCommand):
    help = _("Révoque définitivement une clé d’API, désignée par son début (8 caractères).")

    def add_arguments(self, parser):
        parser.add_argument("prefix", help=gettext_lazy("Début de la clé, tel qu’affiché dans l’administration."))

    def handle(self, *args, prefix: str, **options):
        key = ApiKey.objects.select_related("organisation").filter(prefix=prefix.strip()).first()
        if key is None:
            raise CommandError(_("Aucune clé d’API ne commence par « %(prefix)s ».") % {"prefix": prefix})
        if key.revoked_at is not None:
            self.stdout.write(_("La clé %(key)s était déjà révoquée.") % {"key": key})
            return
        revoke(key=key)
        self.stdout.write(_("Clé révoquée : %(key)s. Elle ne permet plus aucun appel.") % {"key": key})
