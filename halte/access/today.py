"""What the staff home (« Aujourd'hui ») may put in front of a membership. Part of the access policy.

Each block of the home reads through a scoped query decided here or elsewhere in this package:
reports to triage (``reports_to_triage``: the coordination), clocks of the visible cases whose core it
reads (``search.core_readable_cases``), actions its organisation owes (``cases.owed_actions``), the
next meeting (``meetings.visible_meetings``: every meeting for the coordination, the ones one is
invited to for others), follow-ups it may record (``follow_up_cases``: ``cases.can_record_follow_up``
as a query — the cases it manages, and for school staff their own school's cases).
"""

from django.db.models import Exists, OuterRef, Q

from halte.accounts.models import Role
from halte.cases.models import Case, CaseQuerySet
from halte.reports.enums import Status
from halte.reports.models import ReportQuerySet

from .cases import CELL_ROLES
from .policy import Capability, can_read_case_content, has_capability
from .reports import visible_reports
from .search import core_readable_cases


def reports_to_triage(membership) -> ReportQuerySet:
    """Reports waiting for a triage decision, for those who triage (the coordination)."""
    reports = visible_reports(membership)
    if not has_capability(membership, Capability.TRIAGE_REPORTS):
        return reports.none()
    return reports.filter(status__in=[Status.RECEIVED, Status.IN_PROGRESS], triage__isnull=True)


def may_record_follow_ups(membership) -> bool:
    """Follow-ups are recorded by members of the cell and the staff of a school on its own cases
    (``can_record_follow_up``): others get no block."""
    if not can_read_case_content(membership):
        return False
    if membership.role == Role.SCHOOL_STAFF:
        return membership.school is not None
    return membership.role in CELL_ROLES


def follow_up_cases(membership) -> CaseQuerySet:
    """The cases whose follow-ups the membership records (``cases.can_record_follow_up`` as a query):
    those it manages, and for school staff the cases of its own school (main or other school, never
    a case merely shared with it)."""
    if membership.role == Role.SCHOOL_STAFF and membership.school is not None and can_read_case_content(membership):
        in_other_schools = Exists(
            Case.other_schools.through.objects.filter(case_id=OuterRef("pk"), school=membership.school)
        )
        return core_readable_cases(membership).filter(Q(school=membership.school) | in_other_schools)
    return managed_cases(membership)


def managed_cases(membership) -> CaseQuerySet:
    """Cases the membership manages (``cases.can_manage`` as a query): the coordinator every case whose
    core it reads, another member of the cell the ones it leads or works on, nobody else any."""
    cases = core_readable_cases(membership)
    if membership.role == Role.COORDINATOR:
        return cases
    if membership.role not in CELL_ROLES:
        return cases.none()
    co_worker = Exists(Case.co_workers.through.objects.filter(case_id=OuterRef("pk"), membership_id=membership.pk))
    return cases.filter(Q(lead=membership) | co_worker)
