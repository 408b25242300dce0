"""The proposed agenda: each rule, one reason per case, exclusions, order, and its cost in queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from halte.cases.models import Case, FollowUp
from halte.meetings import agenda
from halte.meetings.agenda import propose
from halte.meetings.models import AgendaItem

from .conftest import make_case, make_meeting

Reason = AgendaItem.Reason


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def meeting(people, now):
    """A meeting five days from now."""
    return make_meeting(people.coordinator, now + timedelta(days=5))


def quiet_case(reference, now, **fields):
    """An open P3 case whose milestones are all recorded: on its own, no rule picks it."""
    opened = fields.get("opened_at", now - timedelta(days=40))
    values = {
        "priority": "P3",
        "opened_at": opened,
        "taken_in_charge_at": opened + timedelta(minutes=10),
        "first_measure_at": opened + timedelta(minutes=20),
        "cell_meeting_at": opened + timedelta(minutes=30),
    }
    values.update(fields)
    return make_case(reference, **values)


def proposed(meeting, now) -> dict[str, tuple[str, ...]]:
    return {p.case.reference: p.reasons for p in propose(meeting, now)}


def test_a_quiet_case_is_not_proposed(meeting, now):
    quiet_case("HS-2026-000001", now)
    assert proposed(meeting, now) == {}


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_urgent_cases_never_examined_are_proposed(meeting, now, priority):
    # Opened two hours ago: its cell-meeting clock (24 or 72 hours) is not overdue yet.
    quiet_case("HS-2026-000001", now, priority=priority, opened_at=now - timedelta(hours=2), cell_meeting_at=None)
    assert proposed(meeting, now) == {"HS-2026-000001": (Reason.NEW_URGENT,)}


def test_urgent_cases_already_examined_and_p3_never_examined_are_not_new_urgent(meeting, now):
    quiet_case("HS-2026-000001", now, priority="P1")  # examined
    # A P3 case never examined, opened recently: its cell-meeting clock (14 days) is not overdue yet.
    quiet_case("HS-2026-000002", now, opened_at=now - timedelta(days=2), cell_meeting_at=None)
    assert proposed(meeting, now) == {}


def test_overdue_cases_are_proposed(meeting, now):
    # Opened four days ago, never taken in charge: the 72-hour clock of a P3 case is red.
    quiet_case("HS-2026-000001", now, opened_at=now - timedelta(days=4), taken_in_charge_at=None)
    quiet_case("HS-2026-000002", now, opened_at=now - timedelta(hours=2), taken_in_charge_at=None)
    assert proposed(meeting, now) == {"HS-2026-000001": (Reason.OVERDUE,)}


def test_cases_with_a_follow_up_due_by_the_meeting_day_are_proposed(meeting, now):
    day = agenda.meeting_day(meeting)
    due = quiet_case("HS-2026-000001", now)
    FollowUp.objects.create(case=due, day=7, due_on=day - timedelta(days=1))
    on_the_day = quiet_case("HS-2026-000002", now)
    FollowUp.objects.create(case=on_the_day, day=7, due_on=day)
    later = quiet_case("HS-2026-000003", now)
    FollowUp.objects.create(case=later, day=7, due_on=day + timedelta(days=1))
    done = quiet_case("HS-2026-000004", now)
    FollowUp.objects.create(case=done, day=7, due_on=day, done_at=now, decision="continue")
    assert proposed(meeting, now) == {
        "HS-2026-000001": (Reason.FOLLOW_UP_DUE,),
        "HS-2026-000002": (Reason.FOLLOW_UP_DUE,),
    }


def test_monitored_cases_near_closure_are_proposed(meeting, now):
    day = agenda.meeting_day(meeting)
    quiet_case("HS-2026-000001", now, state="monitoring", watch_until=day + timedelta(days=14))
    quiet_case("HS-2026-000002", now, state="monitoring", watch_until=day + timedelta(days=15))
    last_done = quiet_case("HS-2026-000003", now, state="monitoring", watch_until=day + timedelta(days=90))
    FollowUp.objects.create(case=last_done, day=30, due_on=day - timedelta(days=60), decision="continue", done_at=now)
    FollowUp.objects.create(case=last_done, day=90, due_on=day - timedelta(days=2), decision="close", done_at=now)
    last_pending = quiet_case("HS-2026-000004", now, state="monitoring", watch_until=day + timedelta(days=90))
    FollowUp.objects.create(case=last_pending, day=30, due_on=day - timedelta(days=3), decision="continue", done_at=now)
    FollowUp.objects.create(case=last_pending, day=90, due_on=day + timedelta(days=60))
    # Same dates, not in monitoring: not near closure.
    quiet_case("HS-2026-000005", now, state="in_intervention", watch_until=day + timedelta(days=3))
    assert proposed(meeting, now) == {
        "HS-2026-000001": (Reason.NEAR_CLOSURE,),
        "HS-2026-000003": (Reason.NEAR_CLOSURE,),
    }


def test_a_case_matching_several_rules_appears_once_under_the_first(meeting, now):
    day = agenda.meeting_day(meeting)
    case = quiet_case("HS-2026-000001", now, priority="P1", opened_at=now - timedelta(days=3), cell_meeting_at=None)
    FollowUp.objects.create(case=case, day=7, due_on=day)
    proposals = propose(meeting, now)
    assert len(proposals) == 1
    assert proposals[0].reason == Reason.NEW_URGENT
    assert proposals[0].reasons == (Reason.NEW_URGENT, Reason.OVERDUE, Reason.FOLLOW_UP_DUE)


def test_closed_merged_and_already_listed_cases_are_left_out(people, meeting, now):
    target = quiet_case("HS-2026-000001", now, priority="P1", cell_meeting_at=None)
    quiet_case("HS-2026-000002", now, priority="P1", cell_meeting_at=None, state="closed")
    quiet_case("HS-2026-000003", now, priority="P1", cell_meeting_at=None, merged_into=target)
    listed = quiet_case("HS-2026-000004", now, priority="P1", cell_meeting_at=None)
    AgendaItem.objects.create(meeting=meeting, case=listed, reason=Reason.ADDED)
    # On another meeting's agenda: still proposed for this one.
    other = make_meeting(people.coordinator, now + timedelta(days=20))
    elsewhere = quiet_case("HS-2026-000005", now, priority="P1", cell_meeting_at=None)
    AgendaItem.objects.create(meeting=other, case=elsewhere, reason=Reason.ADDED)
    assert set(proposed(meeting, now)) == {"HS-2026-000001", "HS-2026-000005"}


def test_order_is_priority_first_then_reason(meeting, now):
    day = agenda.meeting_day(meeting)
    p3_follow_up = quiet_case("HS-2026-000001", now)
    FollowUp.objects.create(case=p3_follow_up, day=7, due_on=day)
    quiet_case("HS-2026-000002", now, opened_at=now - timedelta(days=4), taken_in_charge_at=None)  # P3 overdue
    quiet_case("HS-2026-000003", now, priority="P2", cell_meeting_at=None)  # P2 new
    p1_follow_up = quiet_case("HS-2026-000004", now, priority="P1")
    FollowUp.objects.create(case=p1_follow_up, day=7, due_on=day)
    quiet_case("HS-2026-000005", now, priority="P1", cell_meeting_at=None)  # P1 new
    order = [(p.case.reference, p.case.priority, p.reason) for p in propose(meeting, now)]
    assert order == [
        ("HS-2026-000005", "P1", Reason.NEW_URGENT),
        ("HS-2026-000004", "P1", Reason.FOLLOW_UP_DUE),
        ("HS-2026-000003", "P2", Reason.NEW_URGENT),
        ("HS-2026-000002", "P3", Reason.OVERDUE),
        ("HS-2026-000001", "P3", Reason.FOLLOW_UP_DUE),
    ]


@pytest.mark.parametrize("count", [1, 12])
def test_the_proposal_costs_one_query_however_many_cases(meeting, now, count, django_assert_num_queries):
    day = agenda.meeting_day(meeting)
    for index in range(count):
        case = quiet_case(f"HS-2026-{index:06d}", now, priority="P1" if index % 2 else "P3", cell_meeting_at=None)
        FollowUp.objects.create(case=case, day=7, due_on=day)
        quiet_case(f"HS-2027-{index:06d}", now, state="monitoring", watch_until=day)
    with django_assert_num_queries(1):
        proposals = propose(meeting, now)
        # What the meeting page reads of each proposal is already loaded.
        labels = [(p.case.reference, p.case.school, p.case.lead, p.reason_labels) for p in proposals]
    assert len(labels) == 2 * count


def test_the_proposal_writes_nothing(meeting, now):
    quiet_case("HS-2026-000001", now, priority="P1", cell_meeting_at=None)
    propose(meeting, now)
    assert not AgendaItem.objects.exists()
    assert Case.objects.get().cell_meeting_at is None
