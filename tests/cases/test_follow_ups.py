"""Follow-up checkpoints: scheduled from the priority, recorded with the victim's own view, escalated or
proposing closure, and extra checkpoints added by those who manage the case."""

import re
from collections import Counter
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions, targets
from halte.cases.enums import Compartment
from halte.cases.models import FollowUp
from halte.core.submission import new_token
from halte.notifications.models import Notification

from .conftest import make_case


@pytest.fixture
def case(people):
    case = make_case("HS-2026-000700", people.school_a_staff.school, people.coordinator, summary="Situation.")
    today = timezone.localdate()
    for day in (7, 30, 90):
        FollowUp.objects.create(case=case, day=day, due_on=today + timedelta(days=day - 10))
    return case


def post_follow_up(client, case, follow_up, **values):
    prefix = f"suivi-{follow_up.pk}"
    data = {f"{prefix}-{key}": value for key, value in values.items()}
    return client.post(reverse("cases:follow_up", args=[case.public_id, follow_up.public_id]), data)


@pytest.mark.parametrize(
    ("priority", "days"),
    [("P1", [7, 15, 30, 90]), ("P2", [7, 30, 90]), ("P3", [15, 30, 90]), ("P4", [30])],
)
def test_checkpoints_follow_the_priority(priority, days):
    assert targets.targets(priority)[targets.FOLLOW_UP] == days


def test_the_form_uses_radios_in_fieldsets(client, login, people, case):
    login(client, people.coordinator)
    for follow_up in case.follow_ups.all():
        page = client.get(reverse("cases:follow_up", args=[case.public_id, follow_up.public_id])).content.decode()
        for field in ("victim_view", "wellbeing", "decision"):
            assert f'id="radio-id_suivi-{follow_up.pk}-{field}"' in page
            assert f'type="radio" name="suivi-{follow_up.pk}-{field}"' in page


@pytest.mark.parametrize("name", ["coordinator", "magistrate", "social_worker", "school_a_staff"])
def test_every_form_of_the_case_page_has_its_own_ids(client, login, people, case, name):
    case.co_workers.add(people.magistrate, people.social_worker)
    actions.create_action(
        case=case, actor=people.coordinator, title="Voir", owner_organisation=people.school_a_staff.organisation
    )
    login(client, getattr(people, name))
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [duplicate for duplicate, count in ids.items() if count > 1] == []


def test_recording_a_checkpoint_writes_the_victim_view_the_decision_and_the_audit(client, login, people, case):
    follow_up = case.follow_ups.get(day=7)
    login(client, people.coordinator)
    response = post_follow_up(
        client, case, follow_up, victim_view="better", wellbeing="4", decision="continue", note="Il dit que ça va."
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.victim_view, follow_up.wellbeing, follow_up.decision, follow_up.recorded_by) == (
        "better",
        4,
        "continue",
        people.coordinator,
    )
    event = AuditEvent.objects.get(action=AuditAction.CASE_FOLLOW_UP)
    assert event.detail == {"day": 7, "decision": "continue"}
    core = case.events.get(kind="follow_up")
    assert core.compartment == Compartment.CORE
    assert "mieux" in core.text
    assert "4/5" not in core.text
    assert case.events.get(kind="follow_up_wellbeing").compartment == Compartment.HEALTH


def test_the_wellbeing_score_is_shown_to_health_readers_only(client, login, people, case):
    follow_up = case.follow_ups.get(day=7)
    actions.record_follow_up(
        follow_up=follow_up, actor=people.coordinator, victim_view="same", wellbeing=2, decision="continue", note=""
    )
    for name, shown in (("social_worker", True), ("coordinator", False), ("school_a_staff", False)):
        client.logout()
        login(client, getattr(people, name))
        page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
        assert ("2/5" in page) is shown, name


def test_escalate_alerts_the_coordinators_and_writes_the_timeline(client, login, people, case):
    case.co_workers.add(people.education_referent)
    login(client, people.education_referent)
    follow_up = case.follow_ups.get(day=7)
    post_follow_up(client, case, follow_up, victim_view="worse", wellbeing="1", decision="escalate")
    note = Notification.objects.get(recipient=people.coordinator.user)
    assert note.title == f"Dossier {case.reference} : un point de suivi demande de renforcer l’intervention"
    assert note.url == reverse("cases:detail", args=[case.public_id])
    assert not Notification.objects.filter(recipient=people.education_referent.user).exists()
    assert case.events.filter(kind="follow_up_escalated").exists()


def test_proposing_closure_brings_the_closure_form_forward(client, login, people, case):
    login(client, people.coordinator)
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert "propose de clore" not in page
    follow_up = case.follow_ups.get(day=7)
    response = post_follow_up(client, case, follow_up, victim_view="better", wellbeing="5", decision="close")
    close_url = reverse("cases:transition", args=[case.public_id, "close"])
    assert response.url == close_url  # straight to the closure form
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert "Le dernier point de suivi propose de clore le dossier" in page
    assert f'href="{close_url}"' in page


