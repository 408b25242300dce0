"""The form of one entry of the cell's directory of partners, checked the French way: a postal address
with its postcode, a phone number as French numbers are written, an email address."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm
from halte.reports.forms import TextField

from .models import PartnerKind

# 01 23 45 67 89, 01.23.45.67.89, 0123456789, +33 1 23 45 67 89, and short numbers (17, 115, 3018).
_PHONE_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f]")
_PHONE = re.compile(r"^(?:0[1-9]\d{8}|\+33[1-9]\d{8}|\+262\d{9}|\+590\d{9}|\+594\d{9}|\+596\d{9}|1\d{1,2}|3\d{3})$")
_POSTCODE_LINE = re.compile(r"(?:^|\s)(?:\d{5}|\d{2}\s\d{3})\s+\S")


def normalise_phone(value: str) -> str:
    """A French number written in pairs (« 03 22 71 25 00 »), international numbers kept as typed."""
    digits = _PHONE_SEPARATORS.sub("", value)
    if re.fullmatch(r"0\d{9}", digits):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return digits


class PartnerForm(SubmissionTokenMixin, HalteForm):
    kind = forms.ChoiceField(label=_("Type de partenaire"), choices=[("", "—"), *PartnerKind.choices])
    name = TextField(
        label=_("Nom"),
        max_length=255,
        help_text=_("Par exemple : Tribunal judiciaire d’Amiens, Conseil départemental de la Somme."),
    )
    service = TextField(
        label=_("Service"),
        max_length=255,
        required=False,
        help_text=_("Par exemple : Parquet des mineurs, Cellule de recueil des informations préoccupantes."),
    )
    address = TextField(
        label=_("Adresse postale"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Une ligne par ligne de l’enveloppe, avec le code postal et la commune sur la dernière."),
    )
    email = forms.EmailField(
        label=_("Adresse électronique"),
        required=False,
        error_messages={"invalid": _("Saisissez une adresse électronique valide, par exemple nom@exemple.gouv.fr.")},
    )
    phone = TextField(
        label=_("Téléphone"),
        max_length=32,
        required=False,
        help_text=_("Par exemple : 03 22 00 00 00."),
    )
    is_active = forms.BooleanField(
        label=_("En service"),
        required=False,
        initial=True,
        help_text=_("Décochez plutôt que de supprimer : les documents déjà envoyés gardent leur destinataire."),
    )

    def clean_address(self):
        value = self.cleaned_data["address"]
        lines = [" ".join(line.split()) for line in value.splitlines() if line.strip()]
        if len(lines) < 2 or not any(_POSTCODE_LINE.search(line) for line in lines):
            raise forms.ValidationError(
                _(
                    "Saisissez l’adresse sur plusieurs lignes, dont une avec le code postal à 5 chiffres et la "
                    "commune (par exemple : « 14 rue Robert de Luzarches » puis « 80000 Amiens »)."
                )
            )
        return "\n".join(lines)

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        if not value:
            return ""
        if not _PHONE.match(_PHONE_SEPARATORS.sub("", value)):
            raise forms.ValidationError(
                _("Saisissez un numéro de téléphone français à 10 chiffres (03 22 00 00 00) ou au format +33.")
            )
        return normalise_phone(value)

    def partner_values(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("kind", "name", "service", "address", "email", "phone", "is_active")}
