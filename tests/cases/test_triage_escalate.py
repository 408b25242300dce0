"""A report attached to an existing case (« Rattacher », « Rattacher et rouvrir ») with criteria more
urgent than the case's priority raises the case at once: a new assessment version merging the criteria,
the new priority and its clocks, the lead told. Never lower: a less urgent report changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions, clocks, targets
from halte.cases.enums import State
from halte.cases.models import Case, Event, SeverityAssessment
from halte.cases.severity import Criteria
from halte.notifications.models import Kind, Notification

from .conftest import make_case
from .test_triage_reopen import _criteria_data, a_closed_case, a_report


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


# What the case knew before the report: repeated, daily insults (P2 with a group of authors).
CASE_CRITERIA = Criteria(repeated=True, frequency_daily=True, author_count=3, isolation=True)


def a_p2_case(people, reference="HS-2026-000700", *, lead=None):
    case = make_case(reference, people.school_a_staff.school, lead or people.education_referent)
    Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(hours=2))
    SeverityAssessment.objects.create(
        case=case,
        version=1,
        criteria=CASE_CRITERIA.to_dict(),
        computed_priority="P2",
        fired_rules=[],
        priority="P2",
        assessed_by=people.coordinator,
    )
    case.refresh_from_db()
    return case


def attach(people, report, case, criteria, **extra):
    decision = actions.TriageDecision(
        outcome="attach", qualification="bullying", criteria=criteria, attach_to=case, **extra
    )
    return actions.triage_report(report=report, actor=people.coordinator, decision=decision)


def test_a_critical_report_attached_to_a_p2_case_raises_it_to_p1(people):
    case = a_p2_case(people)
    report = a_report(people, people.school_a_staff.school)
    attach(people, report, case, Criteria(self_harm_or_suicidal=True))

    case.refresh_from_db()
    assert case.priority == "P1"
    latest = case.assessments.order_by("-version").first()
    assert latest.version == 2
    assert latest.priority == latest.computed_priority == "P1"
    # The criteria merged: what the case knew and what the report says.
    merged = Criteria.from_dict(latest.criteria)
    assert merged.self_harm_or_suicidal and merged.frequency_daily and merged.isolation
    assert merged.author_count == 3
    assert "self_harm" in [rule["code"] for rule in latest.fired_rules]
    # The clocks are those of a P1: taken in charge within 4 hours of the opening, not 24.
    take_charge = next(c for c in clocks.clocks_for(case) if c.name == targets.TAKE_CHARGE)
    assert take_charge.due_at == case.opened_at + timedelta(hours=4)
    # Recorded as a manual reassessment is: timeline, journal.
    assert Event.objects.filter(case=case, kind="assessed", text__contains="version 2").exists()
    assert AuditEvent.objects.filter(action=AuditAction.CASE_ASSESSED, target_label=case.reference).exists()
    # The critical alert of the case page, and the lead (not a coordinator) told.
    assert Event.objects.filter(case=case, kind="critical_alert").exists()
    assert Notification.objects.filter(membership=people.magistrate, kind=Kind.CRITICAL_ALERT).exists()
    told = Notification.objects.get(membership=people.education_referent, kind=Kind.WORRYING_REPORT)
    assert case.reference in told.title and report.reference in told.title
    assert told.url == reverse("cases:detail", args=[case.public_id])


def test_a_report_less_urgent_than_the_case_changes_nothing(people):
    case = a_p2_case(people)
    version = case.version
    report = a_report(people, people.school_a_staff.school)
    attach(people, report, case, Criteria(repeated=True))  # P3 on its own

    case.refresh_from_db()
    assert case.priority == "P2"
    assert case.assessments.count() == 1
    assert case.version == version
    assert not Event.objects.filter(case=case, kind="assessed").exists()
    assert not Notification.objects.filter(kind=Kind.WORRYING_REPORT, title__contains=case.reference).exists()


def test_attaching_never_lowers_the_priority(people):
    case = a_p2_case(people)
    Case.objects.filter(pk=case.pk).update(priority="P1")
    report = a_report(people, people.school_a_staff.school)
    attach(people, report, case, Criteria(self_harm_or_suicidal=True))
    case.refresh_from_db()
    assert case.priority == "P1"
    assert case.assessments.count() == 1


def test_a_p2_report_raises_a_p3_case_without_a_critical_alert(people):
    case = a_p2_case(people)
    Case.objects.filter(pk=case.pk).update(priority="P3")
    SeverityAssessment.objects.filter(case=case).update(
        criteria=Criteria(repeated=True).to_dict(), computed_priority="P3", priority="P3"
    )
    report = a_report(people, people.school_a_staff.school)
    attach(people, report, case, Criteria(physical_violence="itt_over_8"))
    case.refresh_from_db()
    assert case.priority == "P2"
    assert case.assessments.order_by("-version").first().version == 2
    assert not Event.objects.filter(case=case, kind="critical_alert").exists()
    assert Notification.objects.filter(membership=people.education_referent, kind=Kind.WORRYING_REPORT).exists()
    assert Notification.objects.filter(membership=people.coordinator, kind=Kind.WORRYING_REPORT).exists()


def test_the_priority_retained_at_triage_counts_over_the_computed_one(people):
    """A coordinator who corrected the proposed priority, with a reason, decided it: that is what the case gets."""
    case = a_p2_case(people)
    report = a_report(people, people.school_a_staff.school)
    attach(
        people,
        report,
        case,
        Criteria(repeated=True),
        override_priority="P1",
        override_reason="La mère dit que l’enfant a parlé de se faire du mal.",
    )
    case.refresh_from_db()
    assert case.priority == "P1"
    latest = case.assessments.order_by("-version").first()
    assert (latest.computed_priority, latest.priority) == ("P2", "P1")
    assert latest.override_reason == "La mère dit que l’enfant a parlé de se faire du mal."


def test_a_case_without_any_assessment_gets_its_first_one(people):
    case = a_p2_case(people)
    SeverityAssessment.objects.filter(case=case).delete()
    report = a_report(people, people.school_a_staff.school)
    attach(people, report, case, Criteria(weapon=True))
    case.refresh_from_db()
    assert case.priority == "P1"
    assert list(case.assessments.values_list("version", flat=True)) == [1]


def test_rattacher_et_rouvrir_a_critical_report_raises_the_reopened_case(client, login, people):
    """The tester's walk: « Elle dit quelle veut plus vivre » ticks the critical criterion, and the
    report reopens a closed P2 case through the page."""
    school = people.school_a_staff.school
    closed = a_closed_case(people, "HS-2025-000701", school)
    report = a_report(people, school)
    login(client, people.coordinator)
    url = reverse("cases:triage", args=[report.public_id])
    data = _criteria_data(client.get(url))
    data["c-self_harm_or_suicidal"] = "on"
    data["reopen"] = closed.reference
    response = client.post(url, data)
    assert response.url == reverse("cases:detail", args=[closed.public_id])
    closed.refresh_from_db()
    assert closed.state == State.REOPENED
    assert closed.priority == "P1"
    latest = closed.assessments.order_by("-version").first()
    assert latest.priority == "P1"
    assert Criteria.from_dict(latest.criteria).self_harm_or_suicidal
    # « Réévaluer la gravité » starts from the raised version: the critical box ticked.
    page = client.get(reverse("cases:reassess", args=[closed.public_id]))
    assert page.context["criteria_form"].initial["self_harm_or_suicidal"] is True
