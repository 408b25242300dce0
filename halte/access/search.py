"""What the staff search may look through, for one membership. Part of the access policy.

A search returns only what the membership could reach without it, and matches only on what it
could read there:

- **References** are looked up among the cases it sees (``visible_cases``: a police officer with a
  share of the judicial part sees the reference on the case list too) and the reports it sees
  (``visible_reports``).
- **Names, schools and communes** of a case are its core compartment (the people of a case, its
  school): they are looked up only among the visible cases whose core the membership reads — never
  a case seen through a share of another compartment, whose people would be revealed by a match.
- **Pupils named in a report** and its school are part of the report: looked up among
  ``visible_reports``.

Whoever does not read cases (analysts, the DPO, administrators) finds nothing, and the page itself
needs ``READ_CASES``.
"""

from django.db.models import Exists, OuterRef, Q

from halte.accounts.models import Role
from halte.cases.models import Case, CaseQuerySet
from halte.reports.models import ReportQuerySet

from . import cases as case_access
from .policy import Capability, can_read_case_content, has_capability
from .reports import visible_reports


def reference_searchable_cases(membership) -> CaseQuerySet:
    """Cases whose reference a search may return: every case the membership sees."""
    return case_access.visible_cases(membership)


def name_searchable_cases(membership) -> CaseQuerySet:
    """Cases whose people, school and commune a search may match: those whose core it reads."""
    return core_readable_cases(membership)


def core_readable_cases(membership) -> CaseQuerySet:
    """The visible cases whose core compartment the membership reads: ``compartments`` as a query
    (by its role, by its school, or by an active share of the core)."""
    if not can_read_case_content(membership):
        return case_access.visible_cases(membership).none()
    visible = case_access.visible_cases(membership)
    by_role = case_access.ROLE_COMPARTMENTS.get(membership.role, frozenset())
    if case_access.CORE in by_role and membership.role != Role.SCHOOL_STAFF:
        return visible
    shared = Q(pk__in=case_access._shared_case_ids(membership).get(case_access.CORE, []))
    if membership.role == Role.SCHOOL_STAFF and membership.school is not None:
        in_other_schools = Exists(
            Case.other_schools.through.objects.filter(case_id=OuterRef("pk"), school=membership.school)
        )
        return visible.filter(Q(school=membership.school) | in_other_schools | shared)
    return visible.filter(shared)


def may_search_reports(membership) -> bool:
    """Whether the membership sees any report at all (the coordination, a school's own reports): the
    search page then shows a group of reports, even when empty."""
    if has_capability(membership, Capability.TRIAGE_REPORTS):
        return True
    return has_capability(membership, Capability.FILE_REPORTS) and membership.school is not None


def searchable_reports(membership) -> ReportQuerySet:
    """Reports a search may return and match on (reference, pupils named, school)."""
    return visible_reports(membership)
