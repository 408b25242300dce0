"""What the staff calendar may show a membership. Part of the access policy.

The calendar (``www/calendar.py``) puts four kinds of dated things side by side; each is read through
the query that already decides who sees it elsewhere, so the calendar shows nothing its reader could
not reach without it:

- **meetings** of the cell: ``meetings.visible_meetings`` (every meeting for the coordination, the
  ones one is invited to for the others);
- **prevention workshops**: ``prevention.visible_requests`` (the coordination every one, a school its
  own, an association the ones assigned to it);
- **due dates of actions**: the actions whose compartment the membership reads on their case
  (``cases_reading``: ``cases.compartments`` as a query), and those its organisation owes
  (``cases.owed_actions``, which applies the same rule); a judicial action never reaches a member who
  does not read the judicial compartment of its case, a conflicted organisation sees none of the
  case's actions;
- **follow-up checkpoints**: those of the open cases whose core it reads (``search.core_readable_cases``).
"""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from halte.accounts.models import Role
from halte.cases.enums import OPEN_STATES, ActionStatus
from halte.cases.models import Action, CaseQuerySet, FollowUp
from halte.meetings.models import Meeting
from halte.prevention.models import WorkshopRequest

from . import cases as case_access
from .meetings import visible_meetings
from .policy import can_read_case_content
from .prevention import visible_requests
from .search import core_readable_cases


def cases_reading(membership, compartment: str) -> CaseQuerySet:
    """The visible cases on which the membership reads ``compartment`` (``cases.compartments`` as a
    query: by role, by its school for the core, or by an active share; never what ``NEVER_SHARED``
    refuses to its kind of organisation; a school reads the core only)."""
    visible = case_access.visible_cases(membership)
    if compartment == case_access.CORE:
        return core_readable_cases(membership)
    if not can_read_case_content(membership) or membership.role == Role.SCHOOL_STAFF:
        return visible.none()
    if compartment in case_access.NEVER_SHARED.get(membership.organisation.kind, frozenset()):
        return visible.none()
    if compartment in case_access.ROLE_COMPARTMENTS.get(membership.role, frozenset()):
        return visible
    return visible.filter(pk__in=case_access._shared_case_ids(membership).get(compartment, []))


def calendar_meetings(membership) -> QuerySet[Meeting]:
    return visible_meetings(membership).exclude(status=Meeting.Status.CANCELLED)


def calendar_workshops(membership) -> QuerySet[WorkshopRequest]:
    return visible_requests(membership).filter(scheduled_at__isnull=False).exclude(status="cancelled")


def calendar_actions(membership) -> QuerySet[Action]:
    """Open actions with a due time that the membership reads, on their case or as their owner."""
    if not can_read_case_content(membership):
        return Action.objects.none()
    readable = Q()
    for compartment in (case_access.CORE, case_access.HEALTH, case_access.JUDICIAL):
        readable |= Q(compartment=compartment, case__in=cases_reading(membership, compartment))
    owed = Q(pk__in=case_access.owed_actions(membership).values("pk"))
    # Whether the case itself may be opened from the calendar, or only the action (« Nos actions »).
    return Action.objects.filter(readable | owed, status=ActionStatus.OPEN, due_at__isnull=False).annotate(
        case_readable=ExpressionWrapper(readable, output_field=BooleanField())
    )


def calendar_follow_ups(membership) -> QuerySet[FollowUp]:
    """Checkpoints still to record on the open cases whose core the membership reads."""
    return FollowUp.objects.filter(
        done_at__isnull=True, case__state__in=OPEN_STATES, case__in=core_readable_cases(membership)
    )
