"""A new report naming the people of a closed case proposes to reopen it (or to open a linked case):
same school on a shared name, any school on a person record bearing a pupil's full name."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.cases.enums import Role, State
from halte.cases.models import Case, FollowUp, Involvement, Link, Person
from halte.cases.triage import candidates_for
from halte.reports.actions import PupilData, ReportData, submit_report
from halte.reports.models import Report

from .conftest import make_case
from .test_triage import pupils_as_shown


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def a_report(people, school, pupils=(("Kévin", "Martin", "alleged_author"), ("Jade", "", "victim"))):
    data = ReportData(
        channel="phone",
        reporter_kind="parent",
        description="Il recommence à l’insulter dans le bus.",
        school=school,
        frequency="daily",
        since="weeks",
        forms=["verbal"],
        pupils=[PupilData(first_name=f, last_name=last, role=role) for f, last, role in pupils],
    )
    return submit_report(data=data, actor=people.coordinator).report


def a_closed_case(people, reference, school, *, names=(("Kevin", "MARTIN"),), closed_days_ago=40, watch_until=None):
    case = make_case(reference, school, people.coordinator)
    for first, last in names:
        person = Person(kind="pupil", first_name=first, last_name=last)
        person.save()
        Involvement.objects.create(case=case, person=person, role=Role.ALLEGED_AUTHOR)
    closed_at = timezone.now() - timedelta(days=closed_days_ago)
    Case.objects.filter(pk=case.pk).update(
        state=State.CLOSED,
        closed_at=closed_at,
        closure_outcome="stopped",
        opened_at=closed_at - timedelta(days=60),
        watch_until=watch_until,
    )
    case.refresh_from_db()
    return case


def test_a_closed_case_of_the_same_school_sharing_a_name_is_proposed_first(client, login, people):
    school = people.school_a_staff.school
    closed = a_closed_case(people, "HS-2025-000001", school)
    open_case = make_case("HS-2026-000010", school, people.coordinator)
    report = a_report(people, school)
    found = candidates_for(report)
    assert [(c.case, c.reopen) for c in found] == [(closed, True), (open_case, False)]
    assert found[0].shared_names == ["kevin", "martin"]
    assert found[0].names == ["Kevin MARTIN"]  # as written in the case's person record
    login(client, people.coordinator)
    page = client.get(reverse("cases:triage", args=[report.public_id])).content.decode()
    assert "Noms en commun :</strong> Kevin MARTIN" in page
    assert "kevin, martin" not in page
    assert page.index("Dossier clos — rouvrir ?") < page.index("Dossiers proches")
    assert "Rattacher et rouvrir" in page
    assert (
        f'form="triage-form"\n                      name="reopen"\n                      value="{closed.reference}"'
        in page
    )


def test_rattacher_et_rouvrir_attaches_the_report_and_reopens_the_case(client, login, people):
    school = people.school_a_staff.school
    closed = a_closed_case(people, "HS-2025-000002", school)
    report = a_report(people, school)
    login(client, people.coordinator)
    page = client.get(reverse("cases:triage", args=[report.public_id]))
    data = _criteria_data(page)
    data["reopen"] = closed.reference
    response = client.post(reverse("cases:triage", args=[report.public_id]), data)
    assert response.url == reverse("cases:detail", args=[closed.public_id])
    closed.refresh_from_db()
    assert closed.state == State.REOPENED
    assert closed.closed_at is None
    report.refresh_from_db()
    assert report.case == closed
    assert FollowUp.objects.filter(case=closed, due_on=timezone.localdate() + timedelta(days=7)).exists()


def test_a_new_case_can_be_opened_linked_to_the_closed_one(client, login, people):
    school = people.school_a_staff.school
    closed = a_closed_case(people, "HS-2025-000003", school)
    report = a_report(people, school)
    login(client, people.coordinator)
    data = _criteria_data(client.get(reverse("cases:triage", args=[report.public_id])))
    data["link_new"] = closed.reference
    response = client.post(reverse("cases:triage", args=[report.public_id]), data)
    new = Case.objects.exclude(pk=closed.pk).get()
    assert response.url == reverse("cases:detail", args=[new.public_id])
    assert Link.objects.filter(from_case=new, to_case=closed, kind="linked").exists()
    closed.refresh_from_db()
    assert closed.state == State.CLOSED


def test_another_school_is_proposed_only_on_a_full_name_matching_a_person_record(people):
    other_school = people.school_b_staff.school
    full = a_closed_case(people, "HS-2025-000004", other_school, names=(("Kévin", "Martin"),))
    a_closed_case(people, "HS-2025-000005", other_school, names=(("Jade", "Durand"),))  # first name only in report
    report = a_report(people, people.school_a_staff.school)
    found = candidates_for(report)
    assert [(c.case, c.reopen, c.same_school) for c in found] == [(full, True, False)]
    assert found[0].shared_names == ["kevin martin"]
    assert found[0].names == ["Kévin Martin"]


@pytest.mark.parametrize(
    ("closed_days_ago", "watch_days", "proposed"),
    [(700, None, True), (760, None, False), (760, 10, True), (30, None, True)],
)
def test_closed_within_two_years_or_still_watched(people, closed_days_ago, watch_days, proposed):
    watch = timezone.localdate() + timedelta(days=watch_days) if watch_days else None
    closed = a_closed_case(
        people, "HS-2024-000006", people.school_b_staff.school, closed_days_ago=closed_days_ago, watch_until=watch
    )
    found = candidates_for(a_report(people, people.school_a_staff.school))
    assert (closed in [c.case for c in found]) is proposed


def test_a_closed_case_without_a_shared_name_is_no_proposal(people):
    school = people.school_a_staff.school
    a_closed_case(people, "HS-2025-000007", school, names=(("Lucas", "Bernard"),))
    found = candidates_for(a_report(people, school))
    assert [c.reopen for c in found] == []


@pytest.mark.parametrize("count", [1, 8])
def test_candidates_cost_a_bounded_number_of_queries(people, django_assert_num_queries, count):
    school = people.school_a_staff.school
    for index in range(count):
        same = a_closed_case(people, f"HS-2025-0001{index:02d}", school)
        a_closed_case(people, f"HS-2025-0002{index:02d}", people.school_b_staff.school)
        make_case(f"HS-2026-0003{index:02d}", school, people.coordinator)
        Report.objects.filter(pk=a_report(people, school).pk).update(case=same)  # an earlier report of that case
    report = a_report(people, school)
    # The pupils, the cases (two sliced subqueries), their involvements, persons, reports and pupils.
    with django_assert_num_queries(6):
        found = candidates_for(report, limit=100)
    assert sum(c.reopen for c in found) == 2 * count


def _criteria_data(page) -> dict:
    data = {}
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


# --- Attaching to a case of another school ---------------------------------------------------------


@pytest.mark.parametrize("how", ["reopen", "attach"])
def test_attaching_to_another_school_s_case_is_refused_until_confirmed(client, login, people, how):
    """The report's pupils (and their families, their guardians, any « ne pas informer ») go with it:
    into another school's case only on an explicit confirmation, after a warning naming that school."""
    other_school = people.school_b_staff.school
    closed = a_closed_case(people, "HS-2025-000011", other_school, names=(("Kévin", "Martin"),))
    report = a_report(people, people.school_a_staff.school)
    login(client, people.coordinator)
    url = reverse("cases:triage", args=[report.public_id])
    data = _criteria_data(client.get(url))
    if how == "reopen":
        data["reopen"] = closed.reference
    else:
        data.update({"decide": "1", "t-outcome": "attach", "t-attach_to": closed.reference})
    refused = client.post(url, data)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert f"appartient à un autre établissement ({other_school})" in html
    assert "Je confirme le rattachement à un dossier d’un autre établissement" in html
    report.refresh_from_db()
    assert report.case is None
    assert not hasattr(report, "triage")
    closed.refresh_from_db()
    assert closed.state == State.CLOSED
    assert closed.involvements.count() == 1  # nobody of the report was carried in

    data["t-confirm_other_school"] = "on"
    confirmed = client.post(url, data)
    assert confirmed.status_code == 302
    report.refresh_from_db()
    assert report.case == closed


def test_attaching_within_the_same_school_asks_no_confirmation(client, login, people):
    school = people.school_a_staff.school
    open_case = make_case("HS-2025-000012", school, people.coordinator)
    report = a_report(people, school)
    login(client, people.coordinator)
    url = reverse("cases:triage", args=[report.public_id])
    data = _criteria_data(client.get(url))
    data.update({"decide": "1", "t-outcome": "attach", "t-attach_to": open_case.reference})
    assert client.post(url, data).status_code == 302
    report.refresh_from_db()
    assert report.case == open_case
