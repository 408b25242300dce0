"""Conflict of interest: an adult of a school named as alleged author. The coordinator withdraws the
case from that school (with a reason, journaled); the adult named never sees the case, whatever their
role, with no decision needed; everything reached through the case goes with it."""

import pytest
from django.urls import reverse

from halte.access import cases as access
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import conflicts
from halte.cases.feedback import _recipients
from halte.cases.models import Action, ConflictOfInterest, Involvement, Person
from tests.cases.conftest import make_case


@pytest.fixture
def named_teacher(people, world):
    """A teacher of school A, named as alleged author on case_a; they hold an account as school staff."""
    teacher = Person.objects.create(
        kind="adult",
        first_name="Marc",
        last_name="Professeur",
        school=people.school_a_staff.school,
        email="CPE.A@halte.test",  # the school staff member's own address, as typed on the record
    )
    Involvement.objects.create(case=world.case_a, person=teacher, role="alleged_author")
    return teacher


def detail(client, login, membership, case):
    client.logout()
    login(client, membership)
    return client.get(reverse("cases:detail", args=[case.public_id]))


def declare(client, login, people, case, reason="Un enseignant de l’établissement est mis en cause"):
    client.logout()
    login(client, people.coordinator)
    return client.post(
        reverse("cases:conflict", args=[case.public_id]),
        {"organisation": people.school_a_staff.organisation.pk, "reason": reason},
    )


def test_the_adult_named_never_sees_the_case_with_no_decision_needed(client, login, people, world, named_teacher):
    assert detail(client, login, people.school_a_staff, world.case_a).status_code == 404
    assert world.case_a not in access.visible_cases(people.school_a_staff)
    page = client.get(reverse("cases:list")).content.decode()
    assert world.case_a.reference not in page


def test_even_a_cell_member_named_as_alleged_author_does_not_see_the_case(client, login, people, world):
    referent = people.education_referent
    adult = Person.objects.create(kind="adult", first_name="Luc", last_name="Référent", email=referent.user.email)
    Involvement.objects.create(case=world.case_a, person=adult, role="alleged_author")
    assert detail(client, login, referent, world.case_a).status_code == 404
    assert detail(client, login, referent, world.case_b).status_code == 200
    # A witness with the same address is not set aside: only alleged authors are.
    Involvement.objects.filter(person=adult).update(role="witness")
    assert detail(client, login, referent, world.case_a).status_code == 200


def test_the_coordinator_withdraws_the_case_from_the_school_with_a_reason(client, login, people, world, named_teacher):
    colleague = people.school_a_staff.__class__.objects.create(
        user=people.school_b_staff.user.__class__.objects.create_user(
            "principal.a@halte.test", "x" * 16, first_name="Anne", last_name="Principale"
        ),
        organisation=people.school_a_staff.organisation,
        role="school_staff",
    )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=colleague.user, name="t", confirmed=True)
    other_case = make_case("HS-2026-000099", people.school_a_staff.school, people.coordinator)
    action = Action.objects.create(
        case=world.case_a,
        title="Rencontrer l’élève",
        owner_organisation=colleague.organisation,
        created_by=people.coordinator,
    )
    assert detail(client, login, colleague, world.case_a).status_code == 200
    assert action in access.owed_actions(colleague)

    response = declare(client, login, people, world.case_a)
    assert response.status_code == 302
    conflict = ConflictOfInterest.objects.get()
    assert conflict.organisation == colleague.organisation
    event = AuditEvent.objects.get(action=AuditAction.CASE_CONFLICT_DECLARED)
    assert event.actor == people.coordinator.user
    assert event.detail["reason"] == "Un enseignant de l’établissement est mis en cause"

    # The whole school loses the case, its actions and the news about it…
    assert detail(client, login, colleague, world.case_a).status_code == 404
    assert action not in access.owed_actions(colleague)
    assert action not in access.visible_actions(colleague)
    assert not access.can_see_action(colleague, action)
    page = client.get(reverse("cases:my_actions")).content.decode()
    assert "Rencontrer l’élève" not in page
    assert colleague not in _recipients(world.case_a)
    # …but keeps its other cases; the cell keeps this one.
    assert detail(client, login, colleague, other_case).status_code == 200
    assert detail(client, login, people.coordinator, world.case_a).status_code == 200


def test_a_withdrawal_needs_a_reason_and_a_named_adult(client, login, people, world, named_teacher):
    declare(client, login, people, world.case_a, reason="   ")
    assert not ConflictOfInterest.objects.exists()
    # School B has no adult named on case_b: it cannot be set aside there.
    with pytest.raises(conflicts.ConflictRefused):
        conflicts.declare_conflict(
            case=world.case_b, actor=people.coordinator, organisation=people.school_b_staff.organisation, reason="x"
        )
    assert not ConflictOfInterest.objects.exists()


def test_only_the_coordinator_decides(client, login, people, world, named_teacher):
    for name in ("magistrate", "education_referent", "social_worker"):
        client.logout()
        login(client, getattr(people, name))
        response = client.post(
            reverse("cases:conflict", args=[world.case_a.public_id]),
            {"organisation": people.school_a_staff.organisation.pk, "reason": "x"},
        )
        assert response.status_code == 403
    assert not ConflictOfInterest.objects.exists()


def test_the_case_page_offers_the_decision_to_the_coordinator_only(client, login, people, world, named_teacher):
    page = detail(client, login, people.coordinator, world.case_a).content.decode()
    assert "Conflit d’intérêts" in page
    assert people.school_a_staff.organisation.name in page
    assert "Conflit d’intérêts" not in detail(client, login, people.magistrate, world.case_a).content.decode()
    assert "Conflit d’intérêts" not in detail(client, login, people.coordinator, world.case_b).content.decode()
