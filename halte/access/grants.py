"""Who may give whom a membership: separation of duties, decided here and only here.

A role that reads case content — or that could confirm such a grant, the administrator's — is
never given by one person: someone asks (an administrator or a coordinator), someone else confirms
(a coordinator, or another administrator), and neither may be the person who receives it. Nobody
grants anything to themself. Nor is the DPO's role, who oversees the administrators (the journal,
every grant): an administrator does not appoint his own overseer alone. The analyst's role, which
reads no case content, an administrator gives directly. Every grant is journaled and the DPO is
told (``halte.accounts.grants``).

The administration site asks :func:`may_grant` on every path that creates or revives a membership
(add form, change form, inlines); anything but :attr:`Decision.DIRECT` is refused there, so the
only way to a case-reading membership is the two-person workflow.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from halte.accounts.models import Role

from .policy import ROLE_CAPABILITIES, ROLES_WITHOUT_CASE_CONTENT, Capability, has_capability

if TYPE_CHECKING:
    from halte.accounts.models import Membership, MembershipGrant, User


class Decision(enum.Enum):
    DIRECT = "direct"  # the granter may give it alone
    SECOND_PERSON = "second_person"  # the granter may ask; someone else must confirm
    REFUSED = "refused"


# Roles whose members read case content: derived from the capability table, never typed twice.
CASE_READING_ROLES = frozenset(
    role
    for role, capabilities in ROLE_CAPABILITIES.items()
    if Capability.READ_CASES in capabilities and role not in ROLES_WITHOUT_CASE_CONTENT
)
# Roles that may confirm a grant: giving one of them is as sensitive as giving case content.
APPROVER_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
REQUESTER_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# The DPO oversees the administrators: one of them alone must not appoint that overseer (a puppet).
OVERSIGHT_ROLES = frozenset({Role.DPO})
SECOND_PERSON_ROLES = CASE_READING_ROLES | APPROVER_ROLES | OVERSIGHT_ROLES


def needs_second_person(role: str) -> bool:
    return role in SECOND_PERSON_ROLES


def _acts(membership: Membership | None) -> bool:
    return has_capability(membership, Capability.MANAGE_GRANTS)


def may_grant(granter: Membership | None, user: User, role: str) -> Decision:
    """May `granter` give `user` a membership with `role`, alone or with a second person?"""
    if not _acts(granter):
        return Decision.REFUSED
    assert granter is not None
    if granter.role not in REQUESTER_ROLES:
        return Decision.REFUSED
    if granter.user_id == user.pk:
        return Decision.REFUSED  # nobody grants anything to themself
    if needs_second_person(role):
        return Decision.SECOND_PERSON
    if granter.role != Role.ADMIN:
        return Decision.REFUSED  # accounts are the administrator's work
    return Decision.DIRECT


def may_decide(approver: Membership | None, grant: MembershipGrant) -> bool:
    """Confirm or refuse a pending grant: a coordinator or an administrator who is neither the
    person who asked nor the person who would receive it."""
    if not _acts(approver):
        return False
    assert approver is not None
    if approver.role not in APPROVER_ROLES:
        return False
    if not grant.is_pending:
        return False
    if approver.user_id == grant.requested_by.user_id:
        return False
    return approver.user_id != grant.user_id


def may_cancel(membership: Membership | None, grant: MembershipGrant) -> bool:
    """Withdraw a pending request: the person who asked."""
    if not _acts(membership):
        return False
    assert membership is not None
    return grant.is_pending and membership.user_id == grant.requested_by.user_id


def visible_grants(membership: Membership | None):
    """Requests a membership may read: all of them for those who ask and confirm, none otherwise."""
    from halte.accounts.models import MembershipGrant

    if not _acts(membership):
        return MembershipGrant.objects.none()
    return MembershipGrant.objects.all()


def deciders(grant: MembershipGrant):
    """Who is told that a request waits: every active member who may decide on it."""
    from halte.accounts.models import Membership

    candidates = Membership.objects.active().filter(role__in=APPROVER_ROLES).select_related("user", "organisation")
    return [m for m in candidates if may_decide(m, grant)]


def dpo_memberships():
    """The DPO is told of every grant that needed a second person."""
    from .policy import memberships_with

    return memberships_with(Capability.VIEW_AUDIT_LOG).filter(role=Role.DPO)
