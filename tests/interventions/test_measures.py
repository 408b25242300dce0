"""The measures register: recording (category → kind, dates, receiving school), the first protective
measure milestone, reviews, and the measures due for review highlighted on the case page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.cases.models import Case, Event, Involvement
from halte.core.submission import new_token
from halte.interventions import measures
from halte.interventions.common import InterventionRefused
from halte.interventions.models import Measure
from tests.factories import SchoolFactory

from .conftest import days_ago


def new_url(case):
    return reverse("interventions:measure_new", args=[case.public_id])


def payload(**overrides):
    today = timezone.localdate()
    data = {
        "category": "protective",
        "kind": "adult_referent",
        "person": "",
        "description": "Mme Lefèvre, CPE, voit l’élève chaque lundi.",
        "status": "active",
        "starts_on": today.isoformat(),
        "ends_on": "",
        "review_on": (today + timedelta(days=14)).isoformat(),
        "receiving_school": "",
        "submission_token": new_token(),
    }
    data.update(overrides)
    return data


def test_recording_a_protective_measure_stops_the_first_measure_clock(client, login, people, world, cast):
    case = world.case_a
    assert case.first_measure_at is None
    login(client, people.school_a_staff)
    response = client.post(new_url(case), payload(person=str(cast.victim.public_id)))
    assert response.status_code == 302
    measure = Measure.objects.get()
    assert (measure.category, measure.kind, measure.compartment) == ("protective", "adult_referent", "core")
    assert measure.person == cast.victim
    assert measure.created_by == people.school_a_staff
    case.refresh_from_db()
    first = case.first_measure_at
    assert first is not None
    assert AuditEvent.objects.get(action=Action.MEASURE_RECORDED).detail["first_protective_measure"] is True
    assert Event.objects.filter(case=case, kind="measure", compartment="core").count() == 1
    # A second protective measure does not move the milestone.
    client.post(new_url(case), payload(kind="staff_vigilance"))
    case.refresh_from_db()
    assert case.first_measure_at == first
    assert Measure.objects.count() == 2


@pytest.mark.parametrize(
    ("category", "kind", "status"),
    [
        ("educational", "restorative", "active"),
        ("disciplinary", "warning", "active"),
        ("protective", "peer_support", "planned"),
    ],
)
def test_other_measures_do_not_stop_the_clock(people, world, cast, category, kind, status):
    measures.record_measure(
        case=world.case_a,
        actor=people.coordinator,
        category=category,
        kind=kind,
        status=status,
        person=cast.author,
        starts_on=timezone.localdate(),
    )
    world.case_a.refresh_from_db()
    assert world.case_a.first_measure_at is None


def test_a_planned_protective_measure_stops_the_clock_once_it_is_active(people, world):
    measure = measures.record_measure(
        case=world.case_a,
        actor=people.coordinator,
        category="protective",
        kind="separation_class",
        status="planned",
        starts_on=timezone.localdate(),
    )
    measures.review_measure(
        measure=measure, actor=people.coordinator, effectiveness="partly", review_note="En place.", status="active"
    )
    world.case_a.refresh_from_db()
    assert world.case_a.first_measure_at is not None


def test_end_date_before_start_is_refused_in_french_and_nothing_is_saved(client, login, people, world):
    login(client, people.coordinator)
    today = timezone.localdate()
    response = client.post(
        new_url(world.case_a),
        payload(starts_on=today.isoformat(), ends_on=(today - timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "La date de fin ne peut pas être antérieure à la date de début." in html
    assert "Rien n’a été enregistré" in html
    assert not Measure.objects.exists()
    world.case_a.refresh_from_db()
    assert world.case_a.first_measure_at is None
    with pytest.raises(InterventionRefused):
        measures.record_measure(
            case=world.case_a,
            actor=people.coordinator,
            category="protective",
            kind="adult_referent",
            starts_on=today,
            ends_on=today - timedelta(days=1),
        )
    assert not Measure.objects.exists()


def test_a_kind_from_another_category_is_refused(client, login, people, world):
    login(client, people.coordinator)
    response = client.post(new_url(world.case_a), payload(category="protective", kind="warning"))
    assert response.status_code == 400
    assert "Cette mesure ne relève pas de la catégorie choisie." in response.content.decode()
    assert not Measure.objects.exists()


def test_a_change_of_school_needs_the_receiving_school(client, login, people, world, cast):
    receiving = SchoolFactory(uai="0801234A", name="Collège Jules Ferry")
    login(client, people.coordinator)
    data = payload(category="school_change", kind="author_school_change", person=str(cast.author.public_id))
    missing = client.post(new_url(world.case_a), data)
    assert missing.status_code == 400
    assert "Indiquez l’établissement d’accueil" in missing.content.decode()
    unknown = client.post(new_url(world.case_a), {**data, "receiving_school": "0809999Z"})
    assert unknown.status_code == 400
    assert "Aucun établissement de l’annuaire ne porte ce code UAI." in unknown.content.decode()
    assert not Measure.objects.exists()
    assert client.post(new_url(world.case_a), {**data, "receiving_school": "0801234a"}).status_code == 302
    assert Measure.objects.get().receiving_school == receiving


def test_school_staff_do_not_decide_a_change_of_school(client, login, people, world):
    login(client, people.school_a_staff)
    page = client.get(new_url(world.case_a)).content.decode()
    assert "Exclusion définitive" in page  # disciplinary measures are the school's
    assert "Changement d’établissement de l’auteur" not in page
    response = client.post(new_url(world.case_a), payload(category="school_change", kind="author_school_change"))
    assert response.status_code == 400
    assert not Measure.objects.exists()


def test_the_pupil_must_be_a_person_of_the_case(client, login, people, world, cast):
    from .conftest import involve

    stranger = involve(world.case_b, "victim", "Zoé", "Ailleurs")
    login(client, people.coordinator)
    response = client.post(new_url(world.case_a), payload(person=str(stranger.public_id)))
    assert response.status_code == 400
    assert not Measure.objects.exists()
    with pytest.raises(InterventionRefused):
        measures.record_measure(
            case=world.case_a,
            actor=people.coordinator,
            category="protective",
            kind="adult_referent",
            starts_on=timezone.localdate(),
            person=stranger,
        )


# --- Review and the measures due for review ------------------------------------------------------------


@pytest.fixture
def due_measure(people, world, cast):
    measure = measures.record_measure(
        case=world.case_a,
        actor=people.coordinator,
        category="protective",
        kind="separation_class",
        person=cast.victim,
        starts_on=days_ago(20),
        review_on=days_ago(1),
    )
    return measure


def case_page(client, login, membership, case):
    client.logout()
    login(client, membership)
    return client.get(reverse("cases:detail", args=[case.public_id])).content.decode()


def test_measures_due_for_review_are_highlighted_until_reviewed(client, login, people, world, cast, due_measure):
    measures.record_measure(
        case=world.case_a,
        actor=people.coordinator,
        category="educational",
        kind="restorative",
        person=cast.author,
        starts_on=days_ago(3),
        review_on=timezone.localdate() + timedelta(days=10),
    )
    html = case_page(client, login, people.coordinator, world.case_a)
    assert "Une mesure est à réexaminer" in html
    assert html.count("À réexaminer</span>") == 1
    due = Measure.objects.filter(measures.due_for_review_filter(timezone.localdate()))
    assert list(due) == [due_measure]

    login(client, people.coordinator)
    url = reverse("interventions:measure_review", args=[world.case_a.public_id, due_measure.public_id])
    response = client.post(
        url, {"effectiveness": "effective", "review_note": "Plus d’incident en classe.", "status": "active"}
    )
    assert response.status_code == 302
    due_measure.refresh_from_db()
    assert due_measure.effectiveness == "effective"
    assert due_measure.reviewed_by == people.coordinator
    html = case_page(client, login, people.coordinator, world.case_a)
    assert "À réexaminer</span>" not in html
    assert "Plus d’incident en classe." in html
    assert not Measure.objects.filter(measures.due_for_review_filter(timezone.localdate())).exists()
    assert AuditEvent.objects.filter(action=Action.MEASURE_REVIEWED).count() == 1


def test_review_needs_effectiveness_and_a_written_review(client, login, people, world, due_measure):
    login(client, people.coordinator)
    url = reverse("interventions:measure_review", args=[world.case_a.public_id, due_measure.public_id])
    response = client.post(url, {"effectiveness": "", "review_note": "", "status": "ended"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Indiquez si la mesure a été efficace." in html
    assert "Écrivez le bilan de la mesure." in html
    due_measure.refresh_from_db()
    assert due_measure.reviewed_at is None
    assert due_measure.status == "active"


def test_ending_a_measure_at_review_dates_its_end_and_a_new_review_date_makes_it_due_again(people, world, due_measure):
    today = timezone.localdate()
    with pytest.raises(InterventionRefused):
        measures.review_measure(
            measure=due_measure,
            actor=people.coordinator,
            effectiveness="partly",
            review_note="À revoir.",
            status="active",
            next_review_on=today,
        )
    measures.review_measure(
        measure=due_measure,
        actor=people.coordinator,
        effectiveness="partly",
        review_note="À revoir.",
        status="active",
        next_review_on=today + timedelta(days=7),
    )
    assert due_measure.review_on == today + timedelta(days=7)
    assert not measures.is_due_for_review(due_measure, today)
    assert measures.is_due_for_review(due_measure, today + timedelta(days=7))
    # The query says the same as the row-level rule.
    assert not Measure.objects.filter(measures.due_for_review_filter(today)).exists()
    assert list(Measure.objects.filter(measures.due_for_review_filter(today + timedelta(days=7)))) == [due_measure]
    measures.review_measure(
        measure=due_measure, actor=people.coordinator, effectiveness="effective", review_note="Fini.", status="ended"
    )
    assert due_measure.status == "ended"
    assert due_measure.ends_on == today
    assert not measures.is_due_for_review(due_measure, today + timedelta(days=30))


def test_school_staff_review_their_school_measures(client, login, people, world, due_measure):
    login(client, people.school_a_staff)
    url = reverse("interventions:measure_review", args=[world.case_a.public_id, due_measure.public_id])
    assert client.get(url).status_code == 200
    assert (
        client.post(
            url, {"effectiveness": "ineffective", "review_note": "Toujours ensemble.", "status": "active"}
        ).status_code
        == 302
    )


def test_case_milestone_is_set_once_even_with_a_stale_case_object(people, world):
    stale = Case.objects.get(pk=world.case_a.pk)
    measures.record_measure(
        case=world.case_a,
        actor=people.coordinator,
        category="protective",
        kind="adult_referent",
        starts_on=timezone.localdate(),
    )
    world.case_a.refresh_from_db()
    first = world.case_a.first_measure_at
    measures.record_measure(
        case=stale,
        actor=people.coordinator,
        category="protective",
        kind="staff_vigilance",
        starts_on=timezone.localdate(),
    )
    world.case_a.refresh_from_db()
    assert world.case_a.first_measure_at == first


# --- A sanction on the victim, the victim's change of school on the author: confirmed, or refused ------

CONFIRM = "confirm_person"


@pytest.mark.parametrize(
    ("category", "kind", "who"),
    [
        ("disciplinary", "warning", "victim"),
        ("disciplinary", "permanent_exclusion", "victim"),
        ("school_change", "author_school_change", "victim"),
        ("school_change", "victim_school_change", "author"),
    ],
)
def test_a_measure_against_the_pupil_s_role_asks_for_a_confirmation(
    client, login, people, world, cast, category, kind, who
):
    SchoolFactory(uai="0801234A")
    person = getattr(cast, who)
    login(client, people.coordinator)
    data = payload(category=category, kind=kind, person=str(person.public_id))
    if category == "school_change":
        data["receiving_school"] = "0801234A"
    refused = client.post(new_url(world.case_a), data)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert str(person) in html
    assert "Je confirme" in html
    assert not Measure.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.MEASURE_RECORDED).exists()
    # The same page, ticked: recorded, and the journal says it was confirmed against the pupil's role.
    confirmed = client.post(new_url(world.case_a), {**data, CONFIRM: "on"})
    assert confirmed.status_code == 302
    measure = Measure.objects.get()
    assert (measure.kind, measure.person) == (kind, person)
    detail = AuditEvent.objects.get(action=Action.MEASURE_RECORDED).detail
    assert detail["confirmed_against_role"] == (["victim"] if who == "victim" else ["alleged_author"])


def test_the_warning_explains_why_and_says_when_the_pupil_is_also_an_author(client, login, people, world, cast):
    login(client, people.coordinator)
    html = client.post(
        new_url(world.case_a), payload(category="disciplinary", kind="reprimand", person=str(cast.victim.public_id))
    ).content.decode()
    assert "« Victime »" in html and "sanction" in html
    assert "à la fois" not in html
    Involvement.objects.create(case=world.case_a, person=cast.victim, role="alleged_author")
    html = client.post(
        new_url(world.case_a), payload(category="disciplinary", kind="reprimand", person=str(cast.victim.public_id))
    ).content.decode()
    assert "à la fois comme « Victime » et comme « Auteur présumé »" in html
    assert not Measure.objects.exists()


def test_the_checkbox_is_asked_only_when_the_measure_goes_against_the_pupil_s_role(client, login, people, world, cast):
    login(client, people.coordinator)
    assert CONFIRM not in client.get(new_url(world.case_a)).content.decode()
    fine = [
        ("disciplinary", "warning", cast.author),
        ("protective", "adult_referent", cast.victim),
        ("disciplinary", "warning", cast.witness),
        ("educational", "restorative", cast.victim),
    ]
    for category, kind, person in fine:
        response = client.post(
            new_url(world.case_a), payload(category=category, kind=kind, person=str(person.public_id))
        )
        assert response.status_code == 302, (kind, person)
    assert Measure.objects.count() == len(fine)
    assert not any(
        "confirmed_against_role" in e.detail for e in AuditEvent.objects.filter(action=Action.MEASURE_RECORDED)
    )


def test_the_domain_refuses_a_sanction_on_the_victim_without_the_confirmation(people, world, cast):
    def record(**extra):
        return measures.record_measure(
            case=world.case_a,
            actor=people.coordinator,
            category="disciplinary",
            kind="school_exclusion",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + timedelta(days=2),
            person=cast.victim,
            **extra,
        )

    with pytest.raises(InterventionRefused) as refused:
        record()
    assert str(cast.victim) in refused.value.message
    assert not Measure.objects.exists()
    assert record(confirmed=True).person == cast.victim


# --- A sanction concerns one pupil; a temporary exclusion lasts 8 days at most --------------------------


@pytest.mark.parametrize(
    ("category", "kind"),
    [
        ("disciplinary", "reprimand"),
        ("educational", "restorative"),
        ("school_change", "author_school_change"),
    ],
)
def test_a_sanction_an_educational_measure_or_a_change_of_school_needs_its_pupil(
    client, login, people, world, category, kind
):
    SchoolFactory(uai="0801234A")
    login(client, people.coordinator)
    response = client.post(
        new_url(world.case_a), payload(category=category, kind=kind, person="", receiving_school="0801234A")
    )
    assert response.status_code == 400
    assert "Choisissez l’élève concerné" in response.content.decode()
    assert not Measure.objects.exists()
    with pytest.raises(InterventionRefused) as refused:
        measures.record_measure(
            case=world.case_a,
            actor=people.coordinator,
            category=category,
            kind=kind,
            starts_on=timezone.localdate(),
            receiving_school=SchoolFactory(uai="0801235B") if category == "school_change" else None,
        )
    assert "Choisissez l’élève concerné" in refused.value.message
    assert not Measure.objects.exists()


@pytest.mark.parametrize("kind", ["class_exclusion", "school_exclusion"])
def test_a_temporary_exclusion_lasts_eight_days_at_most_and_has_an_end(client, login, people, world, cast, kind):
    from datetime import date

    login(client, people.coordinator)
    data = payload(category="disciplinary", kind=kind, person=str(cast.author.public_id), review_on="")
    too_long = client.post(new_url(world.case_a), {**data, "starts_on": "2026-12-09", "ends_on": "2027-01-20"})
    assert too_long.status_code == 400
    assert "ne peut excéder 8 jours" in too_long.content.decode()
    nine = client.post(new_url(world.case_a), {**data, "starts_on": "2026-12-09", "ends_on": "2026-12-17"})
    assert nine.status_code == 400
    no_end = client.post(new_url(world.case_a), {**data, "starts_on": "2026-12-09", "ends_on": ""})
    assert no_end.status_code == 400
    assert "Indiquez la date de fin" in no_end.content.decode()
    assert not Measure.objects.exists()
    for ends_on in (date(2027, 1, 20), None):
        with pytest.raises(InterventionRefused):
            measures.record_measure(
                case=world.case_a,
                actor=people.coordinator,
                category="disciplinary",
                kind=kind,
                person=cast.author,
                starts_on=date(2026, 12, 9),
                ends_on=ends_on,
            )
    assert not Measure.objects.exists()
    # Eight calendar days, the first and the last counted: from Wednesday 9 to Wednesday 16.
    eight = client.post(new_url(world.case_a), {**data, "starts_on": "2026-12-09", "ends_on": "2026-12-16"})
    assert eight.status_code == 302
    assert Measure.objects.get().ends_on == date(2026, 12, 16)
