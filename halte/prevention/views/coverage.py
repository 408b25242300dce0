"""The coverage page: per school year and per school, prevention against the targets, as totals, a
table and a map drawn in SVG from the schools' coordinates (no tile server, no external asset, no
inline style: colours are SVG presentation attributes, allowed by the strict CSP).

Counts only. The schools with reported situations and no prevention yet are computed and shown for
the coordinator only (``can_see_hotspots``).
"""

from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from halte.access import policy
from halte.access.policy import Capability
from halte.access.prevention import can_see_hotspots
from halte.directory.models import School, SchoolKind

from .. import coverage

YEARS_SHOWN = 6  # the current school year and the five before


def year_label(year: int) -> str:
    return f"{year}-{year + 1}"


def _chosen_year(raw: str | None, years: list[int]) -> int:
    try:
        year = int(raw or "")
    except ValueError:
        return years[0]
    return year if year in years else years[0]


@policy.requires(Capability.VIEW_COVERAGE)
def coverage_page(request):
    current = coverage.current_school_year()
    years = [current - offset for offset in range(YEARS_SHOWN)]
    year = _chosen_year(request.GET.get("annee"), years)
    kind = request.GET.get("type", "")
    schools = School.objects.open()
    if kind in SchoolKind.values:
        schools = schools.filter(kind=kind)
    else:
        kind = ""
    rows = coverage.coverage_for(year, schools)
    first, last = coverage.school_year_bounds(year)
    labels = _level_labels()
    coordinating = can_see_hotspots(request.membership)
    totals = coverage.totals_of(rows)
    school_map = coverage.map_of(rows)
    context = {
        "year": year,
        "year_label": year_label(year),
        "years": [(y, year_label(y)) for y in years],
        "first_day": first,
        "last_day": last,
        "kind": kind,
        "kinds": SchoolKind.choices,
        "rows": [{"coverage": row, "level_label": labels[row.level]} for row in rows],
        "totals": totals,
        "legend": [
            {"label": labels[level], "colour": coverage.LEVEL_COLOURS[level], "count": totals.by_level[level]}
            for level in coverage.Level.ALL
        ],
        "map": school_map,
        "points": [{"point": point, "label": labels[point.row.level]} for point in school_map.points],
        "targets": dict(coverage.TARGETS),
        "show_hotspots": coordinating,
        "hotspots": coverage.hotspots(year, schools) if coordinating else [],
    }
    return render(request, "prevention/coverage/page.html", context)


def _level_labels() -> dict[str, str]:
    # Translated at request time, in the language of the request.
    return {
        coverage.Level.GREEN: _("Objectifs atteints"),
        coverage.Level.AMBER: _("Objectifs en partie atteints"),
        coverage.Level.RED: _("Objectifs non atteints"),
        coverage.Level.NONE: _("Aucune action de prévention"),
    }


urlpatterns = [
    path("couverture/", coverage_page, name="coverage"),
]
