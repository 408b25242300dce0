"""Which roles a person may hold, by kind: one rule (``halte.cases.roles``), asked at every way in.

A case of the cell is about bullying between pupils: an adult is never its victim (an adult alleged
author is kept: staff harassing a pupil sets off the conflict-of-interest rule), a pupil never a legal
guardian. Attacks: the people form, a forged choice of an existing record of the other kind, the
domain function called directly, the triage of the report's pupils (a forged role, an adult record),
the partners' API."""

import json

import pytest
from django.urls import reverse

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions, roles
from halte.cases.enums import PersonKind, Role
from halte.cases.models import Case, Event, Involvement, Person
from halte.cases.severity import Criteria
from halte.core.submission import new_token
from halte.reports import enums as report_enums
from halte.reports.actions import PupilData

from .test_triage_pupils import a_report, decide

ADULT_VICTIM = "Un adulte ne peut pas être victime dans un dossier de harcèlement scolaire"
PUPIL_GUARDIAN = "Un élève ne peut pas être représentant légal"


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


# --- The rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "role", "allowed"),
    [
        (PersonKind.PUPIL, Role.VICTIM, True),
        (PersonKind.PUPIL, Role.ALLEGED_AUTHOR, True),
        (PersonKind.PUPIL, Role.WITNESS, True),
        (PersonKind.PUPIL, Role.REPORTER, True),
        (PersonKind.PUPIL, Role.GUARDIAN, False),
        (PersonKind.ADULT, Role.VICTIM, False),
        (PersonKind.ADULT, Role.ALLEGED_AUTHOR, True),
        (PersonKind.ADULT, Role.WITNESS, True),
        (PersonKind.ADULT, Role.GUARDIAN, True),
        (PersonKind.ADULT, Role.REPORTER, True),
    ],
)
def test_the_rule_by_kind_and_role(kind, role, allowed):
    assert (roles.refusal(kind, role) is None) is allowed


def test_every_kind_and_role_is_decided():
    for kind in PersonKind.values:
        for role in Role.values:
            message = roles.refusal(kind, role)
            assert message is None or message not in (str(roles.UNSUITED), str(roles.UNKNOWN_KIND)), (kind, role)


def test_an_unknown_kind_is_refused():
    assert roles.refusal("alien", Role.WITNESS) == str(roles.UNKNOWN_KIND)


# --- The people form ------------------------------------------------------------------------------


def post_person(client, case, **data):
    url = reverse("cases:add_person", args=[case.public_id])
    return client.post(url, {"submission_token": new_token(), "create": "1", **data})


def test_an_adult_cannot_be_added_as_victim_through_the_form(client, login, people, world):
    login(client, people.coordinator)
    response = post_person(client, world.case_a, role="victim", kind="adult", first_name="Marc", last_name="Prof")
    assert response.status_code == 400
    assert ADULT_VICTIM in response.content.decode()
    assert not Person.objects.filter(last_name="Prof").exists()
    assert not Event.objects.filter(case=world.case_a, kind="person").exists()


def test_an_adult_alleged_author_is_kept(client, login, people, world):
    """An adult harassing a pupil is not bullying between pupils, but must not be lost."""
    login(client, people.coordinator)
    response = post_person(
        client, world.case_a, role="alleged_author", kind="adult", first_name="Marc", last_name="Prof"
    )
    assert response.status_code == 302
    involvement = Involvement.objects.get(case=world.case_a, person__last_name="Prof")
    assert (involvement.role, involvement.person.kind) == (Role.ALLEGED_AUTHOR, PersonKind.ADULT)


@pytest.mark.parametrize(
    ("record_kind", "typed_kind", "role", "message"),
    [
        (PersonKind.ADULT, "pupil", "victim", ADULT_VICTIM),
        (PersonKind.PUPIL, "adult", "guardian", PUPIL_GUARDIAN),
    ],
)
def test_an_existing_record_of_the_other_kind_is_refused_whatever_kind_is_posted(
    client, login, people, world, record_kind, typed_kind, role, message
):
    """The « C'est cette personne » button posts the record's id: the kind that counts is the record's."""
    record = Person(kind=record_kind, first_name="Sam", last_name="Record")
    record.save()
    login(client, people.coordinator)
    response = post_person(
        client, world.case_a, role=role, kind=typed_kind, first_name="Sam", existing=str(record.public_id)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Involvement.objects.filter(person=record).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_PERSON_ADDED).exists()
    # The token was not spent by the refusal: the corrected form goes through with it.
    token = response.context["form"]["submission_token"].value()
    good = "witness"
    url = reverse("cases:add_person", args=[world.case_a.public_id])
    data = {"submission_token": token, "role": good, "kind": typed_kind, "first_name": "Sam"}
    again = client.post(url, {**data, "existing": str(record.public_id)})
    assert again.status_code == 302
    assert Involvement.objects.get(person=record).role == good


