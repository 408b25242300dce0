from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "halte.core"
    label = "core"
    verbose_name = _("Socle")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the production readiness checks
            plurals,
        )

        plurals.install()
