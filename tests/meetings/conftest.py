"""Meetings of the cell for tests: a meeting that has begun (so minutes can be written) with the
cases of school A and school B on its agenda, and a few people invited."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from halte.accounts.models import Membership
from halte.cases.enums import Compartment, LegalBasis
from halte.cases.models import Case, Share
from halte.meetings.models import AgendaItem, Invitation, Meeting

CORE_MARK = "FAITS-DU-DOSSIER-CORE"
MINUTES_MARK = "COMPTE-RENDU-CONFIDENTIEL"

# Invited to the cell meeting of the `cell` fixture (besides the coordinator who organises it).
INVITED = ("magistrate", "education_referent", "school_a_staff", "police")


def make_case(reference: str, *, school=None, lead=None, priority="P3", state="in_intervention", **fields) -> Case:
    return Case.objects.create(
        reference=reference,
        priority=priority,
        qualification="bullying",
        state=state,
        school=school,
        summary=CORE_MARK,
        lead=lead,
        **fields,
    )


def make_meeting(organiser: Membership, starts_at: datetime | None = None, **fields) -> Meeting:
    defaults = {
        "title": "Réunion de la cellule",
        "starts_at": starts_at or timezone.now() + timedelta(days=7),
        "duration_minutes": 120,
        "place": "DSDEN de la Somme, salle 2",
        "organiser": organiser,
    }
    return Meeting.objects.create(**{**defaults, **fields})


@dataclass
class Cell:
    meeting: Meeting
    case_a: Case
    case_b: Case
    item_a: AgendaItem
    item_b: AgendaItem


@pytest.fixture
def cell(people) -> Cell:
    """A planned meeting that began an hour ago, two cases on its agenda, four people invited."""
    coordinator = people.coordinator
    # Opened before the meeting began: a meeting cannot examine a case opened after its start.
    opened = timezone.now() - timedelta(days=2)
    case_a = make_case(
        "HS-2026-000001", school=people.school_a_staff.school, lead=coordinator, priority="P2", opened_at=opened
    )
    case_b = make_case(
        "HS-2026-000002", school=people.school_b_staff.school, lead=coordinator, priority="P2", opened_at=opened
    )
    Share.objects.create(
        case=case_a,
        organisation=people.police.organisation,
        compartments=[Compartment.JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=coordinator,
    )
    meeting = make_meeting(coordinator, timezone.now() - timedelta(hours=1))
    item_a = AgendaItem.objects.create(meeting=meeting, case=case_a, position=0, reason=AgendaItem.Reason.NEW_URGENT)
    item_b = AgendaItem.objects.create(meeting=meeting, case=case_b, position=1, reason=AgendaItem.Reason.OVERDUE)
    for name in INVITED:
        Invitation.objects.create(meeting=meeting, membership=getattr(people, name))
    return Cell(meeting=meeting, case_a=case_a, case_b=case_b, item_a=item_a, item_b=item_b)
