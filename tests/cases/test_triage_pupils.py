"""Triage carries the pupils named in the report into the case, each one confirmed by the coordinator.

Kept as written or corrected, or dropped (nothing created); in the role the report gave, or another;
an existing pupil record of the same school with the same normalised name proposed for reuse instead
of a duplicate. Atomic, journaled, and a second post of the same page creates nothing.
"""

import pytest
from django.urls import reverse

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions
from halte.cases.enums import PersonKind, Role, State
from halte.cases.forms import NEW_PERSON
from halte.cases.models import Case, Event, Involvement, Person
from halte.reports.actions import PupilData, ReportData, submit_report

from .conftest import make_case
from .test_triage import pupils_as_shown


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def a_report(people, pupils, school=None):
    data = ReportData(
        channel="sms",
        reporter_kind="parent",
        description="Ma fille se fait insulter tous les jours au collège depuis la rentrée.",
        school=school or people.school_a_staff.school,
        frequency="daily",
        since="months",
        forms=["verbal"],
        pupils=pupils,
    )
    return submit_report(data=data, actor=people.coordinator).report


def a_pupil(people, first_name, last_name, school=None, **fields):
    person = Person(
        kind=PersonKind.PUPIL,
        first_name=first_name,
        last_name=last_name,
        school=school or people.school_a_staff.school,
        **fields,
    )
    person.save()
    return person


def page_data(page) -> dict:
    """What the triage page posts as it is shown: criteria, the pupils' confirmations, their hidden fields."""
    data: dict = {}
    form = page.context["criteria_form"]
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[f"c-{name}"] = "on"
        elif value is not None:
            data[f"c-{name}"] = value
    data["c-qualification"] = "bullying"
    data.update(pupils_as_shown(page))
    return data


def proposals_by_name(page) -> dict:
    return {proposal.pupil.first_name: proposal for proposal in page.context["pupils"]}


def decide(client, report, outcome="open_case", changes=None, page=None, **extra):
    url = reverse("cases:triage", args=[report.public_id])
    page = page or client.get(url)
    assert page.status_code == 200
    data = page_data(page)
    for first_name, fields in (changes or {}).items():
        proposal = proposals_by_name(page)[first_name]
        for name, value in fields.items():
            data[proposal.form.add_prefix(name)] = value
    data.update({"t-outcome": outcome, "decide": "1", **{f"t-{k}": v for k, v in extra.items()}})
    return client.post(url, data), data


def people_of(case):
    return sorted(
        (inv.person.first_name, inv.person.last_name, inv.role)
        for inv in Involvement.objects.filter(case=case).select_related("person")
    )


def test_the_reported_pupils_become_the_people_of_the_new_case_in_their_roles(client, login, people):
    report = a_report(
        people,
        [
            PupilData(first_name="Jade", last_name="Martin", class_name="5e B", role="victim"),
            PupilData(first_name="Kevin", role="alleged_author"),
            PupilData(first_name="Inès", last_name="Roux", role="witness"),
        ],
    )
    login(client, people.coordinator)

    response, _data = decide(client, report)

    case = Case.objects.get()
    assert response.url == reverse("cases:detail", args=[case.public_id])
    assert people_of(case) == [
        ("Inès", "Roux", Role.WITNESS),
        ("Jade", "Martin", Role.VICTIM),
        ("Kevin", "", Role.ALLEGED_AUTHOR),
    ]
    jade = Person.objects.get(first_name="Jade")
    assert (jade.kind, jade.school, jade.class_name) == (PersonKind.PUPIL, report.school, "5e B")
    # Journaled: one audit row and one timeline line per person, naming the report.
    added = AuditEvent.objects.filter(action=AuditAction.CASE_PERSON_ADDED, target_id=str(case.public_id))
    assert added.count() == 3
    assert {e.detail["report"] for e in added} == {report.reference}
    assert {e.detail["reused"] for e in added} == {False}
    assert Event.objects.filter(case=case, kind="person", text__contains=report.reference).count() == 3