def test_a_checkpoint_cannot_be_recorded_twice_and_bad_input_saves_nothing(client, login, people, case):
    login(client, people.coordinator)
    follow_up = case.follow_ups.get(day=7)
    response = client.post(
        reverse("cases:follow_up", args=[case.public_id, follow_up.public_id]),
        {f"suivi-{follow_up.pk}-victim_view": "better", f"suivi-{follow_up.pk}-wellbeing": "9"},
        follow=True,
    )
    assert "Rien n’a été enregistré" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    post_follow_up(client, case, follow_up, victim_view="better", wellbeing="4", decision="continue")
    response = post_follow_up(client, case, follow_up, victim_view="worse", wellbeing="1", decision="escalate")
    follow_up.refresh_from_db()
    assert follow_up.victim_view == "better"
    assert "déjà enregistré" in response.content.decode()  # said on the checkpoint's page
    assert AuditEvent.objects.filter(action=AuditAction.CASE_FOLLOW_UP).count() == 1


def test_an_extra_checkpoint_can_be_added_on_a_free_day(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:add_follow_up", args=[case.public_id])
    on = timezone.localdate() + timedelta(days=3)
    client.post(url, {"extra-due_on": on.isoformat(), "extra-submission_token": new_token()})
    day = (on - timezone.localdate(case.opened_at)).days
    added = case.follow_ups.get(day=day)
    assert added.due_on == on
    assert AuditEvent.objects.filter(action=AuditAction.CASE_FOLLOW_UP, detail__added=True).exists()
    # Refused on its own page, the form shown again with the reason next to the date.
    response = client.post(url, {"extra-due_on": on.isoformat(), "extra-submission_token": new_token()})
    assert response.status_code == 400 and "déjà prévu ce jour-là" in response.content.decode()
    assert 'name="extra-due_on"' in response.content.decode()
    response = client.post(url, {"extra-due_on": "2001-01-01", "extra-submission_token": new_token()})
    assert response.status_code == 400 and "Choisissez une date à venir" in response.content.decode()
    assert case.follow_ups.count() == 4


def test_the_extra_checkpoint_becomes_a_clock(people, case):
    from halte.cases import clocks

    on = timezone.localdate() + timedelta(days=4)
    row = actions.add_follow_up(case=case, actor=people.coordinator, due_on=on)
    assert f"follow_up_{row.day}" in {clock.key for clock in clocks.clocks_for(case)}


def test_an_extra_checkpoint_more_than_a_year_after_the_opening_is_refused(client, login, people, case):
    """A far date would overflow the checkpoint's day number in the database (a 500 on PostgreSQL):
    refused in French by the form and by the action, nothing saved; J+365 is the last day accepted."""
    opened = timezone.localdate() - timedelta(days=10)
    case.opened_at = case.opened_at - timedelta(days=10)
    case.save(update_fields=["opened_at"])
    last = opened + timedelta(days=targets.LAST_FOLLOW_UP_DAY)
    login(client, people.coordinator)
    url = reverse("cases:add_follow_up", args=[case.public_id])
    for far in (last + timedelta(days=1), date(2099, 1, 1)):
        response = client.post(
            url, {"extra-due_on": far.isoformat(), "extra-submission_token": new_token()}, follow=True
        )
        assert f"au plus tard le {last:%d/%m/%Y}" in response.content.decode()
        with pytest.raises(actions.ActionRefused, match="au plus tard"):
            actions.add_follow_up(case=case, actor=people.coordinator, due_on=far)
    assert case.follow_ups.count() == 3
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_FOLLOW_UP).exists()
    client.post(url, {"extra-due_on": last.isoformat(), "extra-submission_token": new_token()})
    assert case.follow_ups.get(due_on=last).day == 365
    page = client.get(url).content.decode()
    assert f'max="{last.isoformat()}"' in page


def test_no_checkpoint_is_recorded_nor_added_on_a_closed_case(client, login, people, case):
    """The links are gone from a closed case's page; a forged post is refused too, and the school's
    « renforcer » cannot alert the coordinators about a case already closed."""
    from halte.cases.models import Case

    Case.objects.filter(pk=case.pk).update(state="closed", closed_at=timezone.now(), closure_outcome="stopped")
    login(client, people.coordinator)
    follow_up = case.follow_ups.get(day=7)
    response = post_follow_up(client, case, follow_up, victim_view="worse", wellbeing="1", decision="escalate")
    assert "Ce dossier est clos" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    assert not Notification.objects.exists()
    on = timezone.localdate() + timedelta(days=3)
    client.post(
        reverse("cases:add_follow_up", args=[case.public_id]),
        {"extra-due_on": on.isoformat(), "extra-submission_token": new_token()},
    )
    assert case.follow_ups.count() == 3
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_FOLLOW_UP).exists()
