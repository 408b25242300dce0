"""Clocks of a case (due times per priority, red/amber/green) and the escalation job (`tick`)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch

from halte.accounts.models import Membership, Role
from halte.cases import clocks
from halte.cases.models import Action, Case, ClockNotice, FollowUp
from halte.notifications.models import Notification
from tests.factories import MembershipFactory

PARIS = ZoneInfo("Europe/Paris")
REFERENCE = "HS-2026-000042"
SECRET_FACTS = "FAITS-CONFIDENTIELS-DU-DOSSIER"


def paris(text: str) -> datetime:
    """An instant written in Paris local time: paris("2026-11-25 09:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def end_of(day: str) -> datetime:
    return paris(f"{day} 23:59:59.999999")


@dataclass
class Team:
    lead: Membership
    coordinator: Membership
    steering: Membership
    bystander: Membership

    def received(self) -> dict[str, int]:
        return {name: Notification.objects.filter(recipient=member.user).count() for name, member in vars(self).items()}


@pytest.fixture
def team(db) -> Team:
    return Team(
        lead=MembershipFactory(role=Role.EDUCATION_REFERENT, user__email="referent@halte.test"),
        coordinator=MembershipFactory(role=Role.COORDINATOR, user__email="coordination@halte.test"),
        steering=MembershipFactory(role=Role.EDUCATION_REFERENT, is_steering_contact=True),
        bystander=MembershipFactory(role=Role.SOCIAL_WORKER),
    )


_numbers = iter(range(100, 100_000))


def open_case(opened_at: datetime, priority: str = "P1", *, lead=None, reference=None, **fields) -> Case:
    fields.setdefault("state", "in_intervention")
    return Case.objects.create(
        reference=reference or f"HS-2026-{next(_numbers):06d}",
        priority=priority,
        qualification="bullying",
        opened_at=opened_at,
        lead=lead,
        summary=SECRET_FACTS,
        **fields,
    )


def by_name(case: Case) -> dict[str, clocks.Clock]:
    return {clock.key: clock for clock in clocks.clocks_for(case)}


# --- Due times per priority -----------------------------------------------------------------------


@pytest.mark.django_db
def test_p1_take_charge_in_4_hours_first_measure_same_day_meeting_in_24_hours():
    case = open_case(paris("2026-11-25 09:00"), "P1")
    found = by_name(case)
    assert list(found) == ["take_charge", "first_measure", "cell_meeting"]
    assert found["take_charge"].due_at == paris("2026-11-25 13:00")
    assert found["take_charge"].label == "Prise en charge"
    assert found["first_measure"].due_at == end_of("2026-11-25")
    assert found["cell_meeting"].due_at == paris("2026-11-26 09:00")
    assert all(clock.started_at == case.opened_at and clock.done_at is None for clock in found.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("opened", "due"),
    [
        ("2026-11-25 19:00", end_of("2026-11-25")),  # five hours left in the day: the end of the day
        ("2026-11-25 20:30", paris("2026-11-26 00:30")),  # late evening: never less than 4 hours
        ("2026-11-25 23:10", paris("2026-11-26 03:10")),
        ("2026-03-28 23:30", paris("2026-03-29 04:30")),  # 4 real hours across the change to summer time
    ],
)
def test_same_day_is_the_end_of_the_paris_day_but_at_least_4_hours(opened, due):
    case = open_case(paris(opened), "P1")
    assert by_name(case)["first_measure"].due_at == due


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        (
            "P2",
            {
                "take_charge": timedelta(hours=24),
                "first_measure": timedelta(hours=48),
                "cell_meeting": timedelta(hours=72),
            },
        ),
        (
            "P3",
            {
                "take_charge": timedelta(hours=72),
                "first_measure": timedelta(days=7),
                "cell_meeting": timedelta(days=14),
            },
        ),
        ("P4", {"take_charge": timedelta(days=7)}),
    ],
)
def test_due_times_of_the_other_priorities(priority, expected):
    opened = paris("2026-11-25 09:00")
    case = open_case(opened, priority)
    assert {key: clock.due_at - opened for key, clock in by_name(case).items()} == expected


