"""Separation of duties through HTTP: an administrator cannot obtain a case-reading membership
alone, by any path of the administration site or of the workflow; with a second person it works,
is journaled and the DPO is told."""

import pytest
from django.core import mail
from django.urls import reverse

from halte.access import policy
from halte.accounts import grants
from halte.accounts.models import GrantStatus, Membership, MembershipGrant, Organisation, OrganisationKind, Role
from halte.audit.models import Action, AuditEvent
from halte.notifications.models import Notification
from tests.factories import MembershipFactory, SchoolFactory, UserFactory

MEMBERSHIP_ADD = reverse("admin:accounts_membership_add")
GRANTS = reverse("grants:list")


def case_readers(user):
    return [m for m in Membership.objects.active().filter(user=user) if policy.can_read_case_content(m)]


def assert_admin_reads_no_case(people):
    assert case_readers(people.admin.user) == []


@pytest.fixture
def admin_client(client, people, login):
    return login(client, people.admin)


def add_membership(client, user, organisation, role, active=True):
    data = {"user": user.pk, "organisation": organisation.pk, "role": role, "is_steering_contact": ""}
    if active:
        data["is_active"] = "on"
    return client.post(MEMBERSHIP_ADD, data)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MAGISTRATE, Role.SCHOOL_STAFF, Role.ADMIN, Role.ANALYST])
def test_the_admin_form_refuses_any_role_to_oneself(admin_client, people, role):
    response = add_membership(admin_client, people.admin.user, people.coordinator.organisation, role)
    assert response.status_code == 200
    assert "vous attribuer un rôle vous-même" in response.content.decode()
    assert not Membership.objects.filter(user=people.admin.user, role=role).exclude(pk=people.admin.pk).exists()
    assert AuditEvent.objects.filter(action=Action.GRANT_DENIED, actor=people.admin.user).exists()
    assert_admin_reads_no_case(people)


@pytest.mark.parametrize("role", sorted(grants.rules.SECOND_PERSON_ROLES))
def test_the_admin_form_refuses_case_reading_roles_for_anyone(admin_client, people, role):
    someone = UserFactory()
    response = add_membership(admin_client, someone, people.coordinator.organisation, role)
    assert response.status_code == 200
    assert "une autre personne devra le confirmer" in response.content.decode()
    assert not Membership.objects.filter(user=someone).exists()


def test_the_admin_form_gives_a_role_without_case_content_directly(admin_client, people):
    someone = UserFactory()
    response = add_membership(admin_client, someone, people.analyst.organisation, Role.ANALYST)
    assert response.status_code == 302
    membership = Membership.objects.get(user=someone)
    assert membership.role == Role.ANALYST
    assert AuditEvent.objects.filter(action=Action.ADMIN_ADDITION, target_id=str(membership.public_id)).exists()


def test_a_deactivated_case_reading_membership_cannot_be_revived_in_the_admin(admin_client, people):
    dormant = MembershipFactory(user=people.admin.user, organisation=people.coordinator.organisation, is_active=False)
    someone_dormant = MembershipFactory(role=Role.SOCIAL_WORKER, is_active=False)
    for membership in (dormant, someone_dormant):
        url = reverse("admin:accounts_membership_change", args=[membership.pk])
        response = admin_client.post(url, {"is_active": "on", "is_steering_contact": ""})
        assert response.status_code == 200
        membership.refresh_from_db()
        assert not membership.is_active
    assert_admin_reads_no_case(people)


def test_the_role_user_and_organisation_of_a_membership_cannot_be_changed_in_the_admin(admin_client, people):
    url = reverse("admin:accounts_membership_change", args=[people.admin.pk])
    other = people.coordinator
    response = admin_client.post(
        url,
        {
            "user": people.admin.user.pk,
            "organisation": other.organisation.pk,
            "role": Role.COORDINATOR,
            "is_active": "on",
            "is_steering_contact": "",
        },
    )
    assert response.status_code == 302
    people.admin.refresh_from_db()
    assert people.admin.role == Role.ADMIN
    assert_admin_reads_no_case(people)
    # Nor can someone else's membership be moved onto the administrator.
    url = reverse("admin:accounts_membership_change", args=[other.pk])
    admin_client.post(url, {"user": people.admin.user.pk, "is_active": "on", "is_steering_contact": ""})
    other.refresh_from_db()
    assert other.user == people.coordinator.user


def test_the_user_page_inline_adds_no_membership(admin_client, people):
    user = people.admin.user
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": people.admin.pk,
        "memberships-0-user": user.pk,
        "memberships-0-role": Role.COORDINATOR,
        "memberships-0-organisation": people.coordinator.organisation.pk,
        "memberships-0-is_active": "on",
        "memberships-1-user": user.pk,
        "memberships-1-organisation": people.coordinator.organisation.pk,
        "memberships-1-role": Role.COORDINATOR,
        "memberships-1-is_active": "on",
    }
    admin_client.post(url, data)
    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == [Role.ADMIN]
    assert_admin_reads_no_case(people)


