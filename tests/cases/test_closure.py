"""Closure with a watch period, the reminders of the watch (time travel through tick(now=...)), and
reopening, which keeps everything and plans a new checkpoint a week later."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import Membership
from halte.cases import actions, clocks
from halte.cases.models import Case, ClockNotice, FollowUp, Transition
from halte.notifications.models import Kind, Notification

from .conftest import make_case


@pytest.fixture
def case(people):
    case = make_case("HS-2026-000800", people.school_a_staff.school, people.education_referent, summary="Faits.")
    FollowUp.objects.create(
        case=case, day=3, due_on=timezone.localdate(), done_at=timezone.now(), victim_view="better", decision="close"
    )
    return case


def close_over_http(client, case, **extra):
    data = {"version": str(case.version), "outcome": "stopped", "reason": "Le harcèlement a cessé.", **extra}
    return client.post(reverse("cases:transition", args=[case.public_id, "close"]), data, follow=True)


# --- Closing -------------------------------------------------------------------------------------------


def test_closing_sets_a_90_day_watch_by_default(client, login, people, case):
    login(client, people.coordinator)
    close_over_http(client, case)
    case.refresh_from_db()
    assert case.state == "closed"
    assert case.closure_outcome == "stopped"
    assert case.watch_until == timezone.localdate(case.closed_at) + timedelta(days=90)
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert "Veille jusqu’au" in page


@pytest.mark.parametrize(("days", "expected"), [("30", 30), ("365", 365), ("0", None)])
def test_the_watch_period_is_editable(client, login, people, case, days, expected):
    login(client, people.coordinator)
    close_over_http(client, case, watch_days=days)
    case.refresh_from_db()
    if expected is None:
        assert case.watch_until is None
    else:
        assert case.watch_until == timezone.localdate(case.closed_at) + timedelta(days=expected)


@pytest.mark.parametrize("days", ["366", "-1", "beaucoup"])
def test_a_watch_period_out_of_range_closes_nothing(client, login, people, case, days):
    login(client, people.coordinator)
    response = close_over_http(client, case, watch_days=days)
    assert "Rien n’a été enregistré" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "in_intervention"
    assert not Transition.objects.exists()


def test_closing_without_an_outcome_is_refused(client, login, people, case):
    login(client, people.coordinator)
    response = close_over_http(client, case, outcome="")
    assert "Choisissez l’issue du dossier" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "in_intervention"


def test_the_closure_form_carries_the_watch_period(client, login, people, case):
    login(client, people.coordinator)
    close_url = reverse("cases:transition", args=[case.public_id, "close"])
    assert f'href="{close_url}"' in client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    page = client.get(close_url).content.decode()  # the closure form, on its own page
    assert 'name="watch_days"' in page
    assert 'for="close-watch_days"' in page


# --- Watch reminders ------------------------------------------------------------------------------------


def closed(case, people, *, watch_days=90):
    case.close(actor=people.coordinator, outcome="stopped", reason="Fin des faits.", watch_days=watch_days)
    case.refresh_from_db()
    return case


def watch_notes(membership):
    return list(
        Notification.objects.filter(recipient=membership.user, kind=Kind.WATCH_REMINDER).values_list("title", flat=True)
    )


def test_the_lead_is_reminded_once_at_30_days_and_once_at_the_end_of_the_watch(people, case):
    case = closed(case, people)
    start = case.closed_at
    end = clocks._start_of_day(case.watch_until)
    assert clocks.tick(start + timedelta(days=29, hours=23)).watch == 0
    assert clocks.tick(start + timedelta(days=30, minutes=1)).watch == 1
    assert clocks.tick(start + timedelta(days=30, minutes=2)).watch == 0
    assert clocks.tick(end - timedelta(minutes=1)).watch == 0
    assert clocks.tick(end + timedelta(minutes=1)).watch == 1
    assert clocks.tick(end + timedelta(days=2)).watch == 0
    assert watch_notes(people.education_referent) == [
        f"Dossier {case.reference} : fin de la période de veille, vérifiez que la situation reste apaisée",
        f"Dossier {case.reference} : clos depuis 30 jours, vérifiez que la situation reste apaisée",
    ]
    assert watch_notes(people.coordinator) == []
    assert set(ClockNotice.objects.values_list("clock", "level")) == {("watch_30", "watch"), ("watch_end", "watch")}
    note = Notification.objects.filter(kind=Kind.WATCH_REMINDER).first()
    assert note.url == reverse("cases:detail", args=[case.public_id])


def test_without_a_usable_lead_the_coordinators_are_reminded(people, case):
    Membership.objects.filter(pk=people.education_referent.pk).update(is_active=False)
    case = closed(case, people)
    clocks.tick(case.closed_at + timedelta(days=30, minutes=1))
    assert len(watch_notes(people.coordinator)) == 1


def test_a_short_watch_has_only_its_end_reminder(people, case):
    case = closed(case, people, watch_days=10)
    for days in range(0, 45):
        clocks.tick(case.closed_at + timedelta(days=days, minutes=1))
    assert [title.split(" : ")[1][:6] for title in watch_notes(people.education_referent)] == ["fin de"]


def test_no_watch_no_reminder_and_a_stale_reminder_is_not_sent(people, case):
    case = closed(case, people, watch_days=0)
    assert clocks.tick(case.closed_at + timedelta(days=30, minutes=1)).watch == 0
    other = make_case("HS-2026-000801", people.school_a_staff.school, people.education_referent)
    other = closed(other, people)
    # The pass did not run for weeks: the 30-day reminder is more than 7 days late, the end one is not due.
    assert clocks.tick(other.closed_at + timedelta(days=40)).watch == 0


def test_closing_again_after_a_reopening_starts_a_new_watch(people, case):
    case = closed(case, people)
    first_closure = case.closed_at
    clocks.tick(first_closure + timedelta(days=30, minutes=1))
    case.reopen(actor=people.coordinator, reason="Ça recommence.")
    case.refresh_from_db()
    case = closed(case, people)
    # The second closure happens after the first reminder went out (40 days after the first closure).
    second_closure = first_closure + timedelta(days=40)
    Case.objects.filter(pk=case.pk).update(
        closed_at=second_closure, watch_until=timezone.localdate(second_closure) + timedelta(days=90)
    )
    assert clocks.tick(second_closure + timedelta(days=30, minutes=1)).watch == 1
    assert len(watch_notes(people.education_referent)) == 2


def test_closed_cases_cost_nothing_when_no_reminder_is_due(people, case, django_assert_num_queries):
    case = closed(case, people)
    with django_assert_num_queries(2):  # the cases, the unread reports (the safety net)
        assert clocks.tick(case.closed_at + timedelta(days=10)).cases == 0
    clocks.tick(case.closed_at + timedelta(days=30, minutes=1))
    with django_assert_num_queries(2):  # the reminder is out: the case is no longer looked at
        assert clocks.tick(case.closed_at + timedelta(days=31)).cases == 0


def test_the_command_counts_watch_reminders(people, case):
    case = closed(case, people)
    out = StringIO()
    moment = timezone.localtime(case.closed_at + timedelta(days=30, minutes=1)).isoformat()
    call_command("tick", "--now", moment, stdout=out)
    assert out.getvalue().strip() == "Échéances : 1 rappel de veille (1 dossier examiné)."


# --- Reopening -------------------------------------------------------------------------------------------


def test_reopening_keeps_everything_clears_the_closure_and_plans_a_checkpoint_a_week_later(people, case):
    case = closed(case, people)
    events_before = case.events.count()
    case.reopen(actor=people.coordinator, reason="Nouveau signalement.")
    case.refresh_from_db()
    assert case.state == "reopened"
    assert (case.closed_at, case.closure_outcome, case.watch_until) == (None, "", None)
    assert case.events.count() > events_before
    assert case.follow_ups.filter(day=3, done_at__isnull=False).exists()  # history kept
    new = case.follow_ups.get(due_on=timezone.localdate() + timedelta(days=7))
    assert new.done_at is None
    assert new.day == (new.due_on - timezone.localdate(case.opened_at)).days
    assert Case.objects.get(pk=case.pk).transitions.filter(name="reopen").exists()


def test_reopening_on_a_day_whose_checkpoint_is_done_plans_the_next_free_day(people):
    case = make_case("HS-2026-000802", people.school_a_staff.school, people.coordinator)
    Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(days=23))
    case.refresh_from_db()
    day = (timezone.localdate() + timedelta(days=7) - timezone.localdate(case.opened_at)).days
    FollowUp.objects.create(case=case, day=day, due_on=timezone.localdate(), done_at=timezone.now())
    case = closed(case, people)
    case.reopen(actor=people.coordinator, reason="Ça recommence.")
    pending = case.follow_ups.get(done_at__isnull=True)
    assert (pending.day, pending.due_on) == (day + 1, timezone.localdate() + timedelta(days=8))


# --- The case page after closure and after reopening ----------------------------------------------------


def clock_states(client, case) -> dict[str, str]:
    response = client.get(reverse("cases:detail", args=[case.public_id]))
    return {row["clock"].label: row["state"] for row in response.context["clocks"]}


def test_a_closed_case_tells_reached_milestones_from_clocks_its_closure_stopped(client, login, people, case):
    FollowUp.objects.create(case=case, day=30, due_on=timezone.localdate() + timedelta(days=20))
    Case.objects.filter(pk=case.pk).update(taken_in_charge_at=timezone.now())
    due_at = timezone.now() + timedelta(days=7)
    done = actions.create_action(
        case=case,
        actor=people.coordinator,
        title="Nommer un adulte référent",
        owner_organisation=people.school_a_staff.organisation,
        due_at=due_at,
    )
    actions.complete_action(action=done, actor=people.school_a_staff, note="Mme Morel est l’adulte référente.")
    actions.create_action(
        case=case,
        actor=people.coordinator,
        title="Accompagner la famille",
        owner_organisation=people.social_worker.organisation,
        due_at=due_at,
    )
    login(client, people.coordinator)
    assert "stopped" not in clock_states(client, case).values()  # an open case: every clock still runs

    case.refresh_from_db()
    case = closed(case, people)
    assert clock_states(client, case) == {
        "Prise en charge": "done",
        "Première mesure de protection": "stopped",
        "Examen en cellule": "stopped",
        "Point de suivi J+3": "done",
        "Point de suivi J+30": "stopped",
        "Action : Nommer un adulte référent": "done",
        "Action : Accompagner la famille": "stopped",
    }
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    closed_on = timezone.localtime(case.closed_at).strftime("%d/%m/%Y")
    assert page.count(f"Non réalisé : dossier clos le {closed_on}") == 4


def test_a_reopened_case_is_not_proposed_for_closure_on_a_checkpoint_older_than_the_reopening(
    client, login, people, case
):
    login(client, people.coordinator)
    url = reverse("cases:detail", args=[case.public_id])
    proposal = "Le dernier point de suivi propose de clore le dossier"
    assert proposal in client.get(url).content.decode()  # the fixture's checkpoint proposes closing
    case = closed(case, people)
    case.reopen(actor=people.coordinator, reason="Nouveau signalement sur les mêmes élèves.")
    assert proposal not in client.get(url).content.decode()

    new = case.follow_ups.get(done_at__isnull=True)
    actions.record_follow_up(
        follow_up=new, actor=people.coordinator, victim_view="better", wellbeing=5, decision="close", note=""
    )
    assert proposal in client.get(url).content.decode()