def test_a_dropped_pupil_is_not_created_and_an_edited_one_is_created_as_corrected(client, login, people):
    report = a_report(
        people,
        [
            PupilData(first_name="jade", last_name="MARTIN", role="victim"),
            PupilData(first_name="le grand", last_name="de 4e", role="alleged_author"),
            PupilData(first_name="Kevin", role="witness"),
        ],
    )
    login(client, people.coordinator)

    decide(
        client,
        report,
        changes={
            "le grand": {"decision": "drop"},
            "jade": {"first_name": "Jade", "last_name": "Martin", "class_name": "6e A"},
            "Kevin": {"role": Role.ALLEGED_AUTHOR},  # the report said witness; the call said otherwise
        },
    )

    case = Case.objects.get()
    assert people_of(case) == [("Jade", "Martin", Role.VICTIM), ("Kevin", "", Role.ALLEGED_AUTHOR)]
    assert not Person.objects.filter(first_name__icontains="grand").exists()
    assert Person.objects.count() == 2


@pytest.mark.parametrize(
    ("first_name", "last_name"),
    [
        ("JADE", "MARTIN"),  # capitals
        ("jade", "martin"),  # no capitals at all
        ("Jadé", "Martín"),  # stray accents
        ("Martin", "Jade"),  # first and last name swapped
        ("  Jade ", "Martin  "),  # stray spaces
    ],
)
def test_sms_spellings_of_a_known_pupil_preselect_the_existing_record(client, login, people, first_name, last_name):
    known = a_pupil(people, "Jade", "Martin", class_name="5e B")
    report = a_report(people, [PupilData(first_name=first_name, last_name=last_name, role="victim")])
    login(client, people.coordinator)

    page = client.get(reverse("cases:triage", args=[report.public_id]))

    form = page.context["pupils"][0].form
    assert form.initial["person"] == str(known.public_id)
    assert "Jade Martin — 5e B" in page.content.decode()
    response, _data = decide(client, report, page=page)
    assert response.status_code == 302
    assert Person.objects.count() == 1
    assert Involvement.objects.get(case=Case.objects.get()).person == known


def test_a_typo_proposes_the_known_pupil_without_choosing_it(client, login, people):
    known = a_pupil(people, "Jade", "Martin")
    report = a_report(people, [PupilData(first_name="Jade", last_name="Martn", role="victim")])
    login(client, people.coordinator)

    page = client.get(reverse("cases:triage", args=[report.public_id]))

    form = page.context["pupils"][0].form
    assert [s.person for s in form.suggestions] == [known]
    assert form.initial["person"] == NEW_PERSON  # the coordinator decides: a close name is not the same


def test_accepting_the_reuse_suggestion_creates_no_new_person(client, login, people):
    known = a_pupil(people, "Jade", "Martin")
    report = a_report(people, [PupilData(first_name="Jade", last_name="Martn", role="victim")])
    login(client, people.coordinator)

    decide(client, report, changes={"Jade": {"person": str(known.public_id)}})

    assert Person.objects.count() == 1
    assert people_of(Case.objects.get()) == [("Jade", "Martin", Role.VICTIM)]
    added = AuditEvent.objects.get(action=AuditAction.CASE_PERSON_ADDED)
    assert added.detail["reused"] is True
    assert added.detail["person"] == str(known.public_id)


def test_refusing_the_suggestion_creates_a_new_record(client, login, people):
    a_pupil(people, "Jade", "Martin")
    report = a_report(people, [PupilData(first_name="Jade", last_name="Martin", role="victim")])
    login(client, people.coordinator)

    decide(client, report, changes={"Jade": {"person": NEW_PERSON}})  # another Jade Martin in the school

    assert Person.objects.filter(first_name="Jade", last_name="Martin").count() == 2