@pytest.mark.django_db
def test_a_follow_up_is_due_at_the_end_of_its_day_and_stops_when_done():
    case = open_case(paris("2026-11-25 09:00"), "P4")
    FollowUp.objects.create(case=case, day=30, due_on=date(2026, 12, 25))
    FollowUp.objects.create(case=case, day=7, due_on=date(2026, 12, 2), done_at=paris("2026-12-02 10:00"))
    found = by_name(case)
    assert list(found) == ["take_charge", "follow_up_7", "follow_up_30"]
    assert found["follow_up_7"].label == "Point de suivi J+7"
    assert found["follow_up_7"].done_at == paris("2026-12-02 10:00")
    assert found["follow_up_30"].due_at == end_of("2026-12-25")
    assert found["follow_up_30"].done_at is None


@pytest.mark.django_db
def test_configured_targets_change_the_clocks(settings):
    settings.HALTE_CLOCK_TARGETS = {"P2": {"take_charge": timedelta(hours=2), "cell_meeting": None}}
    case = open_case(paris("2026-11-25 09:00"), "P2")
    found = by_name(case)
    assert found["take_charge"].due_at == paris("2026-11-25 11:00")
    assert "cell_meeting" not in found


# --- States ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instant", "state"),
    [
        ("2026-11-25 09:00", "green"),
        ("2026-11-25 11:59", "green"),
        ("2026-11-25 12:00", "amber"),  # the last quarter of 4 hours
        ("2026-11-25 13:00", "amber"),  # due, not yet late
        ("2026-11-25 13:00:01", "red"),
        ("2026-11-27 13:00", "red"),
    ],
)
def test_states_of_a_4_hour_clock(instant, state):
    case = open_case(paris("2026-11-25 09:00"), "P1")
    assert by_name(case)["take_charge"].state(paris(instant)) == state


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instant", "state"),
    [
        ("2026-12-01 08:00", "green"),  # 25 h before due: a quarter of 7 days would already be amber
        ("2026-12-01 10:00", "amber"),  # 23 h before due: amber is capped at 24 hours
        ("2026-12-02 09:01", "red"),
    ],
)
def test_amber_lasts_at_most_24_hours_on_long_clocks(instant, state):
    case = open_case(paris("2026-11-25 09:00"), "P3")
    assert by_name(case)["first_measure"].state(paris(instant)) == state


@pytest.mark.django_db
def test_a_follow_up_turns_amber_on_its_day_and_red_the_day_after():
    case = open_case(paris("2026-11-25 09:00"), "P4")
    FollowUp.objects.create(case=case, day=7, due_on=date(2026, 12, 2))
    clock = by_name(case)["follow_up_7"]
    assert clock.state(paris("2026-12-01 23:00")) == "green"
    assert clock.state(paris("2026-12-02 08:00")) == "amber"
    assert clock.state(paris("2026-12-02 23:59")) == "amber"
    assert clock.state(paris("2026-12-03 00:00")) == "red"


@pytest.mark.django_db
def test_a_recorded_milestone_is_done_even_when_late():
    case = open_case(paris("2026-11-25 09:00"), "P1", taken_in_charge_at=paris("2026-11-25 15:00"))
    clock = by_name(case)["take_charge"]
    assert clock.state(paris("2026-11-30 09:00")) == "done"
    assert clock.done_at == paris("2026-11-25 15:00")


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["closed", "redirected"])
def test_a_case_no_longer_open_has_only_done_clocks(state):
    case = open_case(paris("2026-11-01 09:00"), "P1", state=state, closed_at=paris("2026-11-02 09:00"))
    FollowUp.objects.create(case=case, day=7, due_on=date(2026, 11, 8))
    now = paris("2026-11-25 09:00")
    found = clocks.clocks_for(case, now)
    assert len(found) == 4
    assert {clock.state(now) for clock in found} == {"done"}
    assert clocks.worst_state(found, now) == "done"
    assert clocks.next_due(found) is None


