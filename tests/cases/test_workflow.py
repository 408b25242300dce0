"""The case state machine and the actions on a case: journaled, atomic, optimistic locking."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions, workflow
from halte.cases.enums import State
from halte.cases.models import Link, Transition

from .conftest import make_case


@pytest.fixture
def case(people):
    return make_case("HS-2026-000100", people.school_a_staff.school, people.coordinator)


def test_transitions_table_covers_every_state():
    reachable = {spec.target for spec in workflow.TRANSITIONS.values()}
    sources = set().union(*(spec.sources for spec in workflow.TRANSITIONS.values()))
    assert reachable | sources == set(State.values)


def test_a_transition_is_journaled_with_actor_and_time(people, case):
    before = timezone.now()
    case = case.start_monitoring(actor=people.coordinator)
    assert case.state == State.MONITORING
    log = Transition.objects.get(case=case)
    assert (log.from_state, log.to_state, log.actor) == (State.IN_INTERVENTION, State.MONITORING, people.coordinator)
    assert log.at >= before
    event = AuditEvent.objects.get(action=AuditAction.CASE_TRANSITION)
    assert event.membership == people.coordinator
    assert event.detail == {"transition": "start_monitoring", "from": "in_intervention", "to": "monitoring"}
    assert case.events.filter(kind="transition").exists()


def test_an_illegal_transition_is_refused_and_changes_nothing(people, case):
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        case.reopen(actor=people.coordinator, reason="Pourquoi pas")
    assert "Impossible" in refused.value.message
    case.refresh_from_db()
    assert case.state == State.IN_INTERVENTION
    assert not Transition.objects.exists()


def test_close_needs_a_reason_and_sets_the_outcome(people, case):
    with pytest.raises(workflow.TransitionNotAllowed):
        case.close(actor=people.coordinator, outcome="stopped", reason=" ")
    case = case.close(actor=people.coordinator, outcome="stopped", reason="Plus de faits depuis 3 mois.")
    assert case.state == State.CLOSED
    assert case.closed_at is not None
    assert case.closure_outcome == "stopped"
    case = case.reopen(actor=people.coordinator, reason="Nouveaux faits")
    assert case.state == State.REOPENED
    assert case.closed_at is None


def test_stale_form_is_refused_with_a_clear_message(client, login, people, case):
    login(client, people.coordinator)
    stale_version = case.version
    actions.update_summary(
        case=case, actor=people.coordinator, summary="Première version", expected_version=stale_version
    )
    response = client.post(
        reverse("cases:summary", args=[case.public_id]),
        {"version": stale_version, "summary": "Écrase la première"},
        follow=True,
    )
    case.refresh_from_db()
    assert case.summary == "Première version"
    assert "modifié par quelqu’un d’autre" in response.content.decode()


def test_stale_transition_is_refused(people, case):
    with pytest.raises(actions.StaleCase):
        actions.transition(
            case=case, actor=people.coordinator, name="start_monitoring", expected_version=case.version - 1
        )


def test_share_never_gives_health_to_the_police(people, case):
    with pytest.raises(actions.ActionRefused):
        actions.share(
            case=case,
            actor=people.coordinator,
            organisation=people.police.organisation,
            compartments=["health"],
            legal_basis="convention",
            expires_on=timezone.localdate() + timedelta(days=10),
        )
    assert not case.shares.exists()


def test_share_and_revoke_are_journaled_and_notify_the_organisation(people, case):
    from halte.notifications.models import Notification

    share = actions.share(
        case=case,
        actor=people.magistrate,
        organisation=people.police.organisation,
        compartments=["judicial"],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    assert Notification.objects.filter(recipient=people.police.user).exists()
    actions.revoke_share(share=share, actor=people.magistrate)
    share.refresh_from_db()
    assert share.revoked_at is not None
    kinds = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.CASE_SHARED, AuditAction.CASE_SHARE_REVOKED} <= kinds


def test_merge_keeps_the_trail(people, case):
    other = make_case("HS-2026-000101", people.school_a_staff.school, people.coordinator)
    actions.merge(source=other, target=case, actor=people.coordinator, reason="Même situation, deux signalements")
    other.refresh_from_db()
    assert other.merged_into == case
    assert other.state == State.CLOSED
    assert Link.objects.get(from_case=other, to_case=case).kind == "merged"
    assert case.events.filter(kind="merged").exists()


def test_case_list_query_count_is_constant(client, login, people, django_assert_num_queries):
    login(client, people.coordinator)
    for index in range(3):
        make_case(f"HS-2026-00020{index}", people.school_a_staff.school, people.coordinator)
    with django_assert_num_queries(LIST_QUERIES):
        client.get(reverse("cases:list"))
    for index in range(12):
        make_case(f"HS-2026-00030{index:02d}", people.school_b_staff.school, people.coordinator)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("cases:list"))
    assert response.status_code == 200


# Session, user, OTP device, membership, count, page of cases (school, lead), follow-ups, actions (their
# organisations), shares and other schools (the compartments each member reads: labels of actions), session save…
LIST_QUERIES = 14  # with the count of unread notifications in the header


def test_list_pagination_keeps_the_filters(client, login, people):
    for index in range(30):
        make_case(f"HS-2026-0004{index:02d}", people.school_a_staff.school, people.coordinator)
    login(client, people.coordinator)
    page = client.get(reverse("cases:list"), {"priority": "P2"}).content.decode()
    assert "?priority=P2&amp;page=2" in page
    second = client.get(reverse("cases:list"), {"priority": "P2", "page": 2}).content.decode()
    assert "HS-2026-000429" in second
    assert "HS-2026-000400" not in second


def test_shares_on_the_case_page_name_their_compartments_in_words(client, login, people, case):
    actions.share(
        case=case,
        actor=people.magistrate,
        organisation=people.police.organisation,
        compartments=["core", "judicial"],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    login(client, people.magistrate)
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert "Dossier (faits, personnes, suivi), Volet judiciaire" in page
    shares = page.split('id="titre-partages"')[1].split("</ul>")[0]
    assert "core" not in shares and "judicial" not in shares
