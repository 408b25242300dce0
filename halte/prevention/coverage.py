"""Prevention coverage per school year (September to August) and per school.

For each school: workshops delivered, pupils reached, staff trained and pupil ambassadors, compared
with configurable targets (``settings.HALTE_PREVENTION_TARGETS``) and summed up as a level. Figures
are counts only: nothing here names a pupil. Every function runs a constant number of queries,
whatever the number of schools (one annotated query over the schools).

``hotspots()`` lists the schools with a situation reported this school year and no prevention yet.
It is meant for the coordinator only (``access.prevention.can_see_hotspots``): never public, never
ranked — sorted by commune then name.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from halte.cases.models import Case
from halte.directory.models import School

from .enums import RequestStatus
from .models import AmbassadorCount, TrainingAttendee, WorkshopRequest

SCHOOL_YEAR_FIRST_MONTH = 9  # the rentrée: a school year runs from 1 September to 31 August

DEFAULT_TARGETS: dict[str, int] = {
    "workshops_per_school": 1,
    "ambassadors_per_school": 10,  # pHARe: at least ten pupil ambassadors per establishment
    "staff_trained_per_school": 2,
}


class _Targets(Mapping[str, int]):
    """The targets in force: the defaults, overridden key by key by ``HALTE_PREVENTION_TARGETS``.

    Read from the settings at each access, so that a deployment (or a test) may change them.
    """

    def _current(self) -> dict[str, int]:
        configured = getattr(settings, "HALTE_PREVENTION_TARGETS", None) or {}
        return {key: int(configured.get(key, default)) for key, default in DEFAULT_TARGETS.items()}

    def __getitem__(self, key: str) -> int:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(DEFAULT_TARGETS)

    def __len__(self) -> int:
        return len(DEFAULT_TARGETS)


TARGETS = _Targets()


class Level:
    """How a school stands against the targets."""

    GREEN = "green"  # every target met
    AMBER = "amber"  # at least one target met
    RED = "red"  # some prevention, but no target met
    NONE = "none"  # no prevention at all this school year

    ALL = (GREEN, AMBER, RED, NONE)


# DSFR colours (success, warning, error, grey), used as SVG presentation attributes on the map.
LEVEL_COLOURS = {
    Level.GREEN: "#18753c",
    Level.AMBER: "#b34000",
    Level.RED: "#ce0500",
    Level.NONE: "#666666",
}


def school_year_of(day: date) -> int:
    """The school year a day belongs to, named by the year of its rentrée (31/08/2026 → 2025)."""
    return day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1


def school_year_bounds(year: int) -> tuple[date, date]:
    """First and last day of a school year, both included."""
    return date(year, SCHOOL_YEAR_FIRST_MONTH, 1), date(year + 1, SCHOOL_YEAR_FIRST_MONTH - 1, 31)


def current_school_year() -> int:
    return school_year_of(timezone.localdate())


@dataclass(frozen=True)
class SchoolCoverage:
    school: School
    workshops: int
    pupils_reached: int
    staff_trained: int
    ambassadors: int
    level: str

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS[self.level]


def level_for(*, workshops: int, staff_trained: int, ambassadors: int, targets: Mapping[str, int] = TARGETS) -> str:
    if not (workshops or staff_trained or ambassadors):
        return Level.NONE
    met = [
        workshops >= targets["workshops_per_school"],
        staff_trained >= targets["staff_trained_per_school"],
        ambassadors >= targets["ambassadors_per_school"],
    ]
    if all(met):
        return Level.GREEN
    if any(met):
        return Level.AMBER
    return Level.RED


def _per_school(queryset: QuerySet, expression) -> Coalesce:
    """A correlated subquery giving one aggregate of ``queryset`` for the outer school, 0 when none."""
    grouped = queryset.filter(school=OuterRef("pk")).order_by().values("school").annotate(value=expression)
    return Coalesce(Subquery(grouped.values("value")[:1], output_field=IntegerField()), 0)


def _delivered_in(year: int) -> QuerySet[WorkshopRequest]:
    first, last = school_year_bounds(year)
    return WorkshopRequest.objects.filter(status=RequestStatus.DELIVERED, delivered_on__range=(first, last))


def _trained_in(year: int) -> QuerySet[TrainingAttendee]:
    first, last = school_year_bounds(year)
    return TrainingAttendee.objects.filter(attended=True, session__starts_at__date__range=(first, last))


def coverage_for(year: int, schools_queryset: QuerySet[School] | None = None) -> list[SchoolCoverage]:
    """Coverage of each school for a school year, in one query whatever the number of schools.

    Staff trained counts people (by name, case ignored) who attended at least one session held in
    the school year, so that someone at two sessions counts once for their school.
    """
    schools = School.objects.open() if schools_queryset is None else schools_queryset
    targets = dict(TARGETS)
    delivered = _delivered_in(year)
    annotated = schools.annotate(
        cov_workshops=_per_school(delivered, Count("pk")),
        cov_pupils=_per_school(delivered, Sum("pupils_reached")),
        cov_staff=_per_school(_trained_in(year), Count(Lower("full_name"), distinct=True)),
        cov_ambassadors=_per_school(AmbassadorCount.objects.filter(school_year=year), Sum("count")),
    ).order_by("commune", "name", "uai")
    return [
        SchoolCoverage(
            school=school,
            workshops=school.cov_workshops,
            pupils_reached=school.cov_pupils,
            staff_trained=school.cov_staff,
            ambassadors=school.cov_ambassadors,
            level=level_for(
                workshops=school.cov_workshops,
                staff_trained=school.cov_staff,
                ambassadors=school.cov_ambassadors,
                targets=targets,
            ),
        )
        for school in annotated
    ]


@dataclass(frozen=True)
class Totals:
    schools: int
    workshops: int
    pupils_reached: int
    staff_trained: int
    ambassadors: int
    by_level: dict[str, int]


def totals_of(rows: list[SchoolCoverage]) -> Totals:
    by_level = dict.fromkeys(Level.ALL, 0)
    for row in rows:
        by_level[row.level] += 1
    return Totals(
        schools=len(rows),
        workshops=sum(row.workshops for row in rows),
        pupils_reached=sum(row.pupils_reached for row in rows),
        staff_trained=sum(row.staff_trained for row in rows),
        ambassadors=sum(row.ambassadors for row in rows),
        by_level=by_level,
    )


def hotspots(year: int, schools_queryset: QuerySet[School] | None = None) -> list[School]:
    """Schools with a case opened in the school year and neither a delivered workshop nor a trained
    member of staff that year. For the coordinator only; sorted by commune then name, never ranked.
    """
    first, last = school_year_bounds(year)
    schools = School.objects.all() if schools_queryset is None else schools_queryset
    cases = Case.objects.filter(school=OuterRef("pk"), opened_at__date__range=(first, last), merged_into__isnull=True)
    workshops = _delivered_in(year).filter(school=OuterRef("pk"))
    trained = _trained_in(year).filter(school=OuterRef("pk"))
    return list(
        schools.filter(Exists(cases)).exclude(Exists(workshops)).exclude(Exists(trained)).order_by("commune", "name")
    )


# --- The map ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapPoint:
    row: SchoolCoverage
    x: float
    y: float


@dataclass(frozen=True)
class SchoolMap:
    width: int
    height: int
    points: list[MapPoint]
    unplaced: int  # schools without coordinates: in the table, not on the map


def map_of(rows: list[SchoolCoverage], *, width: int = 640, margin: int = 16) -> SchoolMap:
    """Place schools by latitude/longitude: an equirectangular projection over their bounding box.

    Longitudes are shrunk by the cosine of the mean latitude so that distances look right at the
    Somme's latitude; the height follows from the box's proportions. No tiles, no external asset.
    """
    placed = [row for row in rows if row.school.latitude is not None and row.school.longitude is not None]
    if not placed:
        return SchoolMap(width=width, height=2 * margin, points=[], unplaced=len(rows))
    lats = [float(row.school.latitude) for row in placed]  # type: ignore[arg-type]
    lons = [float(row.school.longitude) for row in placed]  # type: ignore[arg-type]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = (max(lons) - min(lons)) * shrink
    span_y = max(lats) - min(lats)
    inner = width - 2 * margin
    scale = inner / max(span_x, span_y, 1e-6)
    height = max(round(span_y * scale) + 2 * margin, 2 * margin + 40)
    offset_x = margin + (inner - span_x * scale) / 2
    offset_y = margin + (height - 2 * margin - span_y * scale) / 2
    points = [
        MapPoint(
            row=row,
            x=round(offset_x + (lon - min(lons)) * shrink * scale, 1),
            y=round(offset_y + (max(lats) - lat) * scale, 1),
        )
        for row, lat, lon in zip(placed, lats, lons, strict=True)
    ]
    return SchoolMap(width=width, height=height, points=points, unplaced=len(rows) - len(placed))
