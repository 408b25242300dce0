"""Forms of the training and ambassador screens. No field ever holds a pupil's name."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.directory.models import School
from halte.forms import HalteForm
from halte.reports.forms import TextField

from . import enums

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class SchoolChoiceField(forms.ModelChoiceField):
    """Open schools, sorted and labelled by commune so that a long list stays easy to scan."""

    def __init__(self, **kwargs):
        queryset = School.objects.open().order_by("commune", "name", "uai")
        super().__init__(queryset=queryset, empty_label="—", **kwargs)

    def label_from_instance(self, obj) -> str:
        return f"{obj.commune} — {obj.name} ({obj.uai})"


class SessionForm(SubmissionTokenMixin, HalteForm):
    topic = forms.ChoiceField(label=_("Thème"), choices=enums.TrainingTopic.choices)
    title = TextField(label=_("Intitulé"), max_length=200)
    trainer = TextField(label=_("Formateur ou formatrice"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Date et heure de début"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"), min_value=15, max_value=3000, help_text=_("Par exemple : 180 pour 3 heures.")
    )
    place = TextField(label=_("Lieu"), max_length=255)


class AttendeeForm(SubmissionTokenMixin, HalteForm):
    full_name = TextField(label=_("Nom et prénom"), max_length=200)
    function = TextField(
        label=_("Fonction"), max_length=100, help_text=_("Par exemple : CPE, professeur principal, infirmière.")
    )
    school = SchoolChoiceField(label=_("Établissement"))


class AttendanceForm(HalteForm):
    present = forms.MultipleChoiceField(
        label=_("Personnes présentes"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, attendees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(a.pk), f"{a.full_name} — {a.function}") for a in attendees]

    def present_ids(self) -> set[int]:
        return {int(value) for value in self.cleaned_data["present"]}


class AmbassadorForm(SubmissionTokenMixin, HalteForm):
    school = SchoolChoiceField(label=_("Établissement"))
    trained_on = forms.DateField(
        label=_("Formés le"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("L’année scolaire se déduit de cette date (de septembre à août)."),
    )
    count = forms.IntegerField(label=_("Nombre d’élèves ambassadeurs formés"), min_value=1, max_value=500)

    def clean_trained_on(self) -> date:
        value = self.cleaned_data["trained_on"]
        if value > timezone.localdate() + timedelta(days=1):
            raise forms.ValidationError(_("Indiquez une date passée : on enregistre des élèves déjà formés."))
        return value
