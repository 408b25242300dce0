from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "halte.delivery"
    label = "delivery"
    verbose_name = _("Envois et tâches de fond")

    def ready(self) -> None:
        # Every app declares its jobs in its `tasks` module: import them so a worker knows them all.
        autodiscover_modules("tasks")
