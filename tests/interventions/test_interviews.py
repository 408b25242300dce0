"""Interviews: with a person involved in the case, whose kind follows the involvement; the child's
words kept verbatim under a plain label; nothing saved on invalid input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.cases.models import Event
from halte.core.submission import new_token
from halte.interventions import interviews
from halte.interventions.common import InterventionRefused
from halte.interventions.models import Interview

from .conftest import involve

WORDS = "« Ils m’attendent à la sortie et ils prennent mon sac. »"


def url(case):
    return reverse("interventions:interview_new", args=[case.public_id])


def moment(days=1):
    return (timezone.localtime() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def involvement_id(case, person, role):
    return str(case.involvements.get(person=person, role=role).pk)


def test_the_form_labels_the_words_plainly_and_offers_only_people_of_the_case(client, login, people, world, cast):
    login(client, people.school_a_staff)
    response = client.get(url(world.case_a))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Paroles de l’élève, mot pour mot" in html
    assert str(cast.victim) in html and str(cast.witness) in html and str(cast.author_guardian) in html
    assert str(cast.reporter) not in html  # the person who reported is not interviewed here


def test_an_interview_with_the_victim_keeps_the_words_verbatim(client, login, people, world, cast):
    case = world.case_a
    login(client, people.school_a_staff)
    response = client.post(
        url(case),
        {
            "involvement": involvement_id(case, cast.victim, "victim"),
            "submission_token": new_token(),
            "method": "hearing",
            "held_at": moment(),
            "conducted_by": str(people.school_a_staff.public_id),
            "also_present": "L’infirmière scolaire",
            "words": WORDS,
            "summary": "Élève en confiance, demande que cela cesse.",
        },
    )
    assert response.status_code == 302
    interview = Interview.objects.get()
    assert interview.kind == Interview.Kind.VICTIM
    assert interview.person == cast.victim
    assert interview.words == WORDS
    assert interview.conducted_by == people.school_a_staff
    assert AuditEvent.objects.get(action=Action.INTERVIEW_RECORDED).detail["kind"] == "victim"
    event = Event.objects.get(case=case, kind="interview")
    assert WORDS not in event.text  # the timeline says an interview took place, not what was said
    client.logout()
    login(client, people.coordinator)
    html = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert "Paroles de l’élève, mot pour mot" in html
    assert WORDS in html


@pytest.mark.parametrize(
    ("attr", "role"),
    [("witness", "witness"), ("author", "alleged_author"), ("victim_guardian", "guardian")],
)
def test_the_kind_follows_the_involvement(people, world, cast, attr, role):
    involvement = world.case_a.involvements.get(person=getattr(cast, attr), role=role)
    interview = interviews.record_interview(
        case=world.case_a,
        actor=people.coordinator,
        involvement=involvement,
        held_at=timezone.now() - timedelta(hours=2),
        conducted_by=people.coordinator,
        summary="Entendu seul.",
    )
    assert interview.kind == role


def test_a_person_of_another_case_is_refused(client, login, people, world, cast):
    stranger = involve(world.case_b, "witness", "Tom", "Ailleurs")
    other = world.case_b.involvements.get(person=stranger)
    login(client, people.coordinator)
    response = client.post(
        url(world.case_a),
        {
            "involvement": str(other.pk),
            "submission_token": new_token(),
            "method": "hearing",
            "held_at": moment(),
            "conducted_by": str(people.coordinator.public_id),
            "summary": "x",
        },
    )
    assert response.status_code == 400
    assert not Interview.objects.exists()
    with pytest.raises(InterventionRefused):
        interviews.record_interview(
            case=world.case_a,
            actor=people.coordinator,
            involvement=other,
            held_at=timezone.now(),
            conducted_by=people.coordinator,
            summary="x",
        )


def test_invalid_input_is_refused_in_french_and_nothing_is_saved(client, login, people, world, cast):
    login(client, people.coordinator)
    base = {
        "involvement": involvement_id(world.case_a, cast.witness, "witness"),
        "submission_token": new_token(),
        "method": "hearing",
        "conducted_by": str(people.coordinator.public_id),
    }
    future = client.post(url(world.case_a), {**base, "held_at": moment(days=-2), "summary": "x"})
    assert future.status_code == 400
    assert "La date de l’entretien ne peut pas être dans le futur." in future.content.decode()
    empty = client.post(url(world.case_a), {**base, "held_at": moment()})
    assert empty.status_code == 400
    assert "Écrivez les paroles de l’élève ou la synthèse de l’entretien." in empty.content.decode()
    nul = client.post(url(world.case_a), {**base, "held_at": moment(), "summary": "a\x00b"})
    assert nul.status_code == 302  # control characters are stripped, never a 500
    assert [i.summary for i in Interview.objects.all()] == ["ab"]


def test_conducted_by_is_someone_of_the_case_team(client, login, people, world, cast):
    login(client, people.school_a_staff)
    response = client.post(
        url(world.case_a),
        {
            "involvement": involvement_id(world.case_a, cast.witness, "witness"),
            "submission_token": new_token(),
            "method": "hearing",
            "held_at": moment(),
            "conducted_by": str(people.school_b_staff.public_id),  # another school's staff
            "summary": "x",
        },
    )
    assert response.status_code == 400
    assert not Interview.objects.exists()


def test_an_interview_posted_twice_is_recorded_once(client, login, people, world, cast):
    case = world.case_a
    login(client, people.school_a_staff)
    data = {
        "involvement": involvement_id(case, cast.victim, "victim"),
        "submission_token": new_token(),
        "method": "hearing",
        "held_at": moment(),
        "conducted_by": str(people.school_a_staff.public_id),
        "words": WORDS,
    }
    first = client.post(url(case), data)
    second = client.post(url(case), data, follow=True)
    assert first.status_code == 302
    assert "Déjà enregistré" in second.content.decode()
    assert Interview.objects.count() == 1
