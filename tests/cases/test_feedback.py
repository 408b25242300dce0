"""« Suites données »: the referring school and the sharing partners learn the outcome (a label and a
link, never content); the reporter's plain status; the judicial « ne pas informer la famille » flag."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions, feedback
from halte.cases.enums import Compartment, LegalBasis, State
from halte.cases.models import Action, Case, Share
from halte.interventions.models import FamilyRestriction
from halte.notifications.models import Kind, Notification
from halte.reports.models import Report
from tests.factories import MembershipFactory

from .conftest import CORE_MARK, make_case


@pytest.fixture
def case(people):
    case = make_case("HS-2026-000600", people.school_a_staff.school, people.coordinator)
    Share.objects.create(
        case=case,
        organisation=people.police.organisation,
        compartments=[Compartment.JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.coordinator,
    )
    return case


def outcome_titles(membership) -> list[str]:
    return list(
        Notification.objects.filter(recipient=membership.user, kind=Kind.CASE_OUTCOME).values_list("title", flat=True)
    )


def told(people) -> set[str]:
    return {name for name, member in people.all().items() if outcome_titles(member)}


# --- Outcome to partners ----------------------------------------------------------------------------------


def test_closing_tells_the_referring_school_and_the_sharing_partners_by_link_only(
    people, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case.close(actor=people.coordinator, outcome="stopped", reason="Les insultes ont cessé.")
    assert told(people) == {"school_a_staff", "police"}
    assert outcome_titles(people.school_a_staff) == [
        f"Suites données au dossier {case.reference} : Le harcèlement a cessé"
    ]
    assert Notification.objects.filter(kind=Kind.CASE_OUTCOME).first().url == reverse(
        "cases:detail", args=[case.public_id]
    )
    event = AuditEvent.objects.get(action=AuditAction.CASE_OUTCOME_SENT)
    assert event.detail["event"] == "closed"
    assert event.detail["organisations"] == sorted([people.police.organisation.name, "Collège A"])
    assert event.detail["recipients"] == 2
    for message in mail.outbox:
        assert CORE_MARK not in message.subject + message.body
        assert "Les insultes ont cessé" not in message.subject + message.body


NEUTRAL_SUBJECT = "Halte — Des suites ont été données à un dossier de votre structure"


def test_the_outcome_never_goes_out_by_email(people, case, django_capture_on_commit_callbacks):
    """The in-app title says what became of the case; the email says only that something did."""
    action = Action.objects.create(
        case=case, title="Rappel à la loi", owner_organisation=people.association_worker.organisation
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.complete_action(action=action, actor=people.association_worker, note="Fait avec la famille.")
        case.close(actor=people.coordinator, outcome="stopped", reason="Les insultes ont cessé.")
    assert set(outcome_titles(people.school_a_staff)) == {
        f"Suites données au dossier {case.reference} : action réalisée par {people.association_worker.organisation}",
        f"Suites données au dossier {case.reference} : Le harcèlement a cessé",
    }
    outcomes = [m for m in mail.outbox if m.to[0] in {people.school_a_staff.user.email, people.police.user.email}]
    assert len(outcomes) == 4
    assert {m.subject.split(" — pour votre rôle ")[0] for m in outcomes} == {NEUTRAL_SUBJECT}
    assert all("— pour votre rôle « " in m.subject for m in outcomes)  # which role, where: never what
    for message in mail.outbox:
        for secret in ("harcèlement a cessé", "action réalisée", "Rappel à la loi", case.reference):
            assert secret not in message.subject + message.body, (secret, message.subject)


def test_expired_or_revoked_shares_and_other_schools_are_not_told(people, case):
    Share.objects.filter(case=case).update(revoked_at=timezone.now())
    inactive = MembershipFactory(organisation=people.school_a_staff.organisation, role="school_staff", is_active=False)
    case.close(actor=people.coordinator, outcome="stopped", reason="Fin.")
    assert told(people) == {"school_a_staff"}
    assert outcome_titles(inactive) == []


def test_redirecting_tells_them_too(people):
    case = make_case("HS-2026-000601", people.school_a_staff.school, people.coordinator)
    Case.objects.filter(pk=case.pk).update(state=State.TRIAGED)
    case.refresh_from_db()
    case.redirect(actor=people.coordinator, reason="Relève du CRIP.")
    assert outcome_titles(people.school_a_staff) == [f"Suites données au dossier {case.reference} : Réorienté"]


def test_a_merge_tells_nobody(people, case):
    other = make_case("HS-2026-000602", people.school_a_staff.school, people.coordinator)
    actions.merge(source=case, target=other, actor=people.coordinator, reason="Même situation")
    assert told(people) == set()
    case.refresh_from_db()
    assert case.watch_until is None


def test_an_action_done_by_another_organisation_is_fed_back(people, case):
    action = Action.objects.create(
        case=case, title="Rappel à la loi", owner_organisation=people.association_worker.organisation
    )
    actions.complete_action(action=action, actor=people.association_worker, note="Fait avec la famille.")
    assert told(people) == {"school_a_staff", "police"}
    assert outcome_titles(people.police) == [
        f"Suites données au dossier {case.reference} : action réalisée par {people.association_worker.organisation}"
    ]
    assert AuditEvent.objects.get(action=AuditAction.CASE_OUTCOME_SENT).detail["event"] == "action_done"


def test_the_owner_organisation_is_not_told_its_own_action(people, case):
    action = Action.objects.create(case=case, title="Vigilance", owner_organisation=people.school_a_staff.organisation)
    actions.complete_action(action=action, actor=people.school_a_staff, note="Vigilance renforcée.")
    assert told(people) == {"police"}


@pytest.mark.parametrize("kind", ["cancelled", "lead_organisation", "judicial"])
def test_no_feedback_for_cancelled_own_or_judicial_actions(people, case, kind):
    organisation = people.coordinator.organisation if kind == "lead_organisation" else people.police.organisation
    compartment = Compartment.JUDICIAL if kind == "judicial" else Compartment.CORE
    action = Action.objects.create(
        case=case, title="Audition", owner_organisation=organisation, compartment=compartment
    )
    actor = people.coordinator if kind == "lead_organisation" else people.police
    if kind == "cancelled":
        actions.cancel_action(action=action, actor=actor, reason="Sans objet.")
    elif kind == "judicial":
        Share.objects.filter(case=case).update(compartments=[Compartment.CORE, Compartment.JUDICIAL])
        actions.complete_action(action=action, actor=actor, note="Audition faite.")
    else:
        actions.complete_action(action=action, actor=actor, note="Fait.")
    assert told(people) == set()


# --- The reporter's plain status ------------------------------------------------------------------------


def a_report(case=None, status="received") -> Report:
    return Report.objects.create(
        reference=f"SIG-2026-{Report.objects.count() + 100:06d}",
        channel="public_form",
        reporter_kind="victim",
        description="Récit.",
        case=case,
        status=status,
    )


@pytest.mark.parametrize(
    ("report_status", "expected"),
    [("received", "Reçu"), ("in_progress", "Pris en charge"), ("closed", "Suivi terminé")],
)
def test_status_of_a_report_without_a_case(db, report_status, expected):
    assert str(feedback.reporter_status(a_report(status=report_status)).label) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (State.NEW, "Pris en charge"),
        (State.TRIAGED, "Pris en charge"),
        (State.IN_INTERVENTION, "En cours d’accompagnement"),
        (State.MONITORING, "En cours d’accompagnement"),
        (State.REOPENED, "En cours d’accompagnement"),
        (State.CLOSED, "Suivi terminé"),
        (State.REDIRECTED, "Suivi terminé"),
    ],
)
def test_status_follows_the_case_and_still_moves_under_ne_pas_informer(people, state, expected):
    case = make_case("HS-2026-000610", people.school_a_staff.school, people.coordinator)
    Case.objects.filter(pk=case.pk).update(state=state)
    report = Report.objects.get(pk=a_report(case, status="in_progress").pk)
    assert str(feedback.reporter_status(report).label) == expected
    FamilyRestriction.objects.create(case=case, reason="Enquête.")
    Case.objects.filter(pk=case.pk).update(do_not_disclose_to_family=True)
    report = Report.objects.get(pk=report.pk)
    assert str(feedback.reporter_status(report).label) == expected


def test_a_merged_case_speaks_through_its_survivor(people):
    source = make_case("HS-2026-000611", people.school_a_staff.school, people.coordinator)
    target = make_case("HS-2026-000612", people.school_a_staff.school, people.coordinator)
    report = a_report(source, status="in_progress")
    Case.objects.filter(pk=source.pk).update(merged_into=target, state=State.CLOSED)
    Case.objects.filter(pk=target.pk).update(state=State.IN_INTERVENTION)
    assert feedback.reporter_status(Report.objects.get(pk=report.pk)) == feedback.SUPPORTED
