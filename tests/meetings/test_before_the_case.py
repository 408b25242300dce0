"""A meeting that began before a case was opened cannot have examined it: the case is not put on its
agenda (by reference, from the proposal, by bringing the meeting forward), and such a meeting never
stops the case's « examen en cellule » clock — no negative delay in the clocks or the statistics."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from halte.cases import clocks, targets
from halte.meetings import actions
from halte.meetings.agenda import propose
from halte.meetings.models import AgendaItem, Meeting

from .conftest import make_case, make_meeting
from .test_pages import as_member

PARIS = ZoneInfo("Europe/Paris")


def paris(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=PARIS)


@pytest.fixture
def held(people):
    """A meeting held yesterday at 18:00 (Paris), recorded after the fact."""
    yesterday = timezone.localtime(timezone.now(), PARIS).date() - timedelta(days=1)
    return actions.record_held(
        actor=people.coordinator,
        title="Réunion d’urgence",
        starts_at=datetime.combine(yesterday, datetime.min.time(), tzinfo=PARIS).replace(hour=18),
        duration_minutes=30,
        mode=Meeting.Mode.PHONE,
        place="",
        attendees=[people.coordinator],
    )


@pytest.fixture
def late_case(people, held):
    """A case opened nine hours after the meeting began (this night at 03:00)."""
    return make_case(
        "HS-2026-000777",
        school=people.school_a_staff.school,
        lead=people.coordinator,
        priority="P1",
        opened_at=held.starts_at + timedelta(hours=9),
    )


def test_a_case_opened_after_the_meeting_began_is_not_put_on_its_agenda(client, login, people, held, late_case):
    as_member(client, login, people.coordinator)
    response = client.post(reverse("meetings:add_item", args=[held.public_id]), {"reference": late_case.reference})
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    began = timezone.localtime(held.starts_at, PARIS).strftime("%d/%m/%Y à %H:%M")
    opened = timezone.localtime(late_case.opened_at, PARIS).strftime("%d/%m/%Y à %H:%M")
    assert began in said and opened in said
    assert not AgendaItem.objects.exists()


def test_the_action_refuses_it_too(people, held, late_case):
    with pytest.raises(actions.MeetingRefused, match="ouvert le"):
        actions.add_item(meeting=held, actor=people.coordinator, case=late_case)
    assert not AgendaItem.objects.exists()


def test_a_case_opened_before_the_meeting_is_still_added(people, held):
    case = make_case("HS-2026-000778", priority="P1", opened_at=held.starts_at - timedelta(minutes=1))
    actions.add_item(meeting=held, actor=people.coordinator, case=case)
    assert held.items.get().case == case


def test_the_proposal_leaves_out_cases_opened_after_the_meeting_began(people, held, late_case):
    assert late_case not in [p.case for p in propose(held)]
    with pytest.raises(actions.MeetingRefused):
        actions.accept_proposal(meeting=held, actor=people.coordinator, case_ids=[late_case.public_id])
    assert not AgendaItem.objects.exists()


def test_a_planned_meeting_is_not_brought_forward_before_the_day_a_case_of_its_agenda_was_opened(people):
    planned = make_meeting(people.coordinator, timezone.now() + timedelta(hours=6))
    day = timezone.localtime(timezone.now() - timedelta(days=3), timezone.get_default_timezone())
    opened = day.replace(hour=12, minute=0, second=0, microsecond=0)
    case = make_case("HS-2026-000779", priority="P1", opened_at=opened)
    actions.add_item(meeting=planned, actor=people.coordinator, case=case)
    with pytest.raises(actions.MeetingRefused, match="HS-2026-000779"):
        actions.mark_held(meeting=planned, actor=people.coordinator, held_at=opened - timedelta(days=2))
    planned.refresh_from_db()
    assert planned.status == Meeting.Status.PLANNED
    # The morning of the day it was opened (an emergency call before the case was entered): fine, and
    # its minutes review the case at its opening, never before it.
    actions.mark_held(meeting=planned, actor=people.coordinator, held_at=opened.replace(hour=9))
    planned.refresh_from_db()
    assert planned.status == Meeting.Status.HELD
    actions.record_minutes(item=planned.items.get(), actor=people.coordinator, minutes="Situation examinée.")
    case.refresh_from_db()
    assert case.cell_meeting_at == opened


def test_minutes_on_such_an_item_never_stop_the_cell_review_clock(people, held, late_case):
    # An item written before the refusal existed (or by any other path): the minutes are kept, the
    # milestone is not set to a moment before the case existed.
    item = AgendaItem.objects.create(meeting=held, case=late_case, position=0, reason=AgendaItem.Reason.ADDED)
    actions.record_minutes(item=item, actor=people.coordinator, minutes="Situation évoquée.")
    late_case.refresh_from_db()
    assert late_case.cell_meeting_at is None
    (review,) = [c for c in clocks.clocks_for(late_case) if c.name == targets.CELL_MEETING]
    assert review.done_at is None


def test_minutes_of_a_meeting_after_the_opening_still_stop_it(people, held):
    case = make_case("HS-2026-000780", priority="P1", opened_at=held.starts_at - timedelta(hours=1))
    item = actions.add_item(meeting=held, actor=people.coordinator, case=case)
    actions.record_minutes(item=item, actor=people.coordinator, minutes="Mesures décidées.")
    case.refresh_from_db()
    assert case.cell_meeting_at == held.starts_at


def test_a_review_already_dated_before_the_case_is_moved_to_its_first_real_meeting(people, held, late_case):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("halte.meetings.migrations.0004_cell_review_never_before_the_case")
    other = make_case("HS-2026-000781", priority="P1", opened_at=held.starts_at + timedelta(hours=1))
    later = make_meeting(people.coordinator, late_case.opened_at + timedelta(hours=2))
    for case in (late_case, other):
        AgendaItem.objects.create(meeting=held, case=case, position=0, minutes="Vu.", minutes_at=timezone.now())
    AgendaItem.objects.create(meeting=later, case=late_case, position=0, minutes="Vu.", minutes_at=timezone.now())
    # As the bug left them: the milestone set to a meeting that began before the case was opened.
    type(late_case).objects.filter(pk__in=[late_case.pk, other.pk]).update(cell_meeting_at=held.starts_at)
    migration.move_early_reviews(apps, None)
    late_case.refresh_from_db()
    other.refresh_from_db()
    assert late_case.cell_meeting_at == later.starts_at
    assert other.cell_meeting_at is None
