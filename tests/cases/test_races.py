"""Races decided in the database: two changes of one case posted with the same version, two
coordinators triaging one report at once. One wins; the other gets a clear French refusal, never a
500 nor a silent double."""

import pytest
from django.db import transaction

from halte.accounts.models import Role
from halte.cases import actions
from halte.cases.enums import State
from halte.cases.models import Case, Transition, Triage
from halte.cases.severity import Criteria
from halte.reports.models import Report
from tests.factories import MembershipFactory
from tests.races import in_threads, join, on_postgresql, wait_until, waiting_for_locks

from .conftest import make_case
from .test_triage import a_report

STALE = "modifié par quelqu’un d’autre"


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def triaged_case(people) -> Case:
    case = make_case("HS-2026-000010", people.school_a_staff.school, people.coordinator)
    Case.objects.filter(pk=case.pk).update(state=State.TRIAGED)
    case.refresh_from_db()
    return case


def start(case, people, version):
    fresh = Case.objects.get(pk=case.pk)  # each request reads the case on its own
    return actions.transition(case=fresh, actor=people.coordinator, name="start_intervention", expected_version=version)


def close(case, people, version):
    fresh = Case.objects.get(pk=case.pk)
    return actions.transition(
        case=fresh,
        actor=people.coordinator,
        name="close",
        expected_version=version,
        outcome="stopped",
        reason="Le harcèlement a cessé.",
    )


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_transitions_posted_at_once_with_the_same_version_one_wins(people):
    case = triaged_case(people)
    version = case.version
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)  # both requests arrive while the row is busy
        threads, results = in_threads(lambda: start(case, people, version), lambda: close(case, people, version))
        wait_until(lambda: waiting_for_locks() == 2)
    join(threads)
    won = [r for r in results if isinstance(r, Case)]
    refused = [r for r in results if isinstance(r, actions.StaleCase)]
    assert (len(won), len(refused)) == (1, 1), results
    assert STALE in refused[0].message
    assert "Rien n’a été enregistré" in refused[0].message
    assert Transition.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.version == version + 1


def test_a_transition_with_a_stale_version_is_refused(people):
    case = triaged_case(people)
    version = case.version
    start(case, people, version)
    with pytest.raises(actions.StaleCase, match=STALE):
        close(case, people, version)
    case.refresh_from_db()
    assert case.state == State.IN_INTERVENTION


def decision():
    return actions.TriageDecision(outcome="open_case", qualification="bullying", criteria=Criteria())


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_triaging_one_report_at_once_make_one_case_and_one_refusal(people):
    report = a_report(people)
    other = MembershipFactory(
        organisation=people.coordinator.organisation, role=Role.COORDINATOR, user__first_name="Nadia"
    )

    def triage_as(member):
        return actions.triage_report(report=Report.objects.get(pk=report.pk), actor=member, decision=decision())

    with transaction.atomic():
        Report.objects.select_for_update().get(pk=report.pk)
        threads, results = in_threads(lambda: triage_as(people.coordinator), lambda: triage_as(other))
        wait_until(lambda: waiting_for_locks() == 2)
    join(threads)
    won = [r for r in results if isinstance(r, Triage)]
    refused = [r for r in results if isinstance(r, actions.ActionRefused)]
    assert (len(won), len(refused)) == (1, 1), results
    winner = won[0].decided_by
    assert f"déjà trié par {winner.user.get_full_name()} ({winner.organisation.name})" in refused[0].message
    assert Case.objects.count() == 1
    assert Triage.objects.count() == 1


def test_a_second_triage_names_who_triaged(people):
    report = a_report(people)
    actions.triage_report(report=report, actor=people.coordinator, decision=decision())
    stale_copy = Report.objects.get(pk=report.pk)
    with pytest.raises(actions.ActionRefused, match="déjà trié par"):
        actions.triage_report(report=stale_copy, actor=people.coordinator, decision=decision())
    assert Case.objects.count() == 1


def test_a_note_posted_twice_is_added_once(client, login, people):
    from django.urls import reverse

    from halte.cases.models import Note
    from halte.core.submission import new_token

    case = triaged_case(people)
    login(client, people.coordinator)
    data = {"compartment": "core", "text": "Appel de la mère de Léa.", "submission_token": new_token()}
    url = reverse("cases:note", args=[case.public_id])
    client.post(url, data)
    second = client.post(url, data, follow=True)
    assert "Déjà enregistré" in second.content.decode()
    assert Note.objects.filter(case=case, text="Appel de la mère de Léa.").count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_sharing_with_one_organisation_at_once_make_one_share(people):
    from datetime import timedelta

    from django.utils import timezone

    from halte.cases.models import Share

    case = triaged_case(people)
    police = people.police.organisation
    today = timezone.localdate()

    def share_as(member, compartments, days):
        return actions.share(
            case=Case.objects.get(pk=case.pk),
            actor=member,
            organisation=police,
            compartments=compartments,
            legal_basis="art40",
            expires_on=today + timedelta(days=days),
        )

    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)  # both clicks arrive while the case is busy
        threads, results = in_threads(
            lambda: share_as(people.magistrate, ["judicial"], 30),
            lambda: share_as(people.prosecutor_delegate, ["core", "judicial"], 60),
        )
        wait_until(lambda: waiting_for_locks() == 2)
    join(threads)
    assert all(isinstance(r, Share) for r in results), results
    assert Share.objects.filter(case=case, organisation=police).count() == 1, "two shares side by side"
    assert sorted(r.renewed for r in results) == [False, True]
    share = Share.objects.get(case=case, organisation=police)
    assert share.compartments == ["core", "judicial"]
    assert share.expires_on == today + timedelta(days=[30, 60][[r.renewed for r in results].index(True)])
    assert case.events.filter(kind="shared").count() == 2
