"""The short forms in front of each document: what only a person can say (who, when, where, which meeting).

Everything else comes from the case. Free text is stripped of control characters (``TextField``).
"""

from __future__ import annotations

from datetime import time

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from halte.access.partners import document_recipients
from halte.core.french import of_name
from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm
from halte.interventions import families
from halte.reports.forms import TextField

from . import content
from .content import ConvocationDetails

# A convocation outside these hours (or on a Saturday or a Sunday) is generated only once confirmed.
MORNING = time(8, 0)
EVENING = time(18, 0)


def _person_choices(people_with_roles) -> list[tuple[str, str]]:
    return [(str(person.public_id), f"{person} — {', '.join(roles)}") for person, roles in people_with_roles]


def _convocation_label(link, hold) -> str:
    label = _("%(guardian)s — %(relationship)s %(of_pupil)s") % {
        "guardian": link.guardian,
        "relationship": link.get_relationship_display().lower(),
        "of_pupil": of_name(link.child),
    }
    if not content.has_postal_address(link.guardian):
        label = _("%(label)s — adresse manquante") % {"label": label}
    if hold is None:
        return label
    if hold.kind == families.Hold.RESTRICTION:
        note = _("consigne « ne pas informer » : pas de convocation")
    elif hold.kind == families.Hold.ELSEWHERE:
        note = _("consigne : ne pas contacter cette famille tant que cette consigne n’est pas levée")
    else:
        note = _("parents non informés (intérêt de l’enfant) : pas de convocation")
    return f"{label} — {note}"


class GenerateForm(SubmissionTokenMixin, HalteForm):
    """No question to ask: the document is built from the case."""

    def __init__(self, *args, case, membership=None, kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.membership = membership
        self.kind = kind

    def generation_kwargs(self) -> dict:
        return {}


class AddressedForm(GenerateForm):
    """A document addressed to a partner of the cell (art. 40 report: the parquet; information
    préoccupante: the CRIP), chosen among the active entries of the case's département's directory."""

    partner = forms.ChoiceField(
        label=_("Destinataire"),
        help_text=_("Choisi dans l’annuaire des partenaires de la cellule ; son adresse est imprimée sur le document."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        partners = list(document_recipients(self.membership, self.case, self.kind))
        self._partners = {str(p.public_id): p for p in partners}
        self.fields["partner"].choices = [("", "—"), *[(key, _partner_label(p)) for key, p in self._partners.items()]]
        if partners:
            self.fields["partner"].initial = str(partners[0].public_id)
        self.no_partner = not partners

    def clean_partner(self):
        value = self.cleaned_data["partner"]
        if value not in self._partners:
            raise forms.ValidationError(_("Choisissez un destinataire de l’annuaire."))
        return value

    def clean(self):
        cleaned = super().clean()
        if self.no_partner:
            raise forms.ValidationError(
                _(
                    "Aucun destinataire de ce document n’est inscrit dans l’annuaire des partenaires du "
                    "département du dossier : la coordination de la cellule doit d’abord l’y ajouter "
                    "(menu « Partenaires »)."
                )
            )
        return cleaned

    def generation_kwargs(self) -> dict:
        return {"partner": self._partners[self.cleaned_data["partner"]]}


def _partner_label(partner) -> str:
    lines = partner.address_lines()
    town = f" ({lines[-1]})" if lines else ""
    return f"{partner}{town}"


def unusual_time(on, at) -> str:
    """Why a convocation on ``on`` at ``at`` needs a confirmation (a weekend, an evening), or ""."""
    if on is None or at is None:
        return ""
    moment = {"day": date_format(on, "l j F Y"), "time": at.strftime("%H:%M")}
    if on.weekday() >= 5:
        return _("Le rendez-vous tombe un week-end (%(day)s à %(time)s).") % moment
    if at >= EVENING or at < MORNING:
        return _("Le rendez-vous est fixé en dehors des heures habituelles (%(day)s à %(time)s).") % moment
    return ""


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
    confirm_time = forms.BooleanField(
        label=_("Je confirme ce jour et cette heure : la famille a pu les choisir ou les accepter."),
        required=False,
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self._links = {str(link.public_id): link for link in content.convocation_recipients(case)}
        links = self._links.values()
        holds = families.holds_on(case, {link.child_id: link.child for link in links}.values())
        # The guardian herself is flagged too, when held through another child of hers.
        held_guardians = families.guardian_holds(case, {link.guardian_id: link.guardian for link in links}.values())
        self.fields["recipient"].choices = [
            ("", "—"),
            *[
                (key, _convocation_label(link, holds.get(link.child_id) or held_guardians.get(link.guardian_id)))
                for key, link in self._links.items()
            ],
        ]
        # The confirmation is asked only once the date and time given fall on a weekend or an evening.
        self.time_warning = self._posted_time_warning()
        if not self.time_warning:
            del self.fields["confirm_time"]

    def _posted_time_warning(self) -> str:
        if not self.is_bound:
            return ""
        try:
            on = self.fields["on"].clean(self.data.get(self.add_prefix("on")))
            at = self.fields["at"].clean(self.data.get(self.add_prefix("at")))
        except forms.ValidationError:
            return ""
        return unusual_time(on, at)

    def clean_on(self):
        value = self.cleaned_data["on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choisissez une date à venir."))
        return value

    def clean(self):
        cleaned = super().clean()
        if self.time_warning and not cleaned.get("confirm_time"):
            self.add_error(
                "confirm_time",
                _("%(warning)s Cochez la case pour confirmer, ou choisissez un autre moment.")
                % {"warning": self.time_warning},
            )
        return cleaned

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._meetings = {str(m.public_id): m for m in content.minutes_meetings(self.case)}
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        recipients = content.closure_recipients(self.case)
        self._people = {str(p.public_id): p for p, _roles in recipients}
        self.fields["recipient"].choices = [("", "—"), *_person_choices(recipients)]

    def generation_kwargs(self) -> dict:
        key = self.cleaned_data["recipient"]
        return {"recipient": self._people[key] if key else None}
