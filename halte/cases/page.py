"""The case page's summary header and its side menu.

The summary says, before any section, what a member of the cell needs at a glance: priority, state,
the clocks (late, due soon, on time), the people (victims and alleged authors: core content, shown
only to who reads the core), the lead and the next steps (the next due step, the next action, the
next follow-up, the next meeting with the case on its agenda). It is built from rows the case page
already read (clocks, actions, follow-ups, people), plus one query for the next meeting: its cost does
not grow with the case.

The side menu lists the sections the member actually sees, in the page's order, each linked to its
heading. Sections added by other modules (``panels.py``) are named by ``panels.sections_of``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import clocks
from .enums import OPEN_STATES, ActionStatus
from .enums import Role as InvolvementRole


@dataclass
class Summary:
    late: int = 0
    soon: int = 0
    on_time: int = 0
    victims: list[Any] = field(default_factory=list)
    authors: list[Any] = field(default_factory=list)
    next_step: Any = None  # a clock
    next_action: Any = None
    next_follow_up: Any = None
    next_meeting: Any = None  # a meeting


def summary(case, *, involvements, clock_rows, action_rows, follow_ups, now: datetime, next_meeting=None) -> Summary:
    """What the header shows, from the rows the case page already holds (no query)."""
    states = [row["state"] for row in clock_rows]
    result = Summary(
        late=states.count(clocks.RED),
        soon=states.count(clocks.AMBER),
        on_time=states.count(clocks.GREEN),
        victims=[i.person for i in involvements if i.role == InvolvementRole.VICTIM],
        authors=[i.person for i in involvements if i.role == InvolvementRole.ALLEGED_AUTHOR],
        next_meeting=next_meeting,
    )
    if case.state not in OPEN_STATES:
        return result
    result.next_step = clocks.next_due(row["clock"] for row in clock_rows if row["state"] != clocks.DONE)
    open_actions = [
        row["action"]
        for row in action_rows
        if row["action"].status == ActionStatus.OPEN and row["action"].due_at is not None
    ]
    result.next_action = min(open_actions, key=lambda action: action.due_at, default=None)
    result.next_follow_up = next((f for f in follow_ups if f.done_at is None), None)
    return result


@dataclass(frozen=True)
class Section:
    anchor: str  # the id of the section's heading
    title: Any


def sections(context: dict, panel_sections: list[Section]) -> list[Section]:
    """The sections of the case page this member sees, in the page's order (the template's order)."""
    shown: list[Section] = [Section("resume-dossier", _("En bref"))]
    if context.get("can_core"):
        if context.get("transitions"):
            shown.append(Section("titre-etat", _("Faire avancer le dossier")))
        shown += [
            Section("titre-situation", _("La situation")),
            Section("titre-delais", _("Délais")),
            Section("titre-personnes", _("Personnes")),
            Section("titre-signalements", _("Signalements")),
            Section("titre-gravite", _("Évaluations de la gravité")),
            Section("titre-actions", _("Plan d’action")),
            Section("titre-suivis", _("Points de suivi")),
        ]
        if context.get("links"):
            shown.append(Section("titre-liens", _("Dossiers liés")))
        if context.get("can_write_core"):
            shown.append(Section("titre-notes", _("Notes")))
    if context.get("can_health"):
        shown.append(Section("titre-sante", _("Volet santé et accompagnement")))
    if context.get("can_judicial"):
        shown.append(Section("titre-judiciaire", _("Volet judiciaire")))
    shown += panel_sections
    if context.get("can_identity"):
        shown.append(Section("titre-identite", _("Identité des personnes qui ont signalé")))
    if context.get("can_share"):
        shown.append(Section("titre-partages", _("Partages")))
    shown.append(Section("titre-historique", _("Historique")))
    return shown
