"""Who may see and do what in prevention. Part of the access policy: prevention views only call these.

- Schools (school staff) request workshops for their own school and keep weak-signal observations of
  their own school; they see their own requests only.
- The coordinator (MANAGE_PREVENTION) sees every request, assigns providers, runs trainings and
  approvals, and alone sees the schools with reported situations and no prevention yet.
- A provider (association worker) sees the requests assigned to its organisation.
- Coverage figures (counts only) are open to VIEW_COVERAGE.
"""

from django.db.models import QuerySet
from django.utils import timezone

from halte.accounts.models import OrganisationKind
from halte.prevention.models import Observation, WorkshopRequest

from .policy import Capability, has_capability


def visible_requests(membership) -> QuerySet[WorkshopRequest]:
    if has_capability(membership, Capability.MANAGE_PREVENTION):
        return WorkshopRequest.objects.all()
    if has_capability(membership, Capability.PROVIDE_WORKSHOPS):
        return WorkshopRequest.objects.filter(provider=membership.organisation)
    if has_capability(membership, Capability.REQUEST_WORKSHOPS) and membership.school is not None:
        return WorkshopRequest.objects.filter(school=membership.school)
    return WorkshopRequest.objects.none()


def visible_observations(membership) -> QuerySet[Observation]:
    if has_capability(membership, Capability.REQUEST_WORKSHOPS) and membership.school is not None:
        return Observation.objects.filter(school=membership.school)
    return Observation.objects.none()


def can_request_workshop(membership) -> bool:
    return has_capability(membership, Capability.REQUEST_WORKSHOPS) and membership.school is not None


def can_assign(membership) -> bool:
    return has_capability(membership, Capability.MANAGE_PREVENTION)


def can_act_as_provider(membership, request: WorkshopRequest) -> bool:
    if not has_capability(membership, Capability.PROVIDE_WORKSHOPS):
        return False
    return request.provider_id == membership.organisation_id


def is_eligible_provider(organisation, day=None) -> bool:
    """An Éducation nationale team, or an association with an approval valid on that day."""
    day = day or timezone.localdate()
    if organisation.kind == OrganisationKind.EDUCATION:
        return True
    if organisation.kind != OrganisationKind.ASSOCIATION:
        return False
    return organisation.approvals.filter(valid_from__lte=day, valid_until__gte=day).exists()


def can_see_hotspots(membership) -> bool:
    return has_capability(membership, Capability.MANAGE_PREVENTION)