# --- The domain function --------------------------------------------------------------------------


def test_the_domain_refuses_an_adult_victim_and_keeps_nothing(people, world):
    with pytest.raises(actions.ActionRefused) as refused:
        actions.add_person(
            case=world.case_a, actor=people.coordinator, role=Role.VICTIM, kind=PersonKind.ADULT, first_name="Marc"
        )
    assert ADULT_VICTIM in refused.value.message
    assert not Person.objects.filter(first_name="Marc").exists()


def test_the_domain_refuses_an_existing_pupil_as_guardian(people, world):
    pupil = Person(kind=PersonKind.PUPIL, first_name="Kid")
    pupil.save()
    with pytest.raises(actions.ActionRefused) as refused:
        actions.add_person(case=world.case_a, actor=people.coordinator, role=Role.GUARDIAN, person=pupil)
    assert PUPIL_GUARDIAN in refused.value.message
    assert not Involvement.objects.filter(person=pupil).exists()


# --- The triage of the report's pupils ------------------------------------------------------------


def test_the_triage_offers_a_pupil_only_the_roles_the_rule_allows(client, login, people):
    report = a_report(people, [PupilData(first_name="Jade", role="victim")])
    login(client, people.coordinator)
    page = client.get(reverse("cases:triage", args=[report.public_id]))
    (proposal,) = page.context["pupils"]
    offered = {value for value, _label in proposal.form.fields["role"].choices}
    assert offered == {Role.VICTIM, Role.ALLEGED_AUTHOR, Role.WITNESS}
    assert offered <= roles.ALLOWED_ROLES[PersonKind.PUPIL]


def test_the_triage_refuses_a_forged_guardian_role_and_creates_nobody(client, login, people):
    report = a_report(people, [PupilData(first_name="Jade", role="victim")])
    login(client, people.coordinator)
    response, _data = decide(client, report, changes={"Jade": {"role": "guardian"}})
    assert response.status_code == 400
    assert "Ce choix n’est pas (ou plus) proposé" in response.content.decode()
    assert not Case.objects.exists() and not Person.objects.exists()


def test_the_triage_domain_refuses_an_adult_record_as_victim_and_rolls_everything_back(people):
    adult = Person(kind=PersonKind.ADULT, first_name="Marc", last_name="Prof")
    adult.save()
    report = a_report(people, [PupilData(first_name="Marc", last_name="Prof", role="victim")])
    decision = actions.TriageDecision(
        outcome="open_case",
        qualification="bullying",
        criteria=Criteria(),
        pupils=[
            actions.ReportedPupilChoice(role=Role.WITNESS, first_name="Inès"),
            actions.ReportedPupilChoice(role=Role.VICTIM, person=adult),
        ],
    )
    with pytest.raises(actions.ActionRefused) as refused:
        actions.triage_report(report=report, actor=people.coordinator, decision=decision)
    assert ADULT_VICTIM in refused.value.message
    assert not Case.objects.exists()
    assert list(Person.objects.all()) == [adult]
    assert not hasattr(type(report).objects.get(pk=report.pk), "triage")


# --- The partners' API ----------------------------------------------------------------------------


def test_the_api_takes_pupils_only_in_roles_the_rule_allows_a_pupil(client, raw_key):
    assert set(report_enums.PupilRole.values) <= roles.ALLOWED_ROLES[PersonKind.PUPIL]
    body = {
        "reporter_kind": "parent",
        "description": "Mon fils est insulté tous les jours.",
        "pupils": [{"first_name": "Inès", "role": "guardian"}],
    }
    response = client.post("/api/v1/reports", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=raw_key)
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == ["role"]


def test_an_existing_record_is_taken_only_among_the_suggestions_shown_for_the_name_typed(client, login, people, world):
    """The « C'est cette personne » button posts a record's id: an id of someone else (copied from
    another page, or forged) does not attach that person's record to the case."""
    stranger = Person(kind=PersonKind.PUPIL, first_name="Zoé", last_name="Inconnue")
    stranger.save()
    login(client, people.coordinator)
    response = post_person(
        client, world.case_a, role="witness", kind="pupil", first_name="Sam", existing=str(stranger.public_id)
    )
    assert response.status_code == 404
    assert not Involvement.objects.filter(person=stranger).exists()