@pytest.mark.django_db
def test_worst_state_and_next_due():
    case = open_case(paris("2026-11-25 09:00"), "P1", taken_in_charge_at=paris("2026-11-25 10:00"))
    found = clocks.clocks_for(case)
    assert clocks.worst_state(found, paris("2026-11-25 10:00")) == "green"
    assert clocks.worst_state(found, paris("2026-11-25 21:00")) == "amber"  # first measure before midnight
    assert clocks.worst_state(found, paris("2026-11-26 10:00")) == "red"
    assert clocks.worst_state([], paris("2026-11-26 10:00")) == "done"
    assert clocks.next_due(found).key == "first_measure"  # take charge is done


@pytest.mark.django_db
def test_clocks_of_a_prefetched_page_cost_no_query(django_assert_num_queries):
    for index in range(5):
        case = open_case(paris("2026-11-25 09:00"), "P2")
        FollowUp.objects.create(case=case, day=7 + index, due_on=date(2026, 12, 2) + timedelta(days=index))
    page = list(Case.objects.prefetch_related(*clocks.prefetch()))
    with django_assert_num_queries(0):
        found = clocks.clocks_by_case(page, paris("2026-11-26 10:00"))
        badges = [clocks.worst_state(found[case.pk], paris("2026-11-26 10:00")) for case in page]
    assert len(found) == 5
    assert all(len(case_clocks) == 4 for case_clocks in found.values())
    assert badges == ["red"] * 5  # take charge after 24 hours


@pytest.mark.django_db
def test_case_url_falls_back_to_the_path_when_the_page_is_not_routed(monkeypatch):
    case = open_case(paris("2026-11-25 09:00"))
    assert clocks.case_url(case) == f"/dossiers/{case.public_id}/"

    def unrouted(*args, **kwargs):
        raise NoReverseMatch("cases:detail")

    monkeypatch.setattr(clocks, "reverse", unrouted)
    assert clocks.case_url(case) == f"/dossiers/{case.public_id}/"


# --- The overdue filter ---------------------------------------------------------------------------


def _overdue_world() -> dict[str, Case]:
    done = paris("2026-11-01 09:00")
    milestones = {"taken_in_charge_at": done, "first_measure_at": done, "cell_meeting_at": done}
    world = {
        "p1_take_charge": open_case(paris("2026-11-26 05:00"), "P1"),
        "p1_take_charge_fresh": open_case(paris("2026-11-26 06:30"), "P1"),
        "p1_same_day_after_midnight": open_case(
            paris("2026-11-25 21:00"), "P1", taken_in_charge_at=done, cell_meeting_at=done
        ),
        "p1_same_day_still_today": open_case(
            paris("2026-11-26 01:00"), "P1", taken_in_charge_at=done, cell_meeting_at=done
        ),
        "p1_late_evening_4_hours": open_case(
            paris("2026-11-25 23:30"), "P1", taken_in_charge_at=done, cell_meeting_at=done
        ),
        "p2_cell_meeting": open_case(paris("2026-11-23 09:00"), "P2", taken_in_charge_at=done, first_measure_at=done),
        "p2_fresh": open_case(paris("2026-11-25 12:00"), "P2"),
        "p3_first_measure": open_case(paris("2026-11-19 09:00"), "P3", taken_in_charge_at=done),
        "p4_take_charge": open_case(paris("2026-11-19 09:00"), "P4"),
        "p4_fresh": open_case(paris("2026-11-20 09:00"), "P4"),
        "all_done": open_case(paris("2026-11-01 09:00"), "P1", **milestones),
        "follow_up_late": open_case(paris("2026-10-01 09:00"), "P4", **milestones),
        "follow_up_today": open_case(paris("2026-10-01 09:00"), "P4", **milestones),
        "follow_up_done": open_case(paris("2026-10-01 09:00"), "P4", **milestones),
        "closed_late": open_case(paris("2026-11-01 09:00"), "P1", state="closed", closed_at=done),
        "redirected_late": open_case(paris("2026-11-01 09:00"), "P1", state="redirected", closed_at=done),
        "monitoring_late": open_case(paris("2026-11-01 09:00"), "P2", state="monitoring"),
    }
    FollowUp.objects.create(case=world["follow_up_late"], day=30, due_on=date(2026, 11, 25))
    FollowUp.objects.create(case=world["follow_up_today"], day=30, due_on=date(2026, 11, 26))
    FollowUp.objects.create(
        case=world["follow_up_done"], day=30, due_on=date(2026, 11, 1), done_at=paris("2026-11-03 09:00")
    )
    FollowUp.objects.create(case=world["closed_late"], day=7, due_on=date(2026, 11, 8))
    return world


