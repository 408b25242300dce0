"""Triage through HTTP: the coordinator turns reports into cases, or decides otherwise, with reasons."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from halte.cases import actions
from halte.cases.enums import State
from halte.cases.models import Case, FollowUp, SeverityAssessment, Triage
from halte.cases.severity import Criteria
from halte.notifications.models import Notification
from halte.reports.actions import PupilData, ReportData, submit_report


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def a_report(people, description="Des élèves insultent Jade tous les jours dans la cour depuis des mois.", **kw):
    data = ReportData(
        channel="phone",
        reporter_kind="parent",
        description=description,
        school=people.school_a_staff.school,
        frequency=kw.pop("frequency", "daily"),
        since=kw.pop("since", "months"),
        forms=kw.pop("forms", ["verbal"]),
        pupils=[PupilData(first_name="Jade", role="victim"), PupilData(first_name="Kevin", role="alleged_author")],
        **kw,
    )
    return submit_report(data=data, actor=people.coordinator).report


def pupils_as_shown(page) -> dict:
    """The pupils' confirmations as the triage page proposes them (each kept, records as pre-selected)."""
    data = {}
    for proposal in page.context["pupils"]:
        form = proposal.form
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value not in (None, ""):
                data[form.add_prefix(name)] = value
        data[f"eleve-{proposal.pupil.pk}-shown"] = proposal.shown
    return data


def triage_post(client, report, outcome, qualification="bullying", **extra):
    page = client.get(reverse("cases:triage", args=[report.public_id]))
    assert page.status_code == 200
    data = {}
    form = page.context["criteria_form"]
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[f"c-{name}"] = "on"
        elif value is not None:
            data[f"c-{name}"] = value
    data["c-qualification"] = qualification
    data.update(pupils_as_shown(page))
    data["t-outcome"] = outcome
    data["decide"] = "1"
    data.update({f"t-{k}": v for k, v in extra.items()})
    return client.post(reverse("cases:triage", args=[report.public_id]), data)


def test_open_case_from_report(client, login, people):
    report = a_report(people)
    login(client, people.coordinator)
    response = triage_post(client, report, "open_case")
    case = Case.objects.get()
    assert response.url == reverse("cases:detail", args=[case.public_id])
    assert case.state == State.TRIAGED
    assert case.reference.startswith(f"HS-{timezone.localdate().year}-")
    assert case.lead == people.coordinator
    assert case.school == report.school
    report.refresh_from_db()
    assert report.case == case
    assessment = SeverityAssessment.objects.get(case=case)
    assert assessment.version == 1
    assert assessment.priority == case.priority
    assert FollowUp.objects.filter(case=case).exists()