def test_the_admin_sets_no_password_and_cannot_redirect_a_readers_address(admin_client, people):
    coordinator = people.coordinator.user
    response = admin_client.get(reverse("admin:auth_user_password_change", args=[coordinator.pk]))
    assert response.status_code == 403
    new_password = "Un-mot-de-passe-choisi-2026"
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[coordinator.pk]),
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 403
    coordinator.refresh_from_db()
    assert not coordinator.check_password(new_password)
    url = reverse("admin:accounts_user_change", args=[coordinator.pk])
    admin_client.post(
        url,
        {
            "email": "admin-boite@halte.test",
            "first_name": coordinator.first_name,
            "last_name": coordinator.last_name,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    coordinator.refresh_from_db()
    assert coordinator.email == "coordination@halte.test"


def test_a_new_account_gets_no_password_anyone_knows(admin_client, people):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": " Nouvelle.Personne@Halte.Test ",
            "first_name": "Nouvelle",
            "last_name": "Personne",
            "phone": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    user = type(people.admin.user).objects.get(email="nouvelle.personne@halte.test")
    assert user.has_usable_password()
    assert not user.memberships.exists()


def test_an_organisations_kind_and_establishment_cannot_be_changed(admin_client, people):
    school_org = people.school_a_staff.organisation
    url = reverse("admin:accounts_organisation_change", args=[school_org.pk])
    other_school = SchoolFactory(uai="0809999Z")
    admin_client.post(
        url,
        {
            "name": school_org.name,
            "short_name": "",
            "kind": OrganisationKind.SCHOOL,
            "school": other_school.pk,
            "departement": "080",
            "email": "",
            "is_active": "on",
        },
    )
    school_org.refresh_from_db()
    assert school_org.school.uai == "0800020M"


def test_grant_requests_cannot_be_approved_in_the_admin(admin_client, people):
    grant = MembershipGrant.objects.create(
        user=UserFactory(),
        organisation=people.coordinator.organisation,
        role=Role.COORDINATOR,
        reason="x",
        requested_by=people.admin,
    )
    url = reverse("admin:accounts_membershipgrant_change", args=[grant.pk])
    admin_client.post(url, {"status": GrantStatus.APPROVED})
    grant.refresh_from_db()
    assert grant.is_pending


def ask(client, user, organisation, role, reason="Prise de fonction à la DSDEN"):
    return client.post(
        GRANTS, {"email": user.email.upper(), "organisation": organisation.pk, "role": role, "reason": reason}
    )


def decide(client, grant, decision, note=""):
    return client.post(reverse("grants:decide", args=[grant.public_id]), {"decision": decision, "note": note})


def test_the_workflow_refuses_a_request_for_oneself(admin_client, people):
    response = ask(admin_client, people.admin.user, people.coordinator.organisation, Role.COORDINATOR)
    assert response.status_code == 400
    assert "vous attribuer un rôle vous-même" in response.content.decode()
    assert not MembershipGrant.objects.exists()


def test_an_administrator_alone_cannot_get_a_case_reading_membership(client, people, login):
    """The whole attack: a second administrator account asks for the first, and the first tries to
    confirm; the asker tries to confirm its own request; nothing works without a third person."""
    accomplice = MembershipFactory(organisation=people.admin.organisation, role=Role.ADMIN)
    login(client, accomplice)
    assert ask(client, people.admin.user, people.coordinator.organisation, Role.COORDINATOR).status_code == 302
    grant = MembershipGrant.objects.get()
    # The asker cannot confirm…
    assert decide(client, grant, "approve").status_code == 403
    # …nor the beneficiary.
    client.logout()
    login(client, people.admin)
    assert decide(client, grant, "approve").status_code == 403
    grant.refresh_from_db()
    assert grant.is_pending
    assert_admin_reads_no_case(people)
    assert AuditEvent.objects.filter(action=Action.GRANT_DENIED).count() == 2


def test_with_a_second_persons_confirmation_the_grant_works_and_is_journaled(
    client, people, login, django_capture_on_commit_callbacks
):
    newcomer = UserFactory(email="nouveau.referent@halte.test")
    login(client, people.admin)
    assert ask(client, newcomer, people.coordinator.organisation, Role.EDUCATION_REFERENT).status_code == 302
    grant = MembershipGrant.objects.get()
    assert not Membership.objects.filter(user=newcomer).exists()
    # The coordinators are told that a request waits.
    assert Notification.objects.filter(recipient=people.coordinator.user, kind="access_grant").exists()

    client.logout()
    login(client, people.coordinator)
    mail.outbox.clear()
    with_note = "Arrêté de nomination vu"
    with django_capture_on_commit_callbacks(execute=True):
        assert decide(client, grant, "approve", with_note).status_code == 302
    membership = Membership.objects.get(user=newcomer)
    assert membership.is_active and membership.role == Role.EDUCATION_REFERENT
    assert policy.can_read_case_content(membership)
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by, grant.membership, grant.decision_note) == (
        GrantStatus.APPROVED,
        people.coordinator,
        membership,
        with_note,
    )
    requested = AuditEvent.objects.get(action=Action.GRANT_REQUESTED)
    approved = AuditEvent.objects.get(action=Action.GRANT_APPROVED)
    assert requested.actor == people.admin.user
    assert approved.actor == people.coordinator.user
    assert approved.target_id == str(membership.public_id)
    assert approved.detail["requested_by"] == people.admin.user.email
    # The DPO is told, in Halte and by email (a title, never more).
    assert Notification.objects.filter(recipient=people.dpo.user, kind="access_grant").exists()
    assert any(people.dpo.user.email in message.to for message in mail.outbox)


def test_two_administrators_may_give_an_administrator_a_case_reading_role(client, people, login):
    second_admin = MembershipFactory(organisation=people.admin.organisation, role=Role.ADMIN)
    login(client, second_admin)
    ask(client, people.admin.user, people.coordinator.organisation, Role.COORDINATOR)
    grant = MembershipGrant.objects.get()
    third_admin = MembershipFactory(organisation=people.admin.organisation, role=Role.ADMIN)
    client.logout()
    login(client, third_admin)
    assert decide(client, grant, "approve").status_code == 302
    assert len(case_readers(people.admin.user)) == 1


def test_a_refusal_needs_the_second_person_too_and_creates_nothing(client, people, login):
    newcomer = UserFactory()
    login(client, people.admin)
    ask(client, newcomer, people.coordinator.organisation, Role.SOCIAL_WORKER)
    grant = MembershipGrant.objects.get()
    client.logout()
    login(client, people.coordinator)
    decide(client, grant, "refuse", "Pas de convention avec cette structure")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REFUSED
    assert not Membership.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.filter(action=Action.GRANT_REFUSED).exists()
    # Decided once: confirming afterwards does nothing.
    decide(client, grant, "approve")
    assert not Membership.objects.filter(user=newcomer).exists()


def test_two_confirmations_at_once_make_one_membership(people):
    grant = MembershipGrant.objects.create(
        user=UserFactory(),
        organisation=people.coordinator.organisation,
        role=Role.MAGISTRATE,
        reason="x",
        requested_by=people.admin,
    )
    stale = MembershipGrant.objects.get(pk=grant.pk)  # read by a second confirmer before the first one
    grants.approve_grant(actor=people.coordinator, grant=grant)
    other_coordinator = MembershipFactory(role=Role.COORDINATOR)
    with pytest.raises(grants.GrantError):
        grants.approve_grant(actor=other_coordinator, grant=stale)
    assert Membership.objects.filter(user=grant.user).count() == 1
    assert AuditEvent.objects.filter(action=Action.GRANT_APPROVED).count() == 1


def test_the_asker_may_withdraw_and_nobody_else(client, people, login):
    login(client, people.admin)
    ask(client, UserFactory(), people.coordinator.organisation, Role.POLICE_LIAISON)
    grant = MembershipGrant.objects.get()
    client.logout()
    login(client, people.coordinator)
    decide(client, grant, "cancel")
    grant.refresh_from_db()
    assert grant.is_pending
    client.logout()
    login(client, people.admin)
    decide(client, grant, "cancel")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.CANCELLED


def test_a_request_is_a_404_to_whoever_cannot_see_requests_and_a_403_to_the_asker(client, people, login):
    grant = MembershipGrant.objects.create(
        user=UserFactory(),
        organisation=people.coordinator.organisation,
        role=Role.MAGISTRATE,
        reason="x",
        requested_by=people.admin,
    )
    login(client, people.magistrate)
    assert decide(client, grant, "approve").status_code == 403  # the page rule: no capability
    client.logout()
    login(client, people.admin)
    assert decide(client, grant, "approve").status_code == 403


def test_the_database_refuses_a_decision_by_the_asker(people):
    from django.db import IntegrityError, transaction

    grant = MembershipGrant.objects.create(
        user=UserFactory(),
        organisation=Organisation.objects.first(),
        role=Role.MAGISTRATE,
        reason="x",
        requested_by=people.admin,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipGrant.objects.filter(pk=grant.pk).update(decided_by=people.admin)


def test_the_grants_page_lists_requests_with_a_fixed_number_of_queries(
    client, people, login, django_assert_max_num_queries
):
    for _ in range(3):
        MembershipGrant.objects.create(
            user=UserFactory(),
            organisation=people.coordinator.organisation,
            role=Role.MAGISTRATE,
            reason="x",
            requested_by=people.admin,
        )
    login(client, people.coordinator)
    with django_assert_max_num_queries(20) as captured:
        assert client.get(GRANTS).status_code == 200
    few = len(captured)
    for _ in range(5):
        MembershipGrant.objects.create(
            user=UserFactory(),
            organisation=people.coordinator.organisation,
            role=Role.SOCIAL_WORKER,
            reason="x",
            requested_by=people.admin,
        )
    with django_assert_max_num_queries(few):
        client.get(GRANTS)