@pytest.mark.django_db
def test_overdue_filter_selects_exactly_the_overdue_cases():
    world = _overdue_world()
    now = paris("2026-11-26 10:00")
    selected = {case.pk for case in Case.objects.filter(clocks.overdue_filter(now))}
    names = {name for name, case in world.items() if case.pk in selected}
    assert names == {
        "p1_take_charge",
        "p1_same_day_after_midnight",
        "p1_late_evening_4_hours",
        "p2_cell_meeting",
        "p3_first_measure",
        "p4_take_charge",
        "follow_up_late",
        "monitoring_late",
    }


@pytest.mark.django_db
def test_durations_are_real_hours_across_the_change_to_summer_time():
    case = open_case(paris("2026-03-29 00:30"), "P1")  # 4 hours later it is 05:30, summer time
    assert by_name(case)["take_charge"].due_at == paris("2026-03-29 05:30")
    assert by_name(case)["take_charge"].state(paris("2026-03-29 05:29")) == "amber"
    assert not Case.objects.filter(clocks.overdue_filter(paris("2026-03-29 05:29"))).exists()
    assert Case.objects.filter(clocks.overdue_filter(paris("2026-03-29 05:31"))).get() == case


@pytest.mark.django_db
def test_overdue_filter_agrees_with_the_clocks_and_tick_misses_no_amber_case():
    """At every half hour over four days, the database filter and the Python clocks agree; the
    cheaper pre-selection of tick() contains every case with an amber or red clock."""
    _overdue_world()
    cases = list(Case.objects.prefetch_related("follow_ups"))
    instant = paris("2026-11-24 00:00")
    while instant < paris("2026-11-28 00:00"):
        states = {case.pk: clocks.worst_state(clocks.clocks_for(case, instant), instant) for case in cases}
        red = {pk for pk, state in states.items() if state == "red"}
        worrying = {pk for pk, state in states.items() if state in ("amber", "red")}
        assert set(Case.objects.filter(clocks.overdue_filter(instant)).values_list("pk", flat=True)) == red, instant
        attention = set(Case.objects.filter(clocks._attention_filter(instant)).values_list("pk", flat=True))
        assert worrying <= attention, instant
        instant += timedelta(minutes=30)


