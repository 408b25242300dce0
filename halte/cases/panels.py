"""Sections that other modules add to the case page, without the case page knowing their content.

Each module that works on a case (the cell's meetings, the interventions, the documents) exposes one
function ``case_panel(request, case, shown) -> Panel | None``. It decides, through its own predicates
in :mod:`halte.access`, whether the member reads anything of it on this case, and returns the template
and context of its section, or ``None`` to show nothing. ``shown`` holds the compartments the member
reads on this case (already journaled by the case page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

# Order of the sections on the case page.
CASE_PANELS = (
    "halte.cases.conflicts.case_panel",
    "halte.judicial.panels.case_panel",
    "halte.interventions.panels.case_panel",
    "halte.meetings.panels.case_panel",
    "halte.documents.panels.case_panel",
    "halte.reports.panels.case_panel",
)


@dataclass
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def panels_for(request, case, shown: frozenset[str]) -> list[Panel]:
    builders: list[Callable[..., Panel | None]] = [import_string(path) for path in CASE_PANELS]
    return [panel for panel in (build(request, case, shown) for build in builders) if panel is not None]


# The headings each module's section template opens (anchor, title), for the case page's side menu.
# A function of the panel's context when some of its sections depend on what the member reads.
# tests/cases/test_case_page_menu.py checks that every anchor listed is on the page.
PANEL_SECTIONS: dict[str, Callable[[dict[str, Any]], list[tuple[str, Any]]]] = {
    "cases/_conflicts.html": lambda context: [("conflicts-title", _("Conflit d’intérêts"))],
    "interventions/panel.html": lambda context: [
        ("titre-mesures", _("Mesures")),
        *(
            [
                ("titre-entretiens", _("Entretiens")),
                ("titre-preoccupation-partagee", _("Préoccupation partagée")),
                ("titre-familles", _("Familles")),
            ]
            if context.get("reads_core")
            else []
        ),
    ],
    "meetings/_case_panel.html": lambda context: [("titre-reunions", _("Réunions de la cellule"))],
    "documents/_panel.html": lambda context: [("titre-documents", _("Documents"))],
    "judicial/panel.html": lambda context: [("titre-volet-judiciaire", _("Volet judiciaire"))],
    "reports/custody/_panel.html": lambda context: [("titre-scelle", _("Pièces et scellé numérique"))],
}


def sections_of(panels: list[Panel]) -> list[tuple[str, Any]]:
    """The (anchor, title) of the sections the given panels show, in their order."""
    found: list[tuple[str, Any]] = []
    for panel in panels:
        describe = PANEL_SECTIONS.get(panel.template)
        if describe is not None:
            found += describe(panel.context)
    return found
