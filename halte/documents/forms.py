"""The short forms in front of each document: what only a person can say (who, when, where, which meeting).

Everything else comes from the case. Free text is stripped of control characters (``TextField``).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm
from halte.interventions import families
from halte.reports.forms import TextField

from . import content
from .content import ConvocationDetails


def _person_choices(people_with_roles) -> list[tuple[str, str]]:
    return [(str(person.public_id), f"{person} — {', '.join(roles)}") for person, roles in people_with_roles]


def _convocation_label(link, restricted: bool) -> str:
    label = _("%(guardian)s — %(relationship)s de %(pupil)s") % {
        "guardian": link.guardian,
        "relationship": link.get_relationship_display().lower(),
        "pupil": link.child,
    }
    if restricted:
        label += " — " + str(_("consigne « ne pas informer » : pas de convocation"))
    return label


class GenerateForm(SubmissionTokenMixin, HalteForm):
    """No question to ask: the document is built from the case (art. 40 report, information préoccupante)."""

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def generation_kwargs(self) -> dict:
        return {}


class ConvocationForm(GenerateForm):
    recipient = forms.ChoiceField(
        label=_("Destinataire"),
        help_text=_(
            "Les représentants légaux qui exercent l’autorité parentale, pour l’élève dont la convocation "
            "porte sur la situation. Il en manque un ? Ajoutez-le depuis le dossier, avec son adresse."
        ),
        error_messages={
            "required": _("Choisissez le destinataire."),
            "invalid_choice": _("Choisissez le destinataire."),
        },
    )
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    at = forms.TimeField(label=_("Heure"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    place = TextField(label=_("Lieu"), max_length=255)
    purpose = TextField(
        label=_("Objet du rendez-vous"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Par exemple : faire le point avec vous sur la situation de votre enfant à l’école. "
            "N’écrivez rien d’une éventuelle procédure judiciaire."
        ),
    )
    contact = TextField(
        label=_("Qui contacter"),
        max_length=255,
        help_text=_("Nom, fonction et téléphone ou adresse électronique, pour prévenir d’un empêchement."),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self._links = {str(link.public_id): link for link in content.convocation_recipients(case)}
        restricted = {link.child_id for link in self._links.values() if families.is_restricted(case, link.child)}
        self.fields["recipient"].choices = [
            ("", "—"),
            *[(key, _convocation_label(link, link.child_id in restricted)) for key, link in self._links.items()],
        ]

    def clean_on(self):
        value = self.cleaned_data["on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choisissez une date à venir."))
        return value

    def generation_kwargs(self) -> dict:
        data = self.cleaned_data
        link = self._links[data["recipient"]]
        return {
            "recipient": link.guardian,
            "convocation": ConvocationDetails(
                on=data["on"],
                at=data["at"],
                place=data["place"],
                purpose=data["purpose"],
                contact=data["contact"],
                pupil=link.child,
            ),
        }


class MinutesForm(GenerateForm):
    meeting = forms.ChoiceField(
        label=_("Réunion"), help_text=_("Les réunions de la cellule où ce dossier était à l’ordre du jour.")
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self._meetings = {str(m.public_id): m for m in content.minutes_meetings(case)}
        self.fields["meeting"].choices = [
            ("", "—"),
            *[
                (key, f"{m.title} — {timezone.localtime(m.starts_at):%d/%m/%Y %H:%M}")
                for key, m in self._meetings.items()
            ],
        ]

    def generation_kwargs(self) -> dict:
        return {"meeting": self._meetings[self.cleaned_data["meeting"]]}


class ClosureLetterForm(GenerateForm):
    recipient = forms.ChoiceField(
        label=_("Destinataire"),
        required=False,
        help_text=_("Un représentant légal de l’élève. Sans choix, le courrier s’adresse « aux parents »."),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        recipients = content.closure_recipients(case)
        self._people = {str(p.public_id): p for p, _roles in recipients}
        self.fields["recipient"].choices = [("", "—"), *_person_choices(recipients)]

    def generation_kwargs(self) -> dict:
        key = self.cleaned_data["recipient"]
        return {"recipient": self._people[key] if key else None}
