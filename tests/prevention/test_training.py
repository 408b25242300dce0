"""Staff trainings through HTTP (create, register attendees, take attendance, PDF certificates), pupil
ambassadors (counts by school year), who may use these pages, and the school-year boundary."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from halte.core.submission import new_token
from halte.prevention import coverage, training
from halte.prevention.models import AmbassadorCount, TrainingAttendee, TrainingSession
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def as_member(membership, login) -> Client:
    return login(Client(), membership)


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def create_session(client, *, starts_at, title="Repérer les signaux faibles") -> TrainingSession:
    response = client.post(
        reverse("prevention:trainings"),
        {
            "topic": "weak_signals",
            "title": title,
            "trainer": "Claire Formatrice",
            "starts_at": local_input(starts_at),
            "duration_minutes": "180",
            "place": "DSDEN de la Somme, Amiens",
            "submission_token": new_token(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session = TrainingSession.objects.get(title=title)
    assert response.url == reverse("prevention:training_detail", args=[session.public_id])
    return session


def register(client, session, full_name, school, function="CPE"):
    return client.post(
        reverse("prevention:training_detail", args=[session.public_id]),
        {
            "action": "add",
            "participant-full_name": full_name,
            "participant-function": function,
            "participant-school": str(school.pk),
            "participant-submission_token": new_token(),
        },
    )


def mark_present(client, session, *attendees):
    return client.post(
        reverse("prevention:training_detail", args=[session.public_id]),
        {"action": "attendance", "presence-present": [str(a.pk) for a in attendees]},
    )


def certificate_url(session, attendee) -> str:
    return reverse("prevention:training_certificate", args=[session.public_id, attendee.public_id])


@pytest.fixture
def coordinator(people, login) -> Client:
    return as_member(people.coordinator, login)


@pytest.fixture
def held_session(coordinator) -> TrainingSession:
    """A session that took place two hours ago, with two attendees from two schools."""
    started = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    session = create_session(coordinator, starts_at=started)
    assert register(coordinator, session, "Marie Curie", SchoolFactory(name="Collège Jules Ferry")).status_code == 302
    register(coordinator, session, "Paul Langevin", SchoolFactory(name="Lycée Condorcet"), function="Infirmier")
    return session


# --- Sessions and attendance ---------------------------------------------------------------------


def test_create_a_session_and_register_attendees(coordinator, held_session):
    attendees = list(held_session.attendees.order_by("full_name"))
    assert [(a.full_name, a.function, a.school.name, a.attended) for a in attendees] == [
        ("Marie Curie", "CPE", "Collège Jules Ferry", False),
        ("Paul Langevin", "Infirmier", "Lycée Condorcet", False),
    ]
    html = coordinator.get(reverse("prevention:training_detail", args=[held_session.public_id])).content.decode()
    assert "Marie Curie" in html and "Infirmier" in html and "Lycée Condorcet" in html
    listing = coordinator.get(reverse("prevention:trainings"))
    assert listing.status_code == 200
    assert "Repérer les signaux faibles" in listing.content.decode()


def test_the_same_person_cannot_be_registered_twice(coordinator, held_session):
    marie = held_session.attendees.get(full_name="Marie Curie")
    response = register(coordinator, held_session, "marie curie", marie.school)
    assert response.status_code == 400
    assert "déjà inscrite" in response.content.decode()
    assert held_session.attendees.count() == 2


def test_mark_attendance(coordinator, held_session):
    marie = held_session.attendees.get(full_name="Marie Curie")
    response = mark_present(coordinator, held_session, marie)
    assert response.status_code == 302
    assert set(held_session.attendees.filter(attended=True).values_list("full_name", flat=True)) == {"Marie Curie"}
    # Taking attendance again replaces it: whoever is not ticked is absent.
    paul = held_session.attendees.get(full_name="Paul Langevin")
    mark_present(coordinator, held_session, paul)
    assert set(held_session.attendees.filter(attended=True).values_list("full_name", flat=True)) == {"Paul Langevin"}


def test_attendance_waits_for_the_session_to_start(coordinator):
    session = create_session(coordinator, starts_at=timezone.now() + timedelta(days=3), title="Protocole pHARe")
    register(coordinator, session, "Marie Curie", SchoolFactory())
    marie = session.attendees.get()
    response = mark_present(coordinator, session, marie)
    assert response.status_code == 400
    marie.refresh_from_db()
    assert not marie.attended
    with pytest.raises(training.TrainingRefused):
        training.record_attendance(session=session, present={marie.pk})


# --- Certificates --------------------------------------------------------------------------------


def test_the_certificate_of_an_attendee_who_attended_is_a_pdf(coordinator, held_session):
    marie = held_session.attendees.get(full_name="Marie Curie")
    mark_present(coordinator, held_session, marie)
    response = coordinator.get(certificate_url(held_session, marie))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "attestation-formation-" in disposition and "marie-curie.pdf" in disposition


def test_no_certificate_for_an_attendee_who_did_not_attend(coordinator, held_session):
    paul = held_session.attendees.get(full_name="Paul Langevin")
    assert coordinator.get(certificate_url(held_session, paul)).status_code == 404


def test_no_certificate_through_another_session(coordinator, held_session):
    marie = held_session.attendees.get(full_name="Marie Curie")
    mark_present(coordinator, held_session, marie)
    other = create_session(coordinator, starts_at=timezone.now() - timedelta(days=1), title="Écouter un enfant")
    assert coordinator.get(certificate_url(other, marie)).status_code == 404


def test_the_certificate_says_who_what_when_where_and_who_issues_it(people, settings):
    session = TrainingSession.objects.create(
        topic="mpp",
        title="La méthode de la préoccupation partagée",
        trainer="Claire Formatrice",
        starts_at=datetime(2026, 3, 10, 9, 0, tzinfo=PARIS),
        duration_minutes=195,
        place="Collège Jules Verne, Amiens",
        created_by=people.coordinator,
    )
    marie = TrainingAttendee.objects.create(
        session=session, full_name="Marie Curie", function="CPE", school=SchoolFactory(), attended=True
    )
    certificate = training.certificate_for(marie)
    assert certificate.issuer == settings.HALTE["OPERATOR_NAME"]
    assert certificate.duration_label == "3 h 15"
    assert (certificate.starts_at.hour, certificate.ends_at.hour, certificate.ends_at.minute) == (9, 12, 15)
    assert certificate.filename == "attestation-formation-2026-03-10-marie-curie.pdf"
    marie.attended = False
    with pytest.raises(training.TrainingRefused):
        training.certificate_for(marie)


# --- Ambassadors ---------------------------------------------------------------------------------


def test_record_ambassadors_by_school_year(coordinator, people):
    school = SchoolFactory(name="Collège Anne Frank")
    trained_on = timezone.localdate() - timedelta(days=2)
    year = coverage.school_year_of(trained_on)
    response = coordinator.post(
        reverse("prevention:ambassadors"),
        {
            "school": str(school.pk),
            "trained_on": trained_on.isoformat(),
            "count": "12",
            "submission_token": new_token(),
        },
    )
    assert response.status_code == 302
    record = AmbassadorCount.objects.get(school=school)
    assert (record.school_year, record.count, record.recorded_by) == (year, 12, people.coordinator)
    page = coordinator.get(reverse("prevention:ambassadors"), {"annee": year})
    assert page.status_code == 200
    assert page.context["total"] == 12
    assert "Collège Anne Frank" in page.content.decode()
    rows = coverage.coverage_for(year, type(school).objects.filter(pk=school.pk))
    assert rows[0].ambassadors == 12


def test_ambassadors_are_counted_in_the_school_year_of_their_training(people):
    school = SchoolFactory()
    august = training.record_ambassadors(actor=people.coordinator, school=school, trained_on=date(2026, 8, 31), count=4)
    september = training.record_ambassadors(
        actor=people.coordinator, school=school, trained_on=date(2026, 9, 1), count=5
    )
    assert (august.school_year, september.school_year) == (2025, 2026)


def test_ambassadors_cannot_be_recorded_in_the_future(coordinator):
    response = coordinator.post(
        reverse("prevention:ambassadors"),
        {
            "school": str(SchoolFactory().pk),
            "trained_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "count": "10",
            "submission_token": new_token(),
        },
    )
    assert response.status_code == 400
    assert not AmbassadorCount.objects.exists()


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["school_a_staff", "analyst", "education_referent", "association_worker", "police"])
def test_only_the_coordination_manages_trainings_and_ambassadors(people, login, who):
    session = TrainingSession.objects.create(
        topic="phare",
        title="Protocole pHARe",
        trainer="Claire Formatrice",
        starts_at=timezone.now() - timedelta(days=1),
        duration_minutes=120,
        place="Amiens",
        created_by=people.coordinator,
    )
    attendee = TrainingAttendee.objects.create(
        session=session, full_name="Marie Curie", function="CPE", school=SchoolFactory(), attended=True
    )
    client = as_member(getattr(people, who), login)
    for url in (
        reverse("prevention:trainings"),
        reverse("prevention:training_detail", args=[session.public_id]),
        certificate_url(session, attendee),
        reverse("prevention:ambassadors"),
    ):
        assert client.get(url).status_code == 403, url


def test_the_coordinator_opens_the_pages(coordinator):
    assert coordinator.get(reverse("prevention:trainings")).status_code == 200
    assert coordinator.get(reverse("prevention:ambassadors")).status_code == 200


# --- School years --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2026, 8, 31), 2025), (date(2026, 9, 1), 2026), (date(2025, 12, 31), 2025), (date(2026, 1, 1), 2025)],
)
def test_school_year_helpers_at_the_boundary(day, year):
    assert coverage.school_year_of(day) == year
    first, last = coverage.school_year_bounds(year)
    assert first <= day <= last
    assert (first, last) == (date(year, 9, 1), date(year + 1, 8, 31))
    assert last + timedelta(days=1) == coverage.school_year_bounds(year + 1)[0]
