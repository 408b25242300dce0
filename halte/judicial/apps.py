from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JudicialConfig(AppConfig):
    name = "halte.judicial"
    label = "judicial"
    verbose_name = _("Volet judiciaire : les faits du parquet")
