"""Who may see and do what with the cell's meetings. Meeting views only call these.

- Meetings (``visible_meetings``): the coordination (PLAN_MEETINGS) sees every meeting; any other
  case reader sees only the meetings they are invited to; everybody else none. Outside → 404.
- Planning (schedule, edit, cancel, agenda, invitations, attendance) belongs to PLAN_MEETINGS.
- An agenda item names its case only to members who see that case (``access.cases.visible_cases``);
  others read "Dossier d'une autre structure" and nothing else. The minutes of a case are part of
  its core compartment: read with CORE on that case, written by the coordination and by the members
  who manage that case (``access.cases.can_manage``).
- Who was invited (the list and the attendance) is shown to the coordination only: an invitee
  learns that they are invited, not who else is, since a school invited hints at a case of theirs.
- A decision taken in a meeting is case work: the person named responsible must read cases (never
  an analyst, the DPO or an administrator), and the organisation must count at least one such person.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from halte.accounts.models import Membership
from halte.cases.models import Case
from halte.meetings.models import AgendaItem, Invitation, Meeting

from . import cases as case_access
from .policy import Capability, can_read_case_content, has_capability, memberships_with


def can_plan(membership) -> bool:
    """Schedule meetings, build their agenda, invite, take attendance: the coordination."""
    return has_capability(membership, Capability.PLAN_MEETINGS)


def visible_meetings(membership) -> QuerySet[Meeting]:
    """Every meeting for the coordination; the meetings one is invited to for other case readers."""
    if can_plan(membership):
        return Meeting.objects.all()
    if not can_read_case_content(membership):
        return Meeting.objects.none()
    invited = Invitation.objects.filter(meeting=OuterRef("pk"), membership=membership)
    return Meeting.objects.filter(Exists(invited))


def is_invited(membership, meeting: Meeting) -> bool:
    if membership is None:
        return False
    return Invitation.objects.filter(meeting=meeting, membership=membership).exists()


def can_see_invitations(membership) -> bool:
    """The list of invited people and their attendance: the coordination only."""
    return can_plan(membership)


def can_download_invitation(membership, meeting: Meeting) -> bool:
    """The .ics file: for the people invited, and for the coordination that sends it."""
    if can_plan(membership):
        return True
    return is_invited(membership, meeting)


def visible_case_ids(membership, cases: Iterable[Case]) -> set[int]:
    """Which of these cases the membership may know about (one query)."""
    ids = [case.pk for case in cases]
    if not ids:
        return set()
    return set(case_access.visible_cases(membership).filter(pk__in=ids).values_list("pk", flat=True))


def can_read_minutes(membership, case: Case) -> bool:
    """Minutes and decisions of a case: its core compartment. Assumes the case is visible."""
    return case_access.can_read(membership, case, case_access.CORE)


def can_write_minutes(membership, item: AgendaItem) -> bool:
    """Write the minutes of an item and its decisions. Assumes meeting and case are visible."""
    if item.meeting.status == Meeting.Status.CANCELLED:
        return False
    if not can_read_minutes(membership, item.case):
        return False
    if can_plan(membership):
        return True
    return case_access.can_manage(membership, item.case)


def can_enrol(membership, case: Case) -> bool:
    """Put a case on a meeting's agenda from the case page: the coordination, reading its core."""
    if not can_plan(membership):
        return False
    return can_read_minutes(membership, case)


def decision_owners() -> QuerySet[Membership]:
    """Who may be named responsible for a decision: active members whose role reads cases."""
    return memberships_with(Capability.READ_CASES)


def can_own_decision(membership) -> bool:
    """A decision is case work: its owner reads cases (an analyst, the DPO, an administrator never do)."""
    return can_read_case_content(membership)


def can_follow_decisions(organisation) -> bool:
    """An organisation may be made responsible for a decision if one of its members could own it."""
    return decision_owners().filter(organisation=organisation).exists()
