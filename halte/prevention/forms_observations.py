"""Forms of weak-signal observations: open one (initials and class), add a dated entry from the grid."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm
from halte.reports.forms import TextField

from . import observations
from .enums import Place, Sign
from .models import Observation


class ObservationForm(SubmissionTokenMixin, HalteForm):
    initials = TextField(
        label=_("Initiales de l’élève"),
        max_length=20,
        help_text=_("Seulement les initiales, par exemple L. M. Jamais le nom ni le prénom."),
    )
    class_name = TextField(label=_("Classe"), max_length=50, help_text=_("Par exemple : 5e B."))

    def clean_initials(self) -> str:
        return observations.normalise_initials(self.cleaned_data["initials"])


class EntryForm(SubmissionTokenMixin, HalteForm):
    observed_on = forms.DateField(
        label=_("Date de l’observation"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    place = forms.ChoiceField(label=_("Lieu d’observation"), choices=Place.choices, widget=forms.RadioSelect)
    signs = forms.MultipleChoiceField(
        label=_("Signes observés"),
        choices=Sign.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Cochez tout ce que vous avez vu vous-même."),
        error_messages={"required": _("Cochez au moins un signe observé.")},
    )
    note = TextField(
        label=_("Précisions (facultatif)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Des faits observés, sans nom d’élève ni d’adulte. Elles ne sont pas transmises à la cellule."),
    )

    def __init__(self, *args, observation: Observation, **kwargs):
        super().__init__(*args, **kwargs)
        self.observation = observation
        today = timezone.localdate()
        self.fields["observed_on"].widget.attrs.update(
            {"max": today.isoformat(), "min": observations.earliest_entry_date(observation).isoformat()}
        )
        if not self.is_bound:
            self.initial.setdefault("observed_on", today)

    def clean(self):
        data = super().clean()
        if "observed_on" in data and "signs" in data:
            try:
                observations.check_entry(
                    observation=self.observation, observed_on=data["observed_on"], signs=data["signs"]
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data
