"""Forms of the workshop screens: request, assignment, delivery, cancellation, programmes, approvals.

Choices that come from the database (providers, programmes) are computed once by the view and handed
to each form, so that a list page with one assignment form per request costs no query per form.
"""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm
from halte.reports.forms import TextField

from . import enums

PDF_MAGIC = b"%PDF-"
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def checkboxes(choices, label, required=False, help_text=""):
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=required, widget=forms.CheckboxSelectMultiple, help_text=help_text
    )


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RequestForm(SubmissionTokenMixin, HalteForm):
    theme = forms.ChoiceField(label=_("Thème de l’atelier"), choices=enums.Theme.choices)
    levels = checkboxes(enums.Level.choices, _("Niveaux concernés"), required=True)
    classes = TextField(
        label=_("Classes"), max_length=255, required=False, help_text=_("Par exemple : 6e A, 6e B, 5e C.")
    )
    pupil_count = forms.IntegerField(label=_("Nombre d’élèves"), min_value=1, max_value=2000)
    wished_dates = TextField(
        label=_("Dates souhaitées"),
        max_length=255,
        required=False,
        help_text=_("Par exemple : semaine du 12 janvier, ou les mardis matin en février."),
    )
    reason = TextField(
        label=_("Pourquoi cette demande ?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Par exemple : après une situation récente, ou dans le cadre du programme pHARe. "
            "N’écrivez aucun nom d’élève."
        ),
    )


class AssignForm(HalteForm):
    provider = forms.ChoiceField(label=_("Intervenant"))
    programme = forms.ChoiceField(label=_("Atelier proposé (facultatif)"), required=False)
    scheduled_at = forms.DateTimeField(
        label=_("Date et heure prévues"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )

    def __init__(self, *args, providers=(), programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._providers = {str(p.pk): p for p, _label in providers}
        self._programmes = {str(p.pk): p for p in programmes}
        self.fields["provider"].choices = [("", "—"), *((str(p.pk), label) for p, label in providers)]
        self.fields["programme"].choices = [
            ("", _("Aucun en particulier")),
            *((str(p.pk), f"{p.title} — {p.provider}") for p in programmes),
        ]

    def clean_scheduled_at(self) -> datetime:
        value = self.cleaned_data["scheduled_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choisissez une date à venir."))
        return value

    def clean(self):
        data = super().clean()
        data["provider"] = self._providers.get(data.get("provider") or "")
        data["programme"] = self._programmes.get(data.get("programme") or "")
        if self.is_bound and "provider" not in self.errors and data["provider"] is None:
            self.add_error("provider", _("Choisissez un intervenant."))
        return data


class DeliveryForm(HalteForm):
    delivered_on = forms.DateField(label=_("Réalisé le"), widget=date_input())
    delivered_classes = TextField(label=_("Classes touchées"), max_length=255, required=False)
    pupils_reached = forms.IntegerField(label=_("Nombre d’élèves touchés"), min_value=1, max_value=2000)
    facilitators = TextField(label=_("Animateurs"), max_length=255, required=False)
    feedback_positive = forms.IntegerField(
        label=_("Avis positifs des élèves (nombre)"), min_value=0, max_value=2000, required=False
    )
    feedback_negative = forms.IntegerField(
        label=_("Avis négatifs des élèves (nombre)"), min_value=0, max_value=2000, required=False
    )
    notes = TextField(
        label=_("Observations"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("N’écrivez aucun nom d’élève."),
    )


class CancelForm(HalteForm):
    reason = TextField(label=_("Motif d’annulation"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ProgrammeForm(SubmissionTokenMixin, HalteForm):
    title = TextField(label=_("Titre"), max_length=200)
    theme = forms.ChoiceField(label=_("Thème"), choices=enums.Theme.choices)
    levels = checkboxes(enums.Level.choices, _("Niveaux visés"), required=True)
    duration_minutes = forms.IntegerField(label=_("Durée (minutes)"), min_value=15, max_value=600)
    group_size = forms.IntegerField(label=_("Élèves par groupe"), min_value=1, max_value=500)
    description = TextField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ApprovalForm(SubmissionTokenMixin, HalteForm):
    organisation = forms.ChoiceField(label=_("Association"))
    number = TextField(label=_("Numéro d’agrément"), max_length=64)
    issuer = forms.ChoiceField(label=_("Autorité de délivrance"), choices=enums.Issuer.choices)
    themes = checkboxes(enums.Theme.choices, _("Thèmes couverts"))
    valid_from = forms.DateField(label=_("Valable du"), widget=date_input())
    valid_until = forms.DateField(label=_("Valable jusqu’au"), widget=date_input())
    document = forms.FileField(
        label=_("Document d’agrément (facultatif)"), required=False, help_text=_("Un fichier PDF, 10 Mo au plus.")
    )

    def __init__(self, *args, associations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._associations = {str(a.pk): a for a in associations}
        self.fields["organisation"].choices = [("", "—"), *((str(a.pk), str(a)) for a in associations)]

    def clean_organisation(self):
        organisation = self._associations.get(self.cleaned_data["organisation"])
        if organisation is None:
            raise forms.ValidationError(_("Choisissez une association."))
        return organisation

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if not document:
            return None
        if document.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("Le document dépasse 10 Mo."))
        head = document.read(len(PDF_MAGIC))
        document.seek(0)
        if head != PDF_MAGIC:
            raise forms.ValidationError(_("Le document doit être un fichier PDF."))
        return document

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("La fin de validité doit suivre son début."))
        return data