def test_only_pupils_of_the_same_school_are_proposed(client, login, people):
    elsewhere = a_pupil(people, "Jade", "Martin", school=people.school_b_staff.school)
    adult = Person(kind=PersonKind.ADULT, first_name="Jade", last_name="Martin")
    adult.save()
    report = a_report(people, [PupilData(first_name="Jade", last_name="Martin", role="victim")])
    login(client, people.coordinator)

    page = client.get(reverse("cases:triage", args=[report.public_id]))
    assert page.context["pupils"][0].form.suggestions == []

    # A record of another school posted anyway is refused, not linked.
    response, _data = decide(client, report, page=page, changes={"Jade": {"person": str(elsewhere.public_id)}})
    assert response.status_code == 302
    assert Involvement.objects.get().person not in (elsewhere, adult)
    assert Person.objects.count() == 3


def test_a_forged_record_choice_is_refused_with_a_french_message(client, login, people):
    a_pupil(people, "Jade", "Martin")
    stranger = a_pupil(people, "Paul", "Durand")
    report = a_report(people, [PupilData(first_name="Jade", last_name="Martin", role="victim")])
    login(client, people.coordinator)

    response, _data = decide(client, report, changes={"Jade": {"person": str(stranger.public_id)}})

    assert response.status_code == 400
    assert not Case.objects.exists()
    assert "Ce choix n’est pas (ou plus) proposé" in response.content.decode()


def test_a_kept_pupil_without_a_first_name_is_refused_and_nothing_is_created(client, login, people):
    report = a_report(people, [PupilData(first_name="Jade", role="victim")])
    login(client, people.coordinator)

    response, _data = decide(client, report, changes={"Jade": {"first_name": "  "}})

    assert response.status_code == 400
    assert "Indiquez au moins le prénom" in response.content.decode()
    assert not Case.objects.exists() and not Person.objects.exists()
    assert not hasattr(type(report).objects.get(pk=report.pk), "triage")


def test_a_corrected_name_matching_a_known_pupil_is_shown_before_a_new_record(client, login, people):
    known = a_pupil(people, "Jade", "Martin")
    report = a_report(people, [PupilData(first_name="Jad", last_name="M", role="victim")])
    login(client, people.coordinator)

    # No suggestion for « Jad M »: the coordinator corrects the name and asks for a new record.
    page = client.get(reverse("cases:triage", args=[report.public_id]))
    assert page.context["pupils"][0].form.suggestions == []
    response, data = decide(client, report, page=page, changes={"Jad": {"first_name": "Jade", "last_name": "Martin"}})

    # The corrected name matches a record: shown first, nothing created.
    assert response.status_code == 400
    assert not Case.objects.exists()
    proposal = response.context["pupils"][0]
    assert [s.person for s in proposal.form.suggestions] == [known]
    # Once seen, the coordinator can take it.
    data[proposal.form.add_prefix("person")] = str(known.public_id)
    data[f"eleve-{proposal.pupil.pk}-shown"] = proposal.shown
    client.post(reverse("cases:triage", args=[report.public_id]), data)
    assert Involvement.objects.get(case=Case.objects.get()).person == known
    assert Person.objects.count() == 1


def test_attaching_to_an_existing_case_adds_the_new_pupils_and_no_duplicate(client, login, people):
    case = make_case("HS-2026-000001", people.school_a_staff.school, people.coordinator)
    jade = a_pupil(people, "Jade", "Martin")
    Involvement.objects.create(case=case, person=jade, role=Role.VICTIM)
    report = a_report(
        people,
        [PupilData(first_name="JADE", last_name="MARTIN", role="victim"), PupilData(first_name="Lina", role="witness")],
    )
    login(client, people.coordinator)

    response, _data = decide(client, report, outcome="attach", attach_to=case.reference)

    assert response.url == reverse("cases:detail", args=[case.public_id])
    assert people_of(case) == [("Jade", "Martin", Role.VICTIM), ("Lina", "", Role.WITNESS)]
    assert Person.objects.count() == 2
    # Jade was already there: no second line on the timeline, no journal row for her.
    assert AuditEvent.objects.filter(action=AuditAction.CASE_PERSON_ADDED).count() == 1


