"""Forms of the steering dashboard: the filters (a GET form) and the yearly report's texts."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from halte.directory.models import Sector
from halte.forms import HalteForm, VersionField
from halte.reports.enums import Channel
from halte.reports.forms import TextField

from . import periods
from .filters import KIND_GROUP_LABELS, Directory, Filters, departement_label

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 2000


def territory_choices(directory: Directory) -> list:
    """ "All", then each département with an open school. Nothing below: a commune's own figures could be
    worked out against its département's (see :mod:`halte.stats.suppression`)."""
    return [
        ("", _("Tout le territoire de la cellule")),
        (_("Départements"), [(f"departement:{code}", departement_label(code)) for code in directory.departements]),
    ]


class MonthInput(forms.TextInput):
    """``<input type="month">``: browsers without a month picker show a text box (hence the help text).
    HTML allows no ``maxlength`` on it: the length is checked by the form alone."""

    input_type = "month"

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.pop("maxlength", None)
        return attrs


class FilterForm(HalteForm):
    annee = forms.TypedChoiceField(label=_("Année scolaire"), coerce=int, required=False)
    du = forms.CharField(
        label=_("Ou bien : du mois"),
        help_text=_("Format : AAAA-MM, par exemple 2025-09"),
        max_length=7,
        required=False,
        widget=MonthInput(attrs={"inputmode": "numeric"}),
    )
    au = forms.CharField(
        label=_("au mois (inclus)"),
        help_text=_("Format : AAAA-MM, par exemple 2026-02"),
        max_length=7,
        required=False,
        widget=MonthInput(attrs={"inputmode": "numeric"}),
    )
    territoire = forms.ChoiceField(label=_("Territoire"), required=False)
    niveau = forms.ChoiceField(label=_("Type d’établissement"), required=False)
    secteur = forms.ChoiceField(label=_("Public ou privé"), required=False)
    canal = forms.ChoiceField(
        label=_("Canal du signalement"), choices=[("", _("Tous les canaux")), *Channel.choices], required=False
    )

    MESSAGES = {
        "month": _("Indiquez le mois sous la forme AAAA-MM, par exemple 2025-09."),
        "both": _("Indiquez le premier et le dernier mois de la période."),
        "order": _("Le premier mois doit précéder le dernier."),
        "span": _("Choisissez une période de %(max)d mois au plus."),
    }

    UNAVAILABLE = {
        "niveau": _(
            "Le tri par type d’établissement n’est pas proposé : dans un département, tous les établissements "
            "d’un même type sont dans une seule commune, et leurs chiffres seraient ceux de cette commune."
        ),
        "secteur": _(
            "Le tri par secteur public ou privé n’est pas proposé : dans un département, tous les établissements "
            "d’un même secteur (et d’un même type) sont dans une seule commune, et leurs chiffres seraient ceux "
            "de cette commune."
        ),
    }

    def __init__(self, *args, directory: Directory, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.years = periods.recent_school_years(now)
        self.fields["annee"].choices = [(year, periods.year_label(year)) for year in self.years]
        self.fields["annee"].initial = self.years[0]
        self.fields["territoire"].choices = territory_choices(directory)
        # Rule 1 of halte.stats.suppression: a split the directory does not allow is not offered at all.
        split = directory.breakdown
        kinds = list(KIND_GROUP_LABELS.items()) if split.by_kind else []
        self.fields["niveau"].choices = [("", _("Tous")), *kinds]
        self.fields["secteur"].choices = [("", _("Les deux")), *(Sector.choices if split.by_sector else [])]
        self.unavailable = [
            self.UNAVAILABLE[name]
            for name, allowed in (("niveau", split.by_kind), ("secteur", split.by_sector))
            if not allowed
        ]

    def _month(self, name: str) -> tuple[int, int] | None:
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        match = MONTH.match(raw)
        if not match:
            self.add_error(name, self.MESSAGES["month"])
            return None
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or not FIRST_YEAR <= year <= self.years[0] + 1:
            self.add_error(name, self.MESSAGES["month"])
            return None
        return year, month

    def clean(self):
        data = super().clean()
        first, last = self._month("du"), self._month("au")
        if self.errors:
            return data
        if first or last:
            if not (first and last):
                self.add_error("au" if first else "du", self.MESSAGES["both"])
                return data
            if last < first:
                self.add_error("au", self.MESSAGES["order"])
                return data
            if periods.month_count(first, last) > periods.MAX_MONTHS:
                self.add_error("au", self.MESSAGES["span"] % {"max": periods.MAX_MONTHS})
                return data
            data["period"] = periods.months(first, last)
        else:
            data["period"] = periods.school_year(data.get("annee") or self.years[0])
        return data

    def filters(self) -> Filters:
        """The validated filters. Call after ``is_valid()`` returned True."""
        data = self.cleaned_data
        territory = data.get("territoire") or ""
        departement = territory.split(":", 1)[1] if territory.startswith("departement:") else ""
        return Filters(
            period=data["period"],
            departement=departement,
            school_kind=data.get("niveau") or "",
            sector=data.get("secteur") or "",
            channel=data.get("canal") or "",
        )


class YearlyReportForm(HalteForm):
    introduction = TextField(
        label=_("Introduction"),
        help_text=_("Le mot de la coordination : l’année de la cellule en quelques lignes."),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    highlights = TextField(
        label=_("Faits marquants"),
        help_text=_(
            "Ce qui a changé, ce qui a bien marché, ce qui a manqué. Aucun nom, aucune situation reconnaissable."
        ),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    outlook = TextField(
        label=_("Perspectives"),
        help_text=_("Les priorités de l’année qui vient."),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    version = VersionField()