# --- Escalation -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_time_travel_of_a_p1_case(team):
    """Opened at 09:00, due at 13:00: reminder at 12:00, late at 13:00, coordinators after 17:00,
    steering after 21:00, and nothing ever sent twice."""
    case = open_case(
        paris("2026-11-25 09:00"),
        "P1",
        lead=team.lead,
        reference=REFERENCE,
        first_measure_at=paris("2026-11-25 10:00"),  # only the take-charge clock runs today
    )
    nobody = {"lead": 0, "coordinator": 0, "steering": 0, "bystander": 0}

    assert clocks.tick(paris("2026-11-25 09:30")).notices == 0
    assert team.received() == nobody

    result = clocks.tick(paris("2026-11-25 12:10"))
    assert (result.reminder, result.notices, result.notifications) == (1, 1, 1)
    assert team.received() == {**nobody, "lead": 1}
    reminder = Notification.objects.get()
    assert reminder.kind == "clock_reminder"
    assert reminder.title == f"Dossier {REFERENCE} : prise en charge à faire avant le 25/11/2026 à 13:00"
    assert reminder.url == f"/dossiers/{case.public_id}/"

    assert clocks.tick(paris("2026-11-25 12:11")).notices == 0
    assert team.received() == {**nobody, "lead": 1}

    result = clocks.tick(paris("2026-11-25 13:05"))
    assert (result.owner, result.notices) == (1, 1)
    assert team.received() == {**nobody, "lead": 2}
    late = Notification.objects.filter(recipient=team.lead.user).order_by("-id").first()
    assert (late.kind, late.title) == ("clock_escalation", f"Dossier {REFERENCE} : prise en charge en retard")

    assert clocks.tick(paris("2026-11-25 17:00")).notices == 0  # exactly 4 hours late: not yet more
    result = clocks.tick(paris("2026-11-25 17:10"))
    assert (result.coordinator, result.notices) == (1, 1)
    assert team.received() == {**nobody, "lead": 2, "coordinator": 1}
    assert "escalade à la coordination" in Notification.objects.get(recipient=team.coordinator.user).title

    assert clocks.tick(paris("2026-11-25 21:00")).notices == 0  # exactly 8 hours late: not yet steering
    result = clocks.tick(paris("2026-11-25 21:10"))
    assert (result.steering, result.notices) == (1, 1)
    assert team.received() == {"lead": 2, "coordinator": 1, "steering": 1, "bystander": 0}

    for later in ("2026-11-25 21:10", "2026-11-25 21:11", "2026-11-25 23:00", "2026-11-26 02:00"):
        assert clocks.tick(paris(later)).notices == 0
    assert team.received() == {"lead": 2, "coordinator": 1, "steering": 1, "bystander": 0}
    assert sorted(ClockNotice.objects.filter(case=case).values_list("clock", "level")) == [
        ("take_charge", "coordinator"),
        ("take_charge", "owner"),
        ("take_charge", "reminder"),
        ("take_charge", "steering"),
    ]


@pytest.mark.django_db
def test_taking_charge_stops_the_clock_notices(team):
    case = open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead)
    assert clocks.tick(paris("2026-11-25 13:05")).owner == 1
    Case.objects.filter(pk=case.pk).update(taken_in_charge_at=paris("2026-11-25 13:30"))
    for later in ("2026-11-25 17:10", "2026-11-25 21:10", "2026-11-26 09:00"):
        clocks.tick(paris(later))
    assert list(ClockNotice.objects.filter(clock="take_charge").values_list("level", flat=True)) == ["owner"]
    assert team.received()["coordinator"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["closed", "redirected"])
def test_a_case_no_longer_open_produces_no_notice(team, state):
    case = open_case(paris("2026-11-01 09:00"), "P1", lead=team.lead, state=state, closed_at=paris("2026-11-01 10:00"))
    FollowUp.objects.create(case=case, day=7, due_on=date(2026, 11, 8))
    result = clocks.tick(paris("2026-11-25 09:00"))
    assert (result.cases, result.notices) == (0, 0)
    assert not ClockNotice.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_an_overdue_follow_up_escalates_step_by_step(team):
    done = paris("2026-11-01 10:00")
    case = open_case(paris("2026-11-01 09:00"), "P4", lead=team.lead, taken_in_charge_at=done, state="monitoring")
    FollowUp.objects.create(case=case, day=30, due_on=date(2026, 12, 1))
    steps = [
        ("2026-11-30 20:00", None),
        ("2026-12-01 08:00", "reminder"),
        ("2026-12-02 01:00", "owner"),
        ("2026-12-02 23:00", None),  # 23 hours late: the follow-up step is 24 hours
        ("2026-12-03 01:00", "coordinator"),
        ("2026-12-04 01:00", "steering"),
        ("2026-12-10 01:00", None),
    ]
    for instant, level in steps:
        result = clocks.tick(paris(instant))
        expected = dict.fromkeys(clocks.LEVELS, 0) | ({level: 1} if level else {})
        assert {name: getattr(result, name) for name in clocks.LEVELS} == expected, instant
    assert team.received() == {"lead": 2, "coordinator": 1, "steering": 1, "bystander": 0}
    titles = set(Notification.objects.values_list("title", flat=True))
    assert f"Dossier {case.reference} : point de suivi J+30 en retard" in titles
    assert set(ClockNotice.objects.values_list("clock", flat=True)) == {"follow_up_30"}