def test_critical_report_alerts_coordinators_and_magistrate_only(
    client, login, people, django_capture_on_commit_callbacks
):
    report = a_report(people, description="Jade dit qu'elle veut se suicider à cause d'eux.")
    login(client, people.coordinator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        triage_post(client, report, "open_case")
    case = Case.objects.get()
    assert case.priority == "P1"
    alerted = set(Notification.objects.filter(kind="critical_alert").values_list("recipient", flat=True))
    assert alerted == {people.coordinator.user.pk, people.magistrate.user.pk}
    assert case.actions.filter(title__contains="information préoccupante").exists()
    bodies = [m.body for m in mail.outbox if "Alerte critique" in m.subject]
    assert len(bodies) == 2
    assert all("suicider" not in body for body in bodies)


def test_override_without_reason_is_refused(client, login, people):
    report = a_report(people)
    login(client, people.coordinator)
    response = triage_post(client, report, "open_case", override_priority="P1")
    assert response.status_code == 400
    assert "Expliquez pourquoi" in response.content.decode()
    assert not Case.objects.exists()
    response = triage_post(client, report, "open_case", override_priority="P1", override_reason="Fratrie déjà suivie.")
    assert response.status_code == 302
    assessment = SeverityAssessment.objects.get()
    assert assessment.priority == "P1"
    assert assessment.is_override
    assert assessment.override_reason == "Fratrie déjà suivie."


def test_hand_back_to_school_makes_a_p4_case_with_the_follow_up_date(client, login, people):
    report = a_report(people, description="Une dispute entre deux élèves à la cantine.", frequency="once", since="days")
    login(client, people.coordinator)
    on = timezone.localdate() + timedelta(days=20)
    triage_post(client, report, "hand_back", qualification="conflict", follow_up_on=on.isoformat())
    case = Case.objects.get()
    assert case.priority == "P4"
    assert case.follow_ups.filter(due_on=on).exists()


def test_a_hand_back_follow_up_more_than_a_year_ahead_is_refused_in_french(client, login, people):
    """A far date would overflow the checkpoint's day number in the database (a 500 on PostgreSQL)."""
    report = a_report(people, description="Une dispute entre deux élèves à la cantine.", frequency="once", since="days")
    login(client, people.coordinator)
    last = timezone.localdate() + timedelta(days=365)
    for far in (last + timedelta(days=1), date(2199, 1, 1)):
        response = triage_post(client, report, "hand_back", qualification="conflict", follow_up_on=far.isoformat())
        assert response.status_code == 400
        assert f"au plus tard le {last:%d/%m/%Y}" in response.content.decode()
    assert not Case.objects.exists()
    decision = actions.TriageDecision(
        outcome="hand_back",
        qualification="conflict",
        criteria=Criteria(),
        follow_up_on=date(2199, 1, 1),
    )
    with pytest.raises(actions.ActionRefused, match="au plus tard"):
        actions.triage_report(report=report, actor=people.coordinator, decision=decision)
    assert not Case.objects.exists()
    triage_post(client, report, "hand_back", qualification="conflict", follow_up_on=last.isoformat())
    assert Case.objects.get().follow_ups.filter(due_on=last, day=365).exists()


@pytest.mark.parametrize("outcome", ["redirect", "not_bullying"])
def test_decisions_without_a_case_need_a_reason(client, login, people, outcome):
    report = a_report(people)
    login(client, people.coordinator)
    response = triage_post(client, report, outcome)
    assert response.status_code == 400
    assert not Triage.objects.exists()
    extra = {"reason": "Relève d'un conflit familial.", "redirected_to": "Service social de secteur"}
    response = triage_post(client, report, outcome, **extra)
    assert response.status_code == 302
    triage = Triage.objects.get()
    assert triage.case is None
    report.refresh_from_db()
    assert report.status == "closed"


def test_attach_to_a_closed_case_reopens_it(client, login, people):
    first = a_report(people)
    login(client, people.coordinator)
    triage_post(client, first, "open_case")
    case = Case.objects.get()
    case.close(actor=people.coordinator, outcome="stopped", reason="Fin des faits.")
    second = a_report(people, description="Kevin a recommencé à insulter Jade.")
    response = triage_post(client, second, "attach", attach_to=case.reference)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.REOPENED
    assert set(case.reports.values_list("reference", flat=True)) == {first.reference, second.reference}


def test_candidates_show_the_same_school_cases_with_shared_names(client, login, people):
    first = a_report(people)
    login(client, people.coordinator)
    triage_post(client, first, "open_case")
    second = a_report(people, description="Encore Kevin.")
    page = client.get(reverse("cases:triage", args=[second.public_id]))
    candidates = page.context["candidates"]
    assert [c.case for c in candidates] == [Case.objects.get()]
    assert "kevin" in candidates[0].shared_names


def test_the_decision_defaults_to_opening_a_case_unless_an_existing_case_may_be_the_same(client, login, people):
    first = a_report(people)
    login(client, people.coordinator)
    page = client.get(reverse("cases:triage", args=[first.public_id]))
    # What a coordinator does with a report that matches nothing: open its case (never « nouveau »).
    assert page.context["triage_form"]["outcome"].initial == "open_case"
    radios = re.findall(r"<input[^>]*>", page.content.decode())
    assert [tag for tag in radios if 'value="open_case"' in tag and "checked" in tag]
    triage_post(client, first, "open_case")
    second = a_report(people, description="Encore Kevin.")
    page = client.get(reverse("cases:triage", args=[second.public_id]))
    # A case that may tell the same story: the coordinator chooses, nothing is picked for her.
    assert page.context["candidates"] and page.context["triage_form"]["outcome"].initial is None


def test_a_report_cannot_be_triaged_twice(client, login, people):
    report = a_report(people)
    login(client, people.coordinator)
    triage_post(client, report, "open_case")
    response = client.get(reverse("cases:triage", args=[report.public_id]))
    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_a_triaged_report_leaves_the_queue_and_today_agrees(client, login, people):
    waiting, triaged, taken = a_report(people), a_report(people), a_report(people)
    login(client, people.coordinator)
    client.post(reverse("reports:take_charge", args=[taken.public_id]))  # taken in charge, not decided yet
    triage_post(client, triaged, "open_case")
    queue = client.get(reverse("reports:queue")).content.decode()
    assert waiting.reference in queue and taken.reference in queue
    assert triaged.reference not in queue
    from halte.access.today import reports_to_triage

    assert set(reports_to_triage(people.coordinator)) == {waiting, taken}


def test_other_reports_still_waiting_about_the_same_child_are_shown_at_triage(client, login, people):
    from halte.reports.models import Report

    first = a_report(people)  # Jade and Kevin, school A
    second = a_report(people, description="Ma fille Jade se fait insulter par Kevin, elle ne veut plus y aller.")
    unrelated_elsewhere = submit_report(
        data=ReportData(
            channel="phone",
            reporter_kind="parent",
            description="Un autre enfant est moqué dans un autre collège.",
            school=people.school_b_staff.school,
            pupils=[PupilData(first_name="Lina", role="victim")],
        ),
        actor=people.coordinator,
    ).report
    same_name_elsewhere = submit_report(
        data=ReportData(
            channel="phone",
            reporter_kind="parent",
            description="Jade Martin est harcelée aussi au club de sport.",
            school=people.school_b_staff.school,
            pupils=[PupilData(first_name="Jade", last_name="Martin", role="victim")],
        ),
        actor=people.coordinator,
    ).report
    first.pupils.filter(first_name="Jade").update(last_name="Martin")
    login(client, people.coordinator)
    page = client.get(reverse("cases:triage", args=[first.public_id]))
    twins = [twin.report for twin in page.context["waiting_twins"]]
    assert set(twins) == {second, same_name_elsewhere}
    assert unrelated_elsewhere not in twins and first not in twins
    html = page.content.decode()
    assert second.reference in html and "Autres signalements en attente qui semblent liés" in html
    # Once the second is triaged it waits no more: it is no longer proposed.
    triage_post(client, second, "open_case")
    page = client.get(reverse("cases:triage", args=[first.public_id]))
    assert [twin.report for twin in page.context["waiting_twins"]] == [same_name_elsewhere]
    assert Report.objects.count() == 4
