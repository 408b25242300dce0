"""Separation of duties as a matrix: who may give which role to whom, who may confirm.

The expected tables are written out by hand, role by role: they are the specification, not a copy
of the code."""

import pytest

from halte.access import grants as rules
from halte.access.grants import Decision
from halte.accounts.models import MembershipGrant, Role
from tests.conftest import CAST
from tests.factories import MembershipFactory, UserFactory

D, S, R = Decision.DIRECT, Decision.SECOND_PERSON, Decision.REFUSED

# Role given → decision, for a granter acting on *someone else*.
ADMIN_GIVES = {
    Role.COORDINATOR: S,
    Role.MAGISTRATE: S,
    Role.PROSECUTOR_DELEGATE: S,
    Role.EDUCATION_REFERENT: S,
    Role.SOCIAL_WORKER: S,
    Role.SCHOOL_STAFF: S,
    Role.POLICE_LIAISON: S,
    Role.ASSOCIATION_WORKER: S,
    Role.ANALYST: D,
    Role.DPO: S,  # the DPO oversees the administrators: never appointed by one of them alone
    Role.ADMIN: S,  # an administrator can confirm grants: never given by one person
}
COORDINATOR_GIVES = {role: (R if decision is D else S) for role, decision in ADMIN_GIVES.items()}
GRANTERS = {"admin": ADMIN_GIVES, "coordinator": COORDINATOR_GIVES}


def test_the_roles_that_need_a_second_person_are_those_that_read_cases_confirm_or_oversee():
    assert {role for role, decision in ADMIN_GIVES.items() if decision is S} == rules.SECOND_PERSON_ROLES


@pytest.mark.parametrize("granter", CAST)
def test_may_grant_matrix_for_someone_else(people, granter):
    membership = people.all()[granter]
    someone = UserFactory()
    seen = {role: rules.may_grant(membership, someone, role) for role in Role}
    expected = GRANTERS.get(granter, dict.fromkeys(Role, R))
    assert seen == expected


@pytest.mark.parametrize("granter", CAST)
def test_nobody_grants_any_role_to_themself(people, granter):
    membership = people.all()[granter]
    assert {rules.may_grant(membership, membership.user, role) for role in Role} == {R}


def test_an_inactive_membership_grants_nothing(people):
    people.admin.is_active = False
    assert rules.may_grant(people.admin, UserFactory(), Role.ANALYST) is R
    assert rules.may_grant(None, UserFactory(), Role.ANALYST) is R


@pytest.fixture
def pending(people):
    """An administrator asks that the DPO's user also be coordinator of the DSDEN."""
    return MembershipGrant.objects.create(
        user=people.dpo.user,
        organisation=people.coordinator.organisation,
        role=Role.COORDINATOR,
        reason="Intérim",
        requested_by=people.admin,
    )


# Who may confirm the request above: a coordinator or another administrator — not the asker,
# not the person who would receive the role, nobody else.
DECIDERS = {"coordinator"}


@pytest.mark.parametrize("decider", CAST)
def test_may_decide_matrix(people, pending, decider):
    assert rules.may_decide(people.all()[decider], pending) is (decider in DECIDERS)


def test_another_administrator_may_decide_but_not_the_beneficiary_under_another_hat(people, pending):
    other_admin = MembershipFactory(organisation=people.admin.organisation, role=Role.ADMIN)
    assert rules.may_decide(other_admin, pending)
    # The asker under another membership is still the asker.
    asker_as_coordinator = MembershipFactory(user=people.admin.user, role=Role.COORDINATOR)
    assert not rules.may_decide(asker_as_coordinator, pending)
    # The beneficiary, should they be coordinator elsewhere, cannot confirm their own role.
    beneficiary_as_coordinator = MembershipFactory(user=people.dpo.user, role=Role.COORDINATOR)
    assert not rules.may_decide(beneficiary_as_coordinator, pending)


def test_a_decided_request_cannot_be_decided_again(people, pending):
    pending.status = "refused"
    assert not rules.may_decide(people.coordinator, pending)


@pytest.mark.parametrize("member", CAST)
def test_only_the_asker_may_withdraw(people, pending, member):
    assert rules.may_cancel(people.all()[member], pending) is (member == "admin")


def test_deciders_and_the_dpo_are_the_audiences(people, pending):
    assert {m.pk for m in rules.deciders(pending)} == {people.coordinator.pk}
    assert {m.pk for m in rules.dpo_memberships()} == {people.dpo.pk}