@pytest.mark.django_db
@pytest.mark.parametrize("lead", ["none", "inactive"])
def test_without_a_usable_lead_the_coordinators_are_the_owner(team, lead):
    if lead == "inactive":
        Membership.objects.filter(pk=team.lead.pk).update(is_active=False)
        team.lead.refresh_from_db()
    open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead if lead == "inactive" else None)
    clocks.tick(paris("2026-11-25 12:10"))
    assert team.received() == {"lead": 0, "coordinator": 1, "steering": 0, "bystander": 0}
    assert Notification.objects.get().kind == "clock_reminder"


@pytest.mark.django_db
def test_a_clock_found_long_overdue_sends_each_person_one_notification(team):
    """Cron was down, or the case was reopened: all levels at once, no reminder, no duplicates."""
    case = open_case(paris("2026-11-20 09:00"), "P1", reference=REFERENCE, first_measure_at=paris("2026-11-20 10:00"))
    Case.objects.filter(pk=case.pk).update(cell_meeting_at=paris("2026-11-20 11:00"))
    result = clocks.tick(paris("2026-11-25 09:00"))
    assert (result.reminder, result.owner, result.coordinator, result.steering) == (0, 1, 1, 1)
    # No lead: the coordinators are also the owner, yet they get a single, most severe notification.
    assert team.received() == {"lead": 0, "coordinator": 1, "steering": 1, "bystander": 0}
    assert Notification.objects.get(recipient=team.coordinator.user).title == (
        f"Dossier {REFERENCE} : prise en charge en retard — escalade à la coordination"
    )
    assert clocks.tick(paris("2026-11-25 09:01")).notices == 0


@pytest.mark.django_db
def test_a_notice_already_recorded_is_not_sent_again(team):
    case = open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead, first_measure_at=paris("2026-11-25 10:00"))
    ClockNotice.objects.create(case=case, clock="take_charge", due_at=paris("2026-11-25 13:00"), level="reminder")
    assert clocks.tick(paris("2026-11-25 12:10")).notices == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_emails_carry_the_reference_and_a_link_never_content(team, django_capture_on_commit_callbacks):
    case = open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead, reference=REFERENCE)
    with django_capture_on_commit_callbacks(execute=True):
        clocks.tick(paris("2026-11-25 13:05"))
    assert [message.to for message in mail.outbox] == [["referent@halte.test"]]
    message = mail.outbox[0]
    organisation = team.lead.organisation.name
    assert message.subject == (
        f"Halte — Dossier {REFERENCE} : prise en charge en retard"
        f" — pour votre rôle « Référent ou référente Éducation nationale » ({organisation})"
    )
    assert f"/dossiers/{case.public_id}/" in message.body
    assert REFERENCE in message.body
    assert SECRET_FACTS not in message.subject + message.body


@pytest.mark.django_db
def test_amber_is_24_real_hours_even_on_the_night_the_clocks_go_forward(team):
    """29 March 2026 lasts 23 hours: its follow-up turns amber at 23:00 the day before."""
    done = paris("2026-02-27 10:00")
    open_case(paris("2026-02-27 09:00"), "P4", lead=team.lead, taken_in_charge_at=done)
    FollowUp.objects.create(case=Case.objects.get(), day=30, due_on=date(2026, 3, 29))
    assert clocks.tick(paris("2026-03-28 22:50")).notices == 0
    assert clocks.tick(paris("2026-03-28 23:10")).reminder == 1


@pytest.mark.django_db
def test_nothing_due_costs_two_queries(team, django_assert_num_queries):
    open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead)
    # The open cases that may owe a notice, the reports nobody has opened (the safety net).
    with django_assert_num_queries(2):
        result = clocks.tick(paris("2026-11-25 09:30"))
    assert result.cases == 0


