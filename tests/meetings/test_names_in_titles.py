"""A meeting's title and place travel where the case does not: in the invitation email, in the .ics, in
the calendars and lists of invitees who may not read any case. Naming a person of a case there is
refused, on the scheduling, editing and « déjà tenue » pages, each refusal worded for its page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.cases.enums import PersonKind
from halte.cases.models import Person
from halte.meetings.forms import names_a_person
from halte.meetings.models import Meeting

from .conftest import make_meeting
from .test_held import a_while_ago, held_form
from .test_pages import as_member, form_data

REFUSED = "N’indiquez pas le nom d’une personne d’un dossier"


@pytest.fixture
def pupils(db):
    Person.objects.create(kind=PersonKind.PUPIL, first_name="Manon", last_name="Lefèvre")
    Person.objects.create(kind=PersonKind.PUPIL, first_name="Enzo", last_name="Dubois")
    Person.objects.create(kind=PersonKind.PUPIL, first_name="Marie-Claire", last_name="Dupont")


def errors(response, field):
    return " ".join(response.context["form"].errors.get(field, []))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Réunion sur Manon Lefèvre et Enzo Dubois"),
        ("title", "Point LEFEVRE manon"),  # case, accents, order
        ("title", "Situation de Marie-Claire Dupont"),  # three tokens
        ("title", "Situation de Dupont Marie Claire"),
        ("place", "Domicile d’Enzo Dubois"),
    ],
)
def test_scheduling_refuses_a_person_of_a_case(client, login, people, pupils, field, value):
    as_member(client, login, people.coordinator)
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(reverse("meetings:schedule"), form_data(day, **{field: value}))
    assert response.status_code == 400
    assert REFUSED in errors(response, field)
    assert "courriel" in errors(response, field)
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    "title",
    [
        "Réunion de la cellule",
        "Réunion sur la situation de Manon",  # a first name alone names nobody
        "Lefèvre et Dubois",  # two last names of different people are not a person's name
    ],
)
def test_a_title_naming_nobody_is_kept(client, login, people, pupils, title):
    as_member(client, login, people.coordinator)
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(reverse("meetings:schedule"), form_data(day, title=title))
    assert response.status_code == 302
    assert Meeting.objects.get().title == title


def test_editing_refuses_a_person_of_a_case(client, login, people, pupils):
    meeting = make_meeting(people.coordinator)
    as_member(client, login, people.coordinator)
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(reverse("meetings:edit", args=[meeting.public_id]), form_data(day, title="Manon Lefèvre"))
    assert response.status_code == 400
    assert REFUSED in errors(response, "title")
    meeting.refresh_from_db()
    assert meeting.title == "Réunion de la cellule"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Urgence Enzo Dubois", REFUSED),
        ("place", "Chez Manon Lefèvre", REFUSED),
        ("title", "Point sur HS-2026-000001", "N’indiquez pas de référence de dossier ici"),
    ],
)
def test_a_held_meeting_refuses_it_too_in_words_that_fit_the_page(client, login, people, pupils, field, value, message):
    as_member(client, login, people.coordinator)
    overrides = {field: value, **({"mode": "in_person"} if field == "place" else {})}
    response = client.post(reverse("meetings:record_held"), held_form(people, a_while_ago(hours=1), **overrides))
    assert response.status_code == 400
    said = errors(response, field)
    assert message in said
    # Nobody receives an email from this page: the refusal must not say otherwise.
    assert "courriel" not in said and "agenda" in said
    assert not Meeting.objects.exists()


def test_the_check_is_one_query(people, pupils, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert names_a_person("Réunion de la cellule sur Enzo Dubois, Manon Lefèvre et les autres")
    with django_assert_num_queries(0):
        assert not names_a_person("Urgence")  # one word: nothing to look up
