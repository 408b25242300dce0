from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "halte.audit"
    label = "audit"
    verbose_name = _("Journal d'audit")

    def ready(self):
        from .chain import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="halte.audit.chain.sqlite_functions")
