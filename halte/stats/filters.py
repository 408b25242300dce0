"""The dashboard's filters and the querysets they select.

What each figure counts, for a period (see :mod:`halte.stats.periods`):

- reports: received in the period (``Report.received_at``);
- cases: opened in the period (``Case.opened_at``) — delays, clocks, priorities are those of the cases
  opened in the period; merged cases (duplicates) are never counted;
- events of cases (follow-ups done, closures, documents generated, actions due, closures followed by a
  reopening) in the period, for cases matching the other filters whenever they were opened;
- meetings held in the period; prevention in the school year of the period (see ``Period``).

Territory, type of school and sector follow the school of the report or case (a report or case with no
known school is counted only when none of these filters is set). The channel of a case is the channel
of its first report. Territory is the whole cell or a département: below it, only the table by commune
exists (see :mod:`halte.stats.suppression`). Types of school are grouped (EREA with the other
establishments), and the type and sector filters are offered only where the directory allows them
(:class:`Directory`, rule 1 of :mod:`halte.stats.suppression`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.cases.models import Case
from halte.directory.models import School, SchoolKind, Sector
from halte.reports.enums import Channel
from halte.reports.models import Report

from .periods import Period
from .suppression import Breakdown, Place, breakdown

# Names of the départements of the académie d'Amiens and its neighbours; others show their code.
DEPARTEMENT_NAMES = {
    "002": "Aisne",
    "060": "Oise",
    "080": "Somme",
    "062": "Pas-de-Calais",
    "059": "Nord",
    "076": "Seine-Maritime",
}


def departement_label(code: str) -> str:
    if not code:
        return _("département non renseigné")
    number = code.lstrip("0") or code
    name = DEPARTEMENT_NAMES.get(code)
    return f"{name} ({number})" if name else _("Département %(number)s") % {"number": number}


# Types of school as the statistics tell them apart: an EREA is often alone in its département, so it is
# counted with the other establishments.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "ecole": (SchoolKind.ECOLE,),
    "college": (SchoolKind.COLLEGE,),
    "lycee": (SchoolKind.LYCEE,),
    "other": (SchoolKind.EREA, SchoolKind.OTHER),
}
KIND_GROUP_OF = {kind: group for group, kinds in KIND_GROUPS.items() for kind in kinds}
KIND_GROUP_LABELS = {
    "ecole": gettext_lazy("École"),
    "college": gettext_lazy("Collège"),
    "lycee": gettext_lazy("Lycée"),
    "other": gettext_lazy("EREA et autres établissements"),
}
# The same, as a kind of establishment in a commune ("Amiens — collèges publics").
CLASS_LABELS = {
    ("ecole", ""): gettext_lazy("écoles"),
    ("ecole", Sector.PUBLIC): gettext_lazy("écoles publiques"),
    ("ecole", Sector.PRIVATE): gettext_lazy("écoles privées"),
    ("college", ""): gettext_lazy("collèges"),
    ("college", Sector.PUBLIC): gettext_lazy("collèges publics"),
    ("college", Sector.PRIVATE): gettext_lazy("collèges privés"),
    ("lycee", ""): gettext_lazy("lycées"),
    ("lycee", Sector.PUBLIC): gettext_lazy("lycées publics"),
    ("lycee", Sector.PRIVATE): gettext_lazy("lycées privés"),
    ("other", ""): gettext_lazy("EREA et autres établissements"),
    ("other", Sector.PUBLIC): gettext_lazy("EREA et autres établissements publics"),
    ("other", Sector.PRIVATE): gettext_lazy("autres établissements privés"),
    ("", Sector.PUBLIC): gettext_lazy("établissements publics"),
    ("", Sector.PRIVATE): gettext_lazy("établissements privés"),
}


def class_label(kind_group: str, sector: str, split: Breakdown) -> str:
    """The words for a class of schools (rule 1), "" when the figures have no class."""
    key = (kind_group if split.by_kind else "", sector if split.by_sector else "")
    return str(CLASS_LABELS[key]) if key != ("", "") else ""


@dataclass(frozen=True)
class Directory:
    """The school directory as the statistics see it: where open schools stand, by département, commune,
    type group and sector (one query), and what rule 1 makes of it."""

    places: tuple[Place, ...]

    @classmethod
    def load(cls) -> Directory:
        rows = (
            School.objects.open().values("departement", "commune", "kind", "sector").annotate(n=Count("pk")).order_by()
        )
        found: dict[tuple[str, str, str, str], int] = {}
        for row in rows:
            key = (row["departement"], row["commune"], KIND_GROUP_OF.get(row["kind"], "other"), row["sector"])
            found[key] = found.get(key, 0) + row["n"]
        return cls(places=tuple(Place(*key, schools=n) for key, n in sorted(found.items())))

    @property
    def breakdown(self) -> Breakdown:
        return breakdown(self.places)

    @property
    def departements(self) -> list[str]:
        return sorted({place.departement for place in self.places if place.departement})


@dataclass(frozen=True)
class Filters:
    period: Period
    departement: str = ""
    school_kind: str = ""  # a key of KIND_GROUPS
    sector: str = ""
    channel: str = ""

    @property
    def has_school_filter(self) -> bool:
        return bool(self.departement or self.school_kind or self.sector)

    @property
    def territory_label(self) -> str:
        if self.departement:
            return departement_label(self.departement)
        return _("tout le territoire de la cellule")

    def school_q(self, prefix: str) -> Q:
        """Conditions on the school reached through ``prefix`` ("school__", "case__school__"…)."""
        q = Q()
        if self.departement:
            q &= Q(**{f"{prefix}departement": self.departement})
        if self.school_kind:
            q &= Q(**{f"{prefix}kind__in": KIND_GROUPS[self.school_kind]})
        if self.sector:
            q &= Q(**{f"{prefix}sector": self.sector})
        return q

    def reports(self) -> QuerySet[Report]:
        starts_at, ends_at = self.period.range()
        reports = Report.objects.filter(received_at__gte=starts_at, received_at__lt=ends_at)
        reports = reports.filter(self.school_q("school__"))
        if self.channel:
            reports = reports.filter(channel=self.channel)
        return reports.order_by()

    def cases(self, *, opened_in_period: bool = True) -> QuerySet[Case]:
        cases = Case.objects.filter(merged_into__isnull=True).filter(self.school_q("school__"))
        if opened_in_period:
            starts_at, ends_at = self.period.range()
            cases = cases.filter(opened_at__gte=starts_at, opened_at__lt=ends_at)
        if self.channel:
            # The case's first report (by reception, then id) came by this channel: a report of the case by
            # the channel that no report of the case precedes. EXISTS and NOT EXISTS in the WHERE clause
            # become a semi-join and an anti-join, not a subquery run again for each case.
            earlier = Report.objects.filter(case=OuterRef("case")).filter(
                Q(received_at__lt=OuterRef("received_at"))
                | Q(received_at=OuterRef("received_at"), id__lt=OuterRef("id"))
            )
            first_by_channel = Report.objects.filter(case=OuterRef("pk"), channel=self.channel).filter(~Exists(earlier))
            cases = cases.filter(Exists(first_by_channel))
        return cases.order_by()

    def case_ids(self) -> QuerySet[Case, Any]:
        """Cases matching every filter but the period: for events of cases dated in the period."""
        return self.cases(opened_in_period=False).values("pk")

    def schools(self) -> QuerySet[School]:
        return School.objects.open().filter(self.school_q(""))

    @property
    def restricts_cases(self) -> bool:
        """Whether the filters select some cases only (else every case counts, cheaper queries)."""
        return self.has_school_filter or bool(self.channel)


def describe(filters: Filters) -> str:
    """The filters in words, for the page and every export."""
    parts = [
        _("période : %(period)s") % {"period": filters.period.label},
        _("territoire : %(territory)s") % {"territory": filters.territory_label},
    ]
    if filters.school_kind:
        parts.append(_("type d’établissement : %(kind)s") % {"kind": KIND_GROUP_LABELS[filters.school_kind]})
    if filters.sector:
        parts.append(_("secteur : %(sector)s") % {"sector": Sector(filters.sector).label})
    if filters.channel:
        parts.append(_("canal : %(channel)s") % {"channel": Channel(filters.channel).label})
    return " ; ".join(parts)
