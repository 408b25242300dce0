"""Judicial measures live in the judicial compartment: whoever does not read it (school staff above
all, but also the coordinator, the education referent, the social worker) never sees them — not on
the case page, not in its timeline, not through their URLs (404)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.cases.models import Event
from halte.core.submission import new_token
from halte.interventions import measures
from halte.interventions.common import InterventionRefused
from halte.interventions.models import Measure

SECRET = "REPARATION-PENALE-CONFIDENTIELLE"
CORE_MEASURE = "ADULTE-REFERENT-VISIBLE"
JUDICIAL_LABEL = "Stage de sensibilisation aux risques du harcèlement"

NOT_JUDICIAL = ["school_a_staff", "coordinator", "education_referent", "social_worker"]
JUDICIAL = ["magistrate", "prosecutor_delegate", "police"]  # police: the judicial part of case_a is shared


@pytest.fixture
def judicial(people, world, cast) -> Measure:
    measures.record_measure(
        case=world.case_a,
        actor=people.coordinator,
        category="protective",
        kind="adult_referent",
        description=CORE_MEASURE,
        starts_on=timezone.localdate(),
    )
    return measures.record_measure(
        case=world.case_a,
        actor=people.magistrate,
        category="judicial",
        kind="awareness_course",
        person=cast.author,
        description=SECRET,
        starts_on=timezone.localdate(),
        review_on=timezone.localdate(),
    )


def test_a_judicial_measure_is_stored_in_the_judicial_compartment(judicial, world):
    assert judicial.compartment == "judicial"
    event = Event.objects.get(case=world.case_a, kind="measure", compartment="judicial")
    assert JUDICIAL_LABEL in event.text
    assert not Event.objects.filter(case=world.case_a, compartment="core", text__contains=JUDICIAL_LABEL).exists()


def page(client, login, membership, url):
    client.logout()
    login(client, membership)
    return client.get(url)


@pytest.mark.parametrize("name", NOT_JUDICIAL)
def test_who_does_not_read_judicial_never_sees_it_on_the_case_page(client, login, people, world, judicial, name):
    response = page(client, login, getattr(people, name), reverse("cases:detail", args=[world.case_a.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert CORE_MEASURE in html  # the panel is there, with the core measure
    assert SECRET not in html  # not in the panel
    assert JUDICIAL_LABEL not in html  # not in the panel, not in the timeline
    assert "Volet judiciaire</span>" not in html
    assert "Une mesure est à réexaminer" not in html  # the judicial one is due, and stays unknown


@pytest.mark.parametrize("name", NOT_JUDICIAL)
def test_who_does_not_read_judicial_gets_404_on_its_urls(client, login, people, world, judicial, name):
    url = reverse("interventions:measure_review", args=[world.case_a.public_id, judicial.public_id])
    client.logout()
    login(client, getattr(people, name))
    assert client.get(url).status_code == 404
    response = client.post(url, {"effectiveness": "effective", "review_note": "x", "status": "ended"})
    assert response.status_code == 404
    judicial.refresh_from_db()
    assert judicial.reviewed_at is None


def test_school_staff_cannot_record_a_judicial_measure(client, login, people, world, cast):
    login(client, people.school_a_staff)
    url = reverse("interventions:measure_new", args=[world.case_a.public_id])
    form = client.get(url + "?categorie=judicial").content.decode()
    assert JUDICIAL_LABEL not in form
    assert "Mesure judiciaire" not in form
    response = client.post(
        url,
        {
            "category": "judicial",
            "submission_token": new_token(),
            "kind": "awareness_course",
            "status": "active",
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert not Measure.objects.exists()
    with pytest.raises(InterventionRefused):
        measures.record_measure(
            case=world.case_a,
            actor=people.school_a_staff,
            category="judicial",
            kind="awareness_course",
            starts_on=timezone.localdate(),
        )
    with pytest.raises(InterventionRefused):  # nor the coordinator, who does not read the judicial part
        measures.record_measure(
            case=world.case_a,
            actor=people.coordinator,
            category="judicial",
            kind="awareness_course",
            starts_on=timezone.localdate(),
        )
    assert not Measure.objects.exists()


@pytest.mark.parametrize("name", JUDICIAL)
def test_judicial_readers_see_it_and_review_it(client, login, people, world, judicial, name):
    html = page(client, login, getattr(people, name), reverse("cases:detail", args=[world.case_a.public_id])).content
    html = html.decode()
    assert SECRET in html
    assert JUDICIAL_LABEL in html
    url = reverse("interventions:measure_review", args=[world.case_a.public_id, judicial.public_id])
    assert client.get(url).status_code == 200


def test_the_police_read_only_the_judicial_part_of_the_register(client, login, people, world, judicial):
    html = page(client, login, people.police, reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert SECRET in html
    assert CORE_MEASURE not in html  # the police only read the judicial compartment of case_a
    assert "titre-entretiens" not in html
    assert "titre-familles" not in html


def test_the_police_record_a_judicial_measure_when_the_judicial_part_is_shared(client, login, people, world, cast):
    login(client, people.police)
    url = reverse("interventions:measure_new", args=[world.case_a.public_id])
    response = client.post(
        url,
        {
            "category": "judicial",
            "submission_token": new_token(),
            "kind": "phone_confiscation",
            "person": str(cast.author.public_id),
            "status": "active",
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Measure.objects.get().compartment == "judicial"
    # Without a share (school B's case), the case itself is unknown to them.
    url_b = reverse("interventions:measure_new", args=[world.case_b.public_id])
    assert client.get(url_b).status_code == 404


# --- No person's name for who does not read the core ---------------------------------------------------
# The police read only the judicial compartment of case_a: the pupils' names are core content.


def names(cast) -> list[str]:
    return [str(person) for person in vars(cast).values()] + [person.last_name for person in vars(cast).values()]


def assert_no_name(html: str, cast) -> None:
    leaked = [name for name in names(cast) if name in html]
    assert not leaked, leaked


def test_the_police_see_no_name_on_the_case_page_panel_nor_timeline(client, login, people, world, cast, judicial):
    html = page(client, login, people.police, reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert SECRET in html  # the judicial measure itself is theirs to read
    assert JUDICIAL_LABEL in html
    assert_no_name(html, cast)
    assert "Élève concerné" not in html  # not even an empty column


def test_a_judicial_timeline_event_never_names_a_person(people, world, cast, judicial):
    event = Event.objects.get(case=world.case_a, kind="measure", compartment="judicial")
    assert event.text == f"Mesure judiciaire enregistrée : {JUDICIAL_LABEL}."
    assert_no_name(event.text, cast)


def test_the_police_measure_pages_show_no_name_and_journal_the_judicial_part(
    client, login, people, world, cast, judicial
):
    login(client, people.police)
    new = reverse("interventions:measure_new", args=[world.case_a.public_id])
    review = reverse("interventions:measure_review", args=[world.case_a.public_id, judicial.public_id])
    for url in (new, review):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert_no_name(html, cast)
        assert 'name="person"' not in html
        read = AuditEvent.objects.filter(action=Action.CASE_READ).latest("id")
        assert read.detail["compartments"] == ["judicial"]
    # A person slipped into the request is ignored: the police cannot pick whom they cannot see.
    response = client.post(
        new,
        {
            "category": "judicial",
            "submission_token": new_token(),
            "kind": "phone_confiscation",
            "person": str(cast.witness.public_id),
            "status": "active",
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    recorded = Measure.objects.get(kind="phone_confiscation")
    assert recorded.person is None


def test_the_police_cannot_name_a_person_through_the_domain_function(people, world, cast):
    with pytest.raises(InterventionRefused):
        measures.record_measure(
            case=world.case_a,
            actor=people.police,
            category="judicial",
            kind="phone_confiscation",
            person=cast.author,
            starts_on=timezone.localdate(),
        )
    assert not Measure.objects.exists()


def test_core_and_judicial_readers_still_see_the_person(client, login, people, world, cast, judicial):
    html = page(client, login, people.magistrate, reverse("cases:detail", args=[world.case_a.public_id]))
    assert str(cast.author) in html.content.decode()  # the register names the pupil concerned
    form = client.get(reverse("interventions:measure_new", args=[world.case_a.public_id])).content.decode()
    assert 'name="person"' in form
    assert str(cast.victim) in form
