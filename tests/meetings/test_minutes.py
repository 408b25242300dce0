"""Minutes of a case: decisions become actions, the milestone, the timeline, the journal; all or
nothing; bad input answered in French."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.models import Action, Event
from halte.core.submission import new_token
from halte.meetings import actions
from halte.meetings.models import AgendaItem, Decision, Meeting

from .conftest import MINUTES_MARK, make_meeting


def url_of(item: AgendaItem) -> str:
    return reverse("meetings:item", args=[item.meeting.public_id, item.public_id])


def post_data(minutes=MINUTES_MARK, decisions=()):
    data = {
        "cr-minutes": minutes,
        "cr-submission_token": new_token(),
        "decisions-TOTAL_FORMS": "3",
        "decisions-INITIAL_FORMS": "0",
        "decisions-MIN_NUM_FORMS": "0",
        "decisions-MAX_NUM_FORMS": "10",
    }
    for index, decision in enumerate(decisions):
        data.update({f"decisions-{index}-{key}": value for key, value in decision.items()})
    return data


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def nothing_saved(cell, status=Meeting.Status.PLANNED) -> None:
    cell.item_a.refresh_from_db()
    cell.case_a.refresh_from_db()
    cell.meeting.refresh_from_db()
    assert cell.item_a.minutes == ""
    assert cell.item_a.minutes_at is None
    assert not Action.objects.exists()
    assert not Decision.objects.exists()
    assert cell.case_a.cell_meeting_at is None
    assert not Event.objects.filter(kind="meeting").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.MEETING_MINUTES).exists()
    assert cell.meeting.status == status


def test_minutes_and_decisions_become_actions_with_milestone_timeline_and_audit(client, login, people, cell):
    login(client, people.coordinator)
    school = people.school_a_staff
    decisions = [
        {"title": "Désigner un adulte référent", "owner_organisation": school.organisation_id, "due_on": in_days(3)},
        {
            "title": "Convoquer l’auteur présumé et ses parents",
            "owner_organisation": people.prosecutor_delegate.organisation_id,
            "owner": people.prosecutor_delegate.pk,
            "due_on": in_days(10),
        },
    ]
    response = client.post(url_of(cell.item_a), post_data(decisions=decisions))
    assert response.status_code == 302
    cell.item_a.refresh_from_db()
    assert cell.item_a.minutes == MINUTES_MARK
    assert cell.item_a.minutes_by == people.coordinator
    actions_taken = {a.title: a for a in Action.objects.filter(case=cell.case_a)}
    assert set(actions_taken) == {d["title"] for d in decisions}
    referent = actions_taken["Désigner un adulte référent"]
    assert referent.owner_organisation == school.organisation
    assert referent.owner is None
    assert timezone.localtime(referent.due_at).date().isoformat() == in_days(3)
    summons = actions_taken["Convoquer l’auteur présumé et ses parents"]
    assert summons.owner == people.prosecutor_delegate
    assert {d.action_id for d in cell.item_a.decisions.all()} == {referent.pk, summons.pk}
    cell.case_a.refresh_from_db()
    assert cell.case_a.cell_meeting_at == cell.meeting.starts_at
    (event,) = Event.objects.filter(case=cell.case_a, kind="meeting")
    assert event.compartment == "core"
    assert event.actor == people.coordinator
    audit = AuditEvent.objects.get(action=AuditAction.MEETING_MINUTES)
    assert audit.target_id == str(cell.case_a.public_id)
    assert audit.detail["decisions"] == 2
    cell.meeting.refresh_from_db()
    assert cell.meeting.status == Meeting.Status.HELD
    assert cell.meeting.held_at is not None


def test_the_milestone_keeps_the_first_meeting(people, cell):
    first = cell.meeting.starts_at
    actions.record_minutes(item=cell.item_a, actor=people.coordinator, minutes="Premier examen.")
    later = make_meeting(people.coordinator, timezone.now() - timedelta(minutes=5))
    item = AgendaItem.objects.create(meeting=later, case=cell.case_a, reason=AgendaItem.Reason.ADDED)
    actions.record_minutes(item=item, actor=people.coordinator, minutes="Deuxième examen.")
    cell.case_a.refresh_from_db()
    assert cell.case_a.cell_meeting_at == first
    assert Event.objects.filter(case=cell.case_a, kind="meeting").count() == 2


def test_an_invalid_decision_saves_nothing(client, login, people, cell):
    login(client, people.coordinator)
    decisions = [
        {
            "title": "Désigner un adulte référent",
            "owner_organisation": people.school_a_staff.organisation_id,
            "due_on": in_days(3),
        },
        # The owner does not belong to the owner organisation.
        {
            "title": "Rencontrer la famille",
            "owner_organisation": people.social_worker.organisation_id,
            "owner": people.police.pk,
            "due_on": in_days(5),
        },
    ]
    response = client.post(url_of(cell.item_a), post_data(decisions=decisions))
    assert response.status_code == 400
    assert "La personne responsable doit appartenir à la structure responsable." in response.content.decode()
    nothing_saved(cell)


def test_a_refusal_inside_the_transaction_rolls_everything_back(people, cell):
    """Even past the forms: the second action is refused after the first was created → nothing stays."""
    good = actions.DecisionData(
        title="Adulte référent",
        owner_organisation=people.school_a_staff.organisation,
        owner=None,
        due_at=timezone.now() + timedelta(days=3),
    )
    bad = actions.DecisionData(
        title="Rencontre",
        owner_organisation=people.social_worker.organisation,
        owner=people.police,
        due_at=timezone.now() + timedelta(days=3),
    )
    with pytest.raises(actions.MeetingRefused):
        actions.record_minutes(item=cell.item_a, actor=people.coordinator, minutes=MINUTES_MARK, decisions=[good, bad])
    nothing_saved(cell)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (post_data(minutes=""), "Ce champ est obligatoire."),
        (
            post_data(decisions=[{"title": "Sans structure", "due_on": in_days(2)}]),
            "Choisissez la structure responsable.",
        ),
        (
            post_data(decisions=[{"title": "Trop tard", "owner_organisation": "1", "due_on": in_days(-1)}]),
            "Choisissez une échéance à venir.",
        ),
        (
            post_data(decisions=[{"title": "Date", "owner_organisation": "1", "due_on": "31/02/2027"}]),
            "Saisissez une date valide.",
        ),
        (
            post_data(decisions=[{"title": "Structure", "owner_organisation": "999999", "due_on": in_days(2)}]),
            "Ce choix n’est pas (ou plus) proposé",
        ),
        ({"cr-minutes": "Sans formulaire de décisions"}, "ManagementForm"),
        (post_data(minutes="x" * 20_001), "20000 caractères"),
    ],
)
def test_bad_input_is_answered_in_french(client, login, people, cell, data, message):
    login(client, people.coordinator)
    response = client.post(url_of(cell.item_a), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page.replace("\u202f", "").replace("&nbsp;", "").replace(" ", " ")
    nothing_saved(cell)


def test_control_characters_never_reach_the_database(client, login, people, cell):
    login(client, people.coordinator)
    response = client.post(url_of(cell.item_a), post_data(minutes="Avant\x00après\x07."))
    assert response.status_code == 302
    cell.item_a.refresh_from_db()
    assert cell.item_a.minutes == "Avantaprès."


def test_minutes_wait_for_the_meeting_to_begin(client, login, people, cell):
    Meeting.objects.filter(pk=cell.meeting.pk).update(starts_at=timezone.now() + timedelta(days=1))
    login(client, people.coordinator)
    response = client.get(url_of(cell.item_a))
    assert "Le compte rendu s’écrit une fois la réunion commencée." in response.content.decode()
    response = client.post(url_of(cell.item_a), post_data())
    assert response.status_code == 400
    assert "Le compte rendu s’écrit une fois la réunion commencée." in response.content.decode()
    nothing_saved(cell)


def test_a_cancelled_meeting_takes_no_minutes(people, cell):
    Meeting.objects.filter(pk=cell.meeting.pk).update(status=Meeting.Status.CANCELLED)
    with pytest.raises(actions.MeetingRefused):
        actions.record_minutes(item=cell.item_a, actor=people.coordinator, minutes="Texte")
    nothing_saved(cell, status=Meeting.Status.CANCELLED)


def test_a_member_who_manages_the_case_writes_minutes_others_only_read(client, login, people, cell):
    # The magistrate is invited; as a co-worker of case A they manage it, but not case B.
    cell.case_a.co_workers.add(people.magistrate)
    login(client, people.magistrate)
    response = client.post(url_of(cell.item_a), post_data(minutes="Le parquet a ouvert une enquête."))
    assert response.status_code == 302
    assert client.post(url_of(cell.item_b), post_data()).status_code == 403
    page = client.get(url_of(cell.item_b)).content.decode()
    assert "Rédiger le compte rendu" not in page


def test_the_item_page_shows_minutes_and_decisions_and_journals_the_read(client, login, people, cell):
    actions.record_minutes(
        item=cell.item_a,
        actor=people.coordinator,
        minutes=MINUTES_MARK,
        decisions=[
            actions.DecisionData(
                title="Adulte référent désigné",
                owner_organisation=people.school_a_staff.organisation,
                owner=people.school_a_staff,
                due_at=timezone.now() + timedelta(days=2),
            )
        ],
    )
    login(client, people.school_a_staff)
    page = client.get(url_of(cell.item_a)).content.decode()
    assert MINUTES_MARK in page
    assert "Adulte référent désigné" in page
    assert people.school_a_staff.user.get_full_name() in page
    event = AuditEvent.objects.filter(action=AuditAction.MEETING_READ, membership=people.school_a_staff).get()
    assert event.target_id == str(cell.case_a.public_id)
    assert event.detail["meeting"] == str(cell.meeting.public_id)


# --- Who may be made responsible for a decision ----------------------------------------------------

NEVER_CASE_WORK = ("analyst", "dpo", "admin")


def owner_choices(response) -> set[int]:
    form = response.context["formset"].forms[0]
    groups = [options for _group, options in form.fields["owner"].choices if isinstance(options, list)]
    return {value for options in groups for value, _label in options}


def test_owners_offered_are_the_people_who_read_cases(client, login, people, cell):
    login(client, people.coordinator)
    response = client.get(url_of(cell.item_a))
    offered = owner_choices(response)
    for name in ("coordinator", "prosecutor_delegate", "school_a_staff", "police", "association_worker"):
        assert getattr(people, name).pk in offered, name
    for name in NEVER_CASE_WORK:
        assert getattr(people, name).pk not in offered, name


@pytest.mark.parametrize("name", NEVER_CASE_WORK)
def test_an_owner_who_never_reads_cases_is_refused(client, login, people, cell, name):
    login(client, people.coordinator)
    owner = getattr(people, name)
    decision = {
        "title": "Suivre la situation",
        "owner_organisation": owner.organisation_id,
        "owner": owner.pk,
        "due_on": in_days(3),
    }
    response = client.post(url_of(cell.item_a), post_data(decisions=[decision]))
    assert response.status_code == 400
    assert "Ce choix n’est pas (ou plus) proposé" in response.content.decode()
    nothing_saved(cell)


def test_an_organisation_where_nobody_reads_cases_is_refused(client, login, people, cell):
    """The region only has an analyst: nobody there could follow the case."""
    login(client, people.coordinator)
    decision = {"title": "Suivre", "owner_organisation": people.analyst.organisation_id, "due_on": in_days(3)}
    response = client.post(url_of(cell.item_a), post_data(decisions=[decision]))
    assert response.status_code == 400
    assert "Cette structure n’a personne qui puisse suivre un dossier." in response.content.decode()
    nothing_saved(cell)


def test_an_organisation_with_case_readers_is_accepted_without_an_owner(client, login, people, cell):
    login(client, people.coordinator)
    decision = {"title": "Suivre", "owner_organisation": people.police.organisation_id, "due_on": in_days(3)}
    response = client.post(url_of(cell.item_a), post_data(decisions=[decision]))
    assert response.status_code == 302
    assert Action.objects.get(case=cell.case_a).owner_organisation == people.police.organisation


@pytest.mark.parametrize(
    ("owner", "organisation"),
    [("dpo", "dpo"), ("admin", "admin"), ("analyst", "analyst"), (None, "analyst")],
)
def test_the_action_itself_refuses_owners_who_never_read_cases(people, cell, owner, organisation):
    decision = actions.DecisionData(
        title="Suivre la situation",
        owner_organisation=getattr(people, organisation).organisation,
        owner=getattr(people, owner) if owner else None,
        due_at=timezone.now() + timedelta(days=3),
    )
    with pytest.raises(actions.MeetingRefused):
        actions.record_minutes(item=cell.item_a, actor=people.coordinator, minutes=MINUTES_MARK, decisions=[decision])
    nothing_saved(cell)


def test_minutes_posted_twice_take_their_decisions_once(client, login, people, cell):
    login(client, people.coordinator)
    school = people.school_a_staff
    decisions = [
        {"title": "Désigner un adulte référent", "owner_organisation": school.organisation_id, "due_on": in_days(3)}
    ]
    data = post_data(decisions=decisions)
    first = client.post(url_of(cell.item_a), data)
    second = client.post(url_of(cell.item_a), data, follow=True)  # the double click
    assert first.status_code == 302
    assert second.redirect_chain[0] == (url_of(cell.item_a), 302)
    assert "Déjà enregistré" in second.content.decode()
    assert Action.objects.filter(case=cell.case_a, title="Désigner un adulte référent").count() == 1
    assert cell.item_a.decisions.count() == 1
    again = post_data(decisions=decisions)  # a new form: new minutes, new decisions
    assert client.post(url_of(cell.item_a), again).status_code == 302
    assert Action.objects.filter(case=cell.case_a, title="Désigner un adulte référent").count() == 2