def test_reopening_a_closed_case_from_the_proposal_carries_the_pupils(client, login, people):
    case = make_case("HS-2026-000002", people.school_a_staff.school, people.coordinator)
    jade = a_pupil(people, "Jade", "Martin")
    Involvement.objects.create(case=case, person=jade, role=Role.VICTIM)
    Case.objects.filter(pk=case.pk).update(state=State.CLOSED, closed_at=case.opened_at)
    report = a_report(people, [PupilData(first_name="jade", last_name="martin", role="victim")])
    login(client, people.coordinator)

    url = reverse("cases:triage", args=[report.public_id])
    page = client.get(url)
    assert [c.case for c in page.context["proposals"]] == [case]
    data = page_data(page)
    data["reopen"] = case.reference
    client.post(url, data)

    case.refresh_from_db()
    assert case.state != State.CLOSED
    assert people_of(case) == [("Jade", "Martin", Role.VICTIM)]
    assert Person.objects.count() == 1


def test_a_decision_without_a_case_creates_nobody(client, login, people):
    report = a_report(people, [PupilData(first_name="Jade", role="victim")])
    login(client, people.coordinator)

    response, _data = decide(client, report, outcome="not_bullying", reason="Conflit ponctuel, réglé.")

    assert response.status_code == 302
    assert not Person.objects.exists()


def test_a_double_submit_creates_the_people_once(client, login, people):
    report = a_report(
        people, [PupilData(first_name="Jade", role="victim"), PupilData(first_name="Kevin", role="alleged_author")]
    )
    login(client, people.coordinator)
    url = reverse("cases:triage", args=[report.public_id])
    page = client.get(url)

    first, data = decide(client, report, page=page)
    second = client.post(url, data)  # the same page sent again (double click, back button)

    assert first.status_code == second.status_code == 302
    assert Case.objects.count() == 1
    assert Person.objects.count() == 2
    assert Involvement.objects.count() == 2


def test_a_concurrent_triage_rolls_the_people_back(people):
    """Two coordinators decide at once: the second is refused and leaves no person behind."""
    report = a_report(people, [PupilData(first_name="Jade", role="victim")])
    from halte.cases.severity import Criteria

    def decision():
        return actions.TriageDecision(
            outcome="open_case",
            qualification="bullying",
            criteria=Criteria(),
            pupils=[actions.ReportedPupilChoice(role=Role.VICTIM, first_name="Jade")],
        )

    actions.triage_report(report=report, actor=people.coordinator, decision=decision())
    with pytest.raises(actions.ActionRefused):
        actions.triage_report(report=report, actor=people.coordinator, decision=decision())

    assert Person.objects.count() == 1
    assert Involvement.objects.count() == 1


def test_the_triage_page_asks_a_bounded_number_of_queries(client, login, people, django_assert_max_num_queries):
    for i in range(8):
        a_pupil(people, f"Élève{i}", "Martin")
    report = a_report(people, [PupilData(first_name=f"Élève{i}", last_name="Martin", role="witness") for i in range(6)])
    login(client, people.coordinator)
    url = reverse("cases:triage", args=[report.public_id])
    client.get(url)

    # One suggestion query per pupil, whatever the number of records: pinned so a query per record shows.
    with django_assert_max_num_queries(60):
        page = client.get(url)
    assert len(page.context["pupils"]) == 6


def test_the_records_proposed_for_reuse_are_journaled(client, login, people):
    known = a_pupil(people, "Jade", "Martin")
    report = a_report(people, [PupilData(first_name="jade", last_name="martin", role="victim")])
    login(client, people.coordinator)

    client.get(reverse("cases:triage", args=[report.public_id]))

    reads = AuditEvent.objects.filter(action=AuditAction.REPORT_READ, target_id=str(report.public_id))
    assert {"page": "triage", "suggested": [str(known.public_id)]} in [read.detail for read in reads]
