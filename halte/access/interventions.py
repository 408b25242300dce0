"""Who may see and do what with the cell's interventions on a case: measures, interviews, the
shared-concern method (MPP) and the contacts with both families. Interventions views only call these.

Reading follows the compartments of the case (:mod:`halte.access.cases`): judicial measures belong to
the judicial compartment, everything else to the core. A member who does not read the judicial
compartment (school staff, coordinator, education referent, social worker…) never learns that a
judicial measure exists: it is absent from lists and its URLs answer 404.

Writing:

- cell members who manage the case (the coordinator; the lead and co-workers) record measures other
  than judicial ones, interviews, shared-concern series and family contacts;
- the staff of the case's own school (its school or one of its other schools) record protective,
  educational and disciplinary measures, interviews and family contacts on their school's cases, and
  run the shared-concern method there themselves — start a series, record its meetings and the
  victim's points, mark it improved or stopped (the cell's decision gives that work to the school, so
  no one records it on their behalf); never judicial measures, never a change of school (a decision of
  the DASEN); staff of another school, associations and the police never do any of it (the case is a
  404 for them, or a 403 where they see it through a share);
- judicial measures: the magistrate and the délégué du procureur, and the police or gendarmerie liaison
  when the judicial compartment is shared with their organisation;
- switching a shared-concern series to the sanctions track, or deciding to keep going when Halte
  proposes it: the coordinator or the lead of the case;
- documenting that the parents are not informed because it would go against the child's interest,
  and lifting that decision: cell members who manage the case;
- « ne pas informer » a pupil's family (the investigation requires it), and lifting it: the magistrate
  and the délégué du procureur reading the judicial compartment; its reason is read only there;
- linking a pupil to a guardian, and the adults' contact details: those who manage the case and the
  staff of the case's own school.
"""

from django.db.models import QuerySet

from halte.accounts.models import Role
from halte.cases.models import Case
from halte.interventions.models import Measure, MeasureCategory, MppSeries

from .cases import CORE, JUDICIAL, can_manage, can_read, can_set_disclosure, compartments, is_school_case

# Those who record judicial measures, provided they read the judicial compartment of the case.
JUDICIAL_WRITERS = frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE, Role.POLICE_LIAISON})

# What the staff of the case's own school may record.
SCHOOL_CATEGORIES = frozenset({MeasureCategory.PROTECTIVE, MeasureCategory.EDUCATIONAL, MeasureCategory.DISCIPLINARY})

# What cell members who manage the case may record (everything but judicial measures).
MANAGER_CATEGORIES = frozenset(
    {
        MeasureCategory.PROTECTIVE,
        MeasureCategory.EDUCATIONAL,
        MeasureCategory.DISCIPLINARY,
        MeasureCategory.SCHOOL_CHANGE,
    }
)


# --- Reading ---------------------------------------------------------------------------------------


def measure_compartments(membership, case: Case) -> list[str]:
    """The compartments of measures this member reads on the case: core, judicial, both or none."""
    shown = compartments(membership, case)
    return [c for c in (CORE, JUDICIAL) if c in shown]


def visible_measures(membership, case: Case) -> QuerySet[Measure]:
    """Measures of the case in the compartments the member reads; the others do not exist for them."""
    return Measure.objects.filter(case=case, compartment__in=measure_compartments(membership, case))


def can_read_interventions(membership, case: Case) -> bool:
    """Interviews, shared-concern series and family contacts: the core of the case."""
    return can_read(membership, case, CORE)


def visible_series(membership, case: Case) -> QuerySet[MppSeries]:
    """Shared-concern series of the case, for those who read its core."""
    if not can_read_interventions(membership, case):
        return MppSeries.objects.none()
    return MppSeries.objects.filter(case=case)


# --- Writing ---------------------------------------------------------------------------------------


def is_own_school_staff(membership, case: Case) -> bool:
    """Staff of the school the case belongs to (its school or one of its other schools)."""
    if membership.role != Role.SCHOOL_STAFF:
        return False
    if not can_read(membership, case, CORE):
        return False
    return is_school_case(membership, case)


def can_record_measure(membership, case: Case, category: str) -> bool:
    """Judicial measures: judicial roles reading the judicial compartment. Other measures: those who
    manage the case, or the school's own staff for protective, educational and disciplinary ones."""
    if category == MeasureCategory.JUDICIAL:
        return membership.role in JUDICIAL_WRITERS and can_read(membership, case, JUDICIAL)
    if category in MANAGER_CATEGORIES and can_manage(membership, case):
        return True
    return category in SCHOOL_CATEGORIES and is_own_school_staff(membership, case)


def measure_categories(membership, case: Case) -> list[str]:
    """The categories of measures this member may record on the case, in the register's order."""
    return [c for c in MeasureCategory.values if can_record_measure(membership, case, c)]


def can_review_measure(membership, measure: Measure) -> bool:
    """Reviewing a measure is for those who may record a measure of its category on its case."""
    return can_record_measure(membership, measure.case, measure.category)


def can_record_interview(membership, case: Case) -> bool:
    """Interviews: those who manage the case, and the staff of the case's own school."""
    if can_manage(membership, case):
        return True
    return is_own_school_staff(membership, case)


def can_run_mpp(membership, case: Case) -> bool:
    """Start a shared-concern series, record its meetings, mark it improved or stopped: those who
    manage the case, and the staff of the case's own school (switching to sanctions stays with the
    coordinator or the lead: ``can_decide_mpp_switch``)."""
    if can_manage(membership, case):
        return True
    return is_own_school_staff(membership, case)


def can_decide_mpp_switch(membership, case: Case) -> bool:
    """Switch a series to the sanctions track, or keep going: the coordinator or the lead of the case."""
    if not can_read(membership, case, CORE):
        return False
    if membership.role == Role.COORDINATOR:
        return True
    return case.lead_id == membership.pk


def can_record_family_contact(membership, case: Case) -> bool:
    """Contacts with the families: those who manage the case, and the staff of the case's own school."""
    if can_manage(membership, case):
        return True
    return is_own_school_staff(membership, case)


def can_document_parents_exception(membership, case: Case) -> bool:
    """Not informing the parents, in the child's interest, is decided by the cell: those who manage the case."""
    return can_manage(membership, case)


def can_set_family_restriction(membership, case: Case) -> bool:
    """Set or lift « ne pas informer » on a family of the case: the judicial side — the magistrate and
    the délégué du procureur, on cases whose judicial compartment they read (``can_set_disclosure``)."""
    return can_set_disclosure(membership, case)


def can_read_restriction_reason(membership, case: Case) -> bool:
    """Why a family is not to be informed is the investigation's business: the judicial compartment.
    Everyone else who may contact the family sees the instruction, never its reason."""
    return can_read(membership, case, JUDICIAL)


def can_add_guardian(membership, case: Case) -> bool:
    """Link a pupil of the case to a guardian (an adult of the case, or one entered then), and keep the
    adults' contact details: those who manage the case, and the staff of the case's own school (who
    know the families)."""
    if can_manage(membership, case):
        return True
    return is_own_school_staff(membership, case)
