"""Who may see and do what with cases: need-to-know, decided here and only here.

A case is split into compartments (product brief §5). What a membership reads is the union of
- what its role reads on every case it can see (``ROLE_COMPARTMENTS``), and
- what an active share grants its organisation on that case.

Visibility (``visible_cases``): cell members see every case; school staff see their school's cases;
police, gendarmerie and associations see only cases shared with their organisation; administrators,
analysts and the DPO see none. A case outside ``visible_cases`` is a 404; an action on a visible
case without the right is a 403.
"""

from django.db.models import Exists, OuterRef, Q

from halte.accounts.models import OrganisationKind, Role
from halte.cases.enums import Compartment
from halte.cases.models import Case, CaseQuerySet, Share

from .policy import can_read_case_content

CORE, HEALTH, JUDICIAL, IDENTITY = (
    Compartment.CORE,
    Compartment.HEALTH,
    Compartment.JUDICIAL,
    Compartment.REPORTER_IDENTITY,
)

# The members of the cell: they see every case (its core at least).
CELL_ROLES = frozenset(
    {Role.COORDINATOR, Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE, Role.EDUCATION_REFERENT, Role.SOCIAL_WORKER}
)

ROLE_COMPARTMENTS: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset({CORE, IDENTITY}),
    Role.MAGISTRATE: frozenset({CORE, JUDICIAL}),
    Role.PROSECUTOR_DELEGATE: frozenset({CORE, JUDICIAL}),
    Role.EDUCATION_REFERENT: frozenset({CORE}),
    Role.SOCIAL_WORKER: frozenset({CORE, HEALTH}),
    Role.SCHOOL_STAFF: frozenset({CORE}),
    Role.POLICE_LIAISON: frozenset(),
    Role.ASSOCIATION_WORKER: frozenset(),
}

# Whatever a share says, some organisations never receive some compartments.
NEVER_SHARED: dict[str, frozenset[str]] = {
    OrganisationKind.POLICE: frozenset({HEALTH}),
    OrganisationKind.GENDARMERIE: frozenset({HEALTH}),
    OrganisationKind.SCHOOL: frozenset({HEALTH, JUDICIAL}),
}

# Roles allowed to know that a person appears in other cases (presumption of innocence applies).
REPEAT_ROLES = frozenset({Role.COORDINATOR, Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE, Role.EDUCATION_REFERENT})


def _shared_with(organisation):
    return Exists(Share.objects.active().filter(case=OuterRef("pk"), organisation=organisation))


def visible_cases(membership) -> CaseQuerySet:
    if not can_read_case_content(membership):
        return Case.objects.none()
    if membership.role in CELL_ROLES:
        return Case.objects.all()
    shared = _shared_with(membership.organisation)
    school = membership.school
    if membership.role == Role.SCHOOL_STAFF and school is not None:
        in_other_schools = Exists(Case.other_schools.through.objects.filter(case_id=OuterRef("pk"), school=school))
        return Case.objects.filter(Q(school=school) | in_other_schools | shared)
    return Case.objects.filter(shared)


def shareable_compartments(organisation) -> list[str]:
    refused = NEVER_SHARED.get(organisation.kind, frozenset())
    return [c for c in (CORE, HEALTH, JUDICIAL) if c not in refused]


def compartments(membership, case: Case) -> frozenset[str]:
    """The compartments of `case` this membership reads. Assumes the case is in visible_cases."""
    if not can_read_case_content(membership):
        return frozenset()
    granted = set(ROLE_COMPARTMENTS.get(membership.role, frozenset()))
    if membership.role == Role.SCHOOL_STAFF and not _is_school_case(membership, case):
        granted.discard(CORE)
    for share in _active_shares(case, membership.organisation):
        granted.update(share.compartments)
    granted -= NEVER_SHARED.get(membership.organisation.kind, frozenset())
    if membership.role == Role.SCHOOL_STAFF:
        granted &= {CORE}
    return frozenset(granted)


def _is_school_case(membership, case: Case) -> bool:
    school = membership.school
    if school is None:
        return False
    return case.school_id == school.pk or case.other_schools.filter(pk=school.pk).exists()


def _active_shares(case: Case, organisation):
    return [
        s
        for s in case.shares.all()
        if s.organisation_id == organisation.pk and s.revoked_at is None and s.expires_on >= _today()
    ]


def _today():
    from django.utils import timezone

    return timezone.localdate()


def can_read(membership, case: Case, compartment: str) -> bool:
    return compartment in compartments(membership, case)


def is_on_case(membership, case: Case) -> bool:
    """Lead or co-worker of the case."""
    if case.lead_id == membership.pk:
        return True
    return case.co_workers.filter(pk=membership.pk).exists()


def can_triage(membership) -> bool:
    return membership is not None and membership.role == Role.COORDINATOR and membership.is_active


def can_manage(membership, case: Case) -> bool:
    """Change the case itself: state, lead, summary, people, links, assessments."""
    if not can_read(membership, case, CORE):
        return False
    if membership.role == Role.COORDINATOR:
        return True
    return membership.role in CELL_ROLES and is_on_case(membership, case)


def can_share(membership, case: Case) -> bool:
    return membership.role == Role.COORDINATOR and can_read(membership, case, CORE)


def can_write_note(membership, case: Case, compartment: str) -> bool:
    if compartment == IDENTITY:
        return False
    if not can_read(membership, case, compartment):
        return False
    # Schools follow their cases through actions; their notes go through the cell.
    return membership.role != Role.SCHOOL_STAFF


def can_see_repeats(membership, case: Case) -> bool:
    return membership.role in REPEAT_ROLES and can_read(membership, case, CORE)


def can_see_access_log(membership, case: Case) -> bool:
    return membership.role == Role.COORDINATOR and can_read(membership, case, CORE)
