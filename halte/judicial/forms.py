from django import forms
from django.utils.translation import gettext_lazy as _

from halte.forms import HalteForm, VersionField
from halte.reports.forms import TextField

from .models import FactsEstablished, InvestigationStatus


class JudicialFactsForm(HalteForm):
    procedure_number = TextField(
        label=_("Numéro de procédure (numéro parquet)"),
        help_text=_("Tel qu’il figure sur la procédure, par exemple 26123000045."),
        max_length=40,
        required=False,
    )
    status = forms.ChoiceField(
        label=_("État de l’enquête"),
        choices=[("", _("Pas encore renseigné")), *InvestigationStatus.choices],
        required=False,
    )
    facts_established = forms.ChoiceField(
        label=_("Faits avérés"),
        choices=[("", _("Pas encore renseigné")), *FactsEstablished.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    outcome = TextField(
        label=_("Suite judiciaire"),
        help_text=_("Décision du parquet ou de la juridiction, mesure alternative, date d’audience…"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = VersionField()