# --- The command ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_runs_one_pass_at_the_given_instant_and_prints_a_summary(team):
    open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead, first_measure_at=paris("2026-11-25 10:00"))
    out = StringIO()
    call_command("tick", "--now", "2026-11-25T12:10", stdout=out)  # Paris local time
    assert out.getvalue().strip() == "Échéances : 1 rappel (1 dossier examiné)."

    out = StringIO()
    call_command("tick", "--now", "2026-11-25T20:10:00+00:00", stdout=out)  # 21:10 in Paris
    assert out.getvalue().strip() == (
        "Échéances : 1 retard signalé au responsable, 1 escalade à la coordination, "
        "1 escalade au contact de pilotage (1 dossier examiné)."
    )

    out = StringIO()
    call_command("tick", "--now", "2026-11-25T21:11", stdout=out)
    # Every clock has had the notice of its level: the case is not even read again.
    assert out.getvalue().strip() == "Échéances : rien à envoyer (0 dossier examiné)."
    assert ClockNotice.objects.count() == 4


@pytest.mark.django_db
def test_the_command_is_silent_at_verbosity_0_and_refuses_a_bad_date(team):
    open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead)
    out = StringIO()
    call_command("tick", "--now", "2026-11-25T13:05", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert ClockNotice.objects.filter(level="owner").count() == 1
    with pytest.raises(CommandError, match="format ISO"):
        call_command("tick", "--now", "demain midi")


@pytest.mark.django_db
def test_a_fully_escalated_case_is_not_selected_again(team, django_assert_num_queries):
    open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead, first_measure_at=paris("2026-11-25 10:00"))
    assert clocks.tick(paris("2026-11-25 21:10")).notices == 3
    # Unread reports and the selection, which finds the steering notice already sent: nothing is
    # loaded, nothing written.
    with django_assert_num_queries(2):
        result = clocks.tick(paris("2026-11-25 21:11"))
    assert (result.notices, result.cases) == (0, 0)


@pytest.mark.django_db
def test_tick_walks_the_cases_chunk_by_chunk(team, monkeypatch):
    monkeypatch.setattr(clocks, "CHUNK_SIZE", 2)
    for _index in range(5):
        open_case(paris("2026-11-25 09:00"), "P1", lead=team.lead)
    result = clocks.tick(paris("2026-11-25 13:05"))
    assert (result.cases, result.owner) == (5, 5)
    assert team.received()["lead"] == 5


def _owing(case: Case, instant: datetime) -> bool:
    """What tick() decides in Python for one case: a clock with a level reached and not sent."""
    sent = {(n.clock, n.due_at, n.level) for n in case.clock_notices.all()}
    return any(
        level
        for clock in clocks.clocks_for(case, instant, readable=None)
        for level in clock.levels_reached(instant)
        if (clock.key, clock.due_at, level) not in sent
    )


@pytest.mark.django_db
def test_the_selection_never_misses_a_case_that_owes_a_notice_and_leaves_out_those_that_do_not(team):
    """Hour by hour over five days, passes running as they do: before each pass, every case that
    owes something is selected; after it, only "same day" clocks (never narrowed) are."""
    world = _overdue_world()
    for case in world.values():
        case.lead = team.lead
        case.save(update_fields=["lead"])
    Action.objects.create(
        case=world["p4_fresh"],
        title="Appeler la famille",
        owner_organisation=team.lead.organisation,
        due_at=paris("2026-11-25 15:00"),
    )
    instant = paris("2026-11-24 00:00")
    narrowed = 0
    while instant < paris("2026-11-29 00:00"):
        cases = list(Case.objects.prefetch_related("follow_ups", "clock_notices", "actions"))
        owing = {case.pk for case in cases if _owing(case, instant)}
        attention = clocks._attention_filter(instant)  # built once: its 36 subqueries cost more than the query
        selected = set(Case.objects.filter(attention).values_list("pk", flat=True))
        assert owing <= selected, instant
        clocks.tick(instant)
        after = set(Case.objects.filter(attention).values_list("pk", flat=True))
        same_day = {case.pk for case in cases if case.priority == "P1"}
        assert after <= same_day, (instant, after - same_day)
        narrowed += len(selected - after)
        instant += timedelta(minutes=60)
    assert narrowed > 0
