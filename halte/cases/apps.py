from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "halte.cases"
    label = "cases"
    verbose_name = _("Dossiers")

    def ready(self):
        from .deadlines import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="halte.cases.deadlines.sqlite_functions")
