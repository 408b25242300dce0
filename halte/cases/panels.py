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
