"""Actions feed the clocks: one clock per open action with a due time, escalated by tick() to the action's
owner (person, else organisation), then the coordinators, then the steering contact."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import Membership, Role
from halte.cases import clocks
from halte.cases.enums import Compartment
from halte.cases.models import Action, Case, ClockNotice
from halte.notifications.models import Notification
from tests.factories import MembershipFactory, OrganisationFactory

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Rencontrer la famille de l’élève"


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


OPENED = paris("2026-11-02 09:00")
DUE = paris("2026-11-20 12:00")


@pytest.fixture
def cast(db):
    association = OrganisationFactory(name="Association d’aide aux victimes", short_name="AAV")
    return {
        "lead": MembershipFactory(role=Role.EDUCATION_REFERENT),
        "coordinator": MembershipFactory(role=Role.COORDINATOR),
        "steering": MembershipFactory(role=Role.EDUCATION_REFERENT, is_steering_contact=True),
        "owner": MembershipFactory(role=Role.ASSOCIATION_WORKER, organisation=association),
        "colleague": MembershipFactory(role=Role.ASSOCIATION_WORKER, organisation=association),
        "association": association,
    }


def received(cast) -> dict[str, int]:
    names = ("lead", "coordinator", "steering", "owner", "colleague")
    return {name: Notification.objects.filter(recipient=cast[name].user).count() for name in names}


def a_case(cast, **fields) -> Case:
    """A P3 case whose milestones are all met: only its actions can be due."""
    fields.setdefault("state", "in_intervention")
    return Case.objects.create(
        reference=fields.pop("reference", "HS-2026-000900"),
        priority="P3",
        qualification="bullying",
        opened_at=OPENED,
        lead=cast["lead"],
        taken_in_charge_at=OPENED,
        first_measure_at=OPENED,
        cell_meeting_at=OPENED,
        **fields,
    )


def an_action(case, cast, *, owner=True, **fields) -> Action:
    fields.setdefault("due_at", DUE)
    return Action.objects.create(
        case=case,
        title=fields.pop("title", TITLE),
        owner_organisation=cast["association"],
        owner=cast["owner"] if owner else None,
        created_at=paris("2026-11-10 10:00"),
        **fields,
    )


def action_clock(case) -> clocks.Clock:
    (clock,) = [c for c in clocks.clocks_for(case) if c.name == "action"]
    return clock


# --- The clock ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_open_action_with_a_due_time_is_a_clock_amber_24_hours_before(cast):
    case = a_case(cast)
    action = an_action(case, cast)
    an_action(case, cast, title="Sans échéance", due_at=None)
    clock = action_clock(case)
    assert (clock.key, clock.label, clock.due_at) == (f"action_{action.pk}", f"Action : {TITLE}", DUE)
    assert clock.state(paris("2026-11-19 11:59")) == "green"
    assert clock.state(paris("2026-11-19 12:01")) == "amber"
    assert clock.state(paris("2026-11-20 12:01")) == "red"
    assert clocks.worst_state(clocks.clocks_for(case), paris("2026-11-20 12:01")) == "red"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_finished_action_stops_its_clock(cast, status):
    case = a_case(cast)
    an_action(case, cast, status=status, done_at=paris("2026-11-21 10:00"))
    clock = action_clock(case)
    assert clock.state(paris("2026-11-25 10:00")) == "done"
    assert clock.done_at == paris("2026-11-21 10:00")


@pytest.mark.django_db
def test_a_closed_case_stops_the_clocks_of_its_actions(cast):
    case = a_case(cast, state="closed", closed_at=paris("2026-11-15 10:00"))
    an_action(case, cast)
    assert action_clock(case).state(paris("2026-11-25 10:00")) == "done"


@pytest.mark.django_db
def test_an_action_in_a_compartment_the_member_does_not_read_gets_a_neutral_label(cast):
    case = a_case(cast)
    an_action(case, cast, compartment=Compartment.JUDICIAL)
    assert action_clock(case).label == "Action confiée à AAV"
    readable = (Compartment.CORE, Compartment.JUDICIAL)
    (clock,) = [c for c in clocks.clocks_for(case, readable=readable) if c.name == "action"]
    assert clock.label == f"Action : {TITLE}"


@pytest.mark.django_db
def test_clocks_and_labels_of_a_prefetched_page_cost_no_query(cast, django_assert_num_queries):
    for index in range(4):
        case = a_case(cast, reference=f"HS-2026-00091{index}")
        an_action(case, cast)
    page = list(Case.objects.prefetch_related(*clocks.prefetch()))
    with django_assert_num_queries(0):
        labels = [c.label for case in page for c in clocks.clocks_for(case, DUE) if c.name == "action"]
        neutral = [c.notice_label for case in page for c in clocks.clocks_for(case, DUE) if c.name == "action"]
    assert labels == [f"Action : {TITLE}"] * 4
    assert neutral == ["Action confiée à AAV"] * 4


@pytest.mark.django_db
def test_the_overdue_filter_sees_late_actions(cast):
    late = a_case(cast, reference="HS-2026-000901")
    an_action(late, cast)
    finished = a_case(cast, reference="HS-2026-000902")
    an_action(finished, cast, status="done", done_at=paris("2026-11-19 10:00"))
    at = paris("2026-11-20 12:01")
    selected = set(Case.objects.filter(clocks.overdue_filter(at)).values_list("reference", flat=True))
    assert selected == {"HS-2026-000901"}
    for case in Case.objects.prefetch_related(*clocks.prefetch()):
        red = clocks.worst_state(clocks.clocks_for(case, at), at) == "red"
        assert red == (case.reference in selected)


# --- Escalation -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_action_escalates_from_its_owner_to_the_coordination_to_the_steering(cast):
    case = a_case(cast)
    action = an_action(case, cast)
    steps = [
        ("2026-11-19 11:00", None),
        ("2026-11-19 12:30", "reminder"),
        ("2026-11-20 12:30", "owner"),
        ("2026-11-21 12:30", "coordinator"),
        ("2026-11-22 12:30", "steering"),
        ("2026-11-25 12:30", None),
    ]
    for instant, level in steps:
        result = clocks.tick(paris(instant))
        expected = dict.fromkeys(clocks.LEVELS, 0) | ({level: 1} if level else {})
        assert {name: getattr(result, name) for name in clocks.LEVELS} == expected, instant
    assert received(cast) == {"lead": 0, "coordinator": 1, "steering": 1, "owner": 2, "colleague": 0}
    owner_notes = Notification.objects.filter(recipient=cast["owner"].user)
    assert {n.url for n in owner_notes} == {reverse("cases:my_actions")}
    assert Notification.objects.get(recipient=cast["coordinator"].user).url == reverse(
        "cases:detail", args=[case.public_id]
    )
    titles = list(Notification.objects.values_list("title", flat=True))
    assert f"Dossier {case.reference} : action confiée à AAV en retard" in titles
    assert all(TITLE not in title for title in titles)  # the action's title never leaves the case
    assert set(ClockNotice.objects.values_list("clock", flat=True)) == {f"action_{action.pk}"}


@pytest.mark.django_db
def test_without_an_owner_person_the_organisation_is_reminded(cast):
    an_action(a_case(cast), cast, owner=False)
    clocks.tick(paris("2026-11-20 12:30"))
    assert received(cast) == {"lead": 0, "coordinator": 0, "steering": 0, "owner": 1, "colleague": 1}


@pytest.mark.django_db
def test_an_inactive_owner_person_falls_back_to_the_organisation_then_to_the_coordinators(cast):
    case = a_case(cast)
    an_action(case, cast)
    Membership.objects.filter(pk=cast["owner"].pk).update(is_active=False)
    clocks.tick(paris("2026-11-20 12:30"))
    assert received(cast) == {"lead": 0, "coordinator": 0, "steering": 0, "owner": 0, "colleague": 1}
    Membership.objects.filter(pk=cast["colleague"].pk).update(is_active=False)
    other = a_case(cast, reference="HS-2026-000903")
    an_action(other, cast)
    clocks.tick(paris("2026-11-20 12:31"))
    assert received(cast)["coordinator"] == 1


@pytest.mark.django_db
def test_a_completed_action_sends_nothing(cast):
    an_action(a_case(cast), cast, status="done", done_at=paris("2026-11-19 10:00"))
    assert clocks.tick(paris("2026-11-25 12:30")).notices == 0


@pytest.mark.django_db
def test_an_action_of_a_quiet_case_costs_one_query_until_it_is_nearly_due(cast, django_assert_num_queries):
    an_action(a_case(cast), cast)
    with django_assert_num_queries(1):
        assert clocks.tick(paris("2026-11-19 11:00")).cases == 0


# --- List pages ---------------------------------------------------------------------------------------


def test_list_pages_show_judicial_action_titles_only_to_judicial_readers(client, login, people):
    case = Case.objects.create(
        reference="HS-2026-000950",
        priority="P3",
        qualification="bullying",
        state="in_intervention",
        lead=people.coordinator,
        taken_in_charge_at=timezone.now(),
        first_measure_at=timezone.now(),
        cell_meeting_at=timezone.now(),
        school=people.school_a_staff.school,
    )
    case.co_workers.add(people.magistrate)
    Action.objects.create(
        case=case,
        title="Convocation de l’auteur présumé au parquet",
        compartment=Compartment.JUDICIAL,
        owner_organisation=people.magistrate.organisation,
        due_at=timezone.now() + timedelta(hours=2),
    )
    for name, shows in (("coordinator", False), ("magistrate", True)):
        client.logout()
        login(client, getattr(people, name))
        for url_name in ("cases:list", "cases:deadlines"):
            page = client.get(reverse(url_name)).content.decode()
            assert ("Convocation de l’auteur" in page) is shows, (name, url_name)
            assert "Action confiée à" in page or shows


def _case_with_an_action(people, index) -> Case:
    case = Case.objects.create(
        reference=f"HS-2026-0009{index:02d}",
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        lead=people.coordinator,
        school=people.school_a_staff.school,
    )
    Action.objects.create(
        case=case,
        title="Voir la famille",
        owner_organisation=people.coordinator.organisation,
        due_at=timezone.now() + timedelta(days=index + 1),
    )
    return case


@pytest.mark.parametrize("url_name", ["cases:list", "cases:deadlines"])
def test_list_pages_with_actions_cost_a_constant_number_of_queries(
    client, login, people, django_assert_num_queries, url_name
):
    login(client, people.coordinator)
    _case_with_an_action(people, 0)
    client.get(reverse(url_name))  # warm up
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(url_name))
    for index in range(1, 12):
        _case_with_an_action(people, index)
    with django_assert_num_queries(len(one)):
        assert client.get(reverse(url_name)).status_code == 200
