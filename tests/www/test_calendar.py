"""The staff calendar: roles × entries, nothing appears that the membership may not see.

One week holds a cell meeting (the magistrate, school A's staff and the police liaison invited), a
workshop at school A given to the association, actions of case A in each compartment and one owed by
the association (which does not see case A), an action of case B, and the follow-ups of both cases.
Each role must see exactly its expected entries, in the month, week and list views; a conflicted
school loses the case's entries; the page costs the same queries with few entries or many.
"""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.cases.enums import Compartment, LegalBasis
from halte.cases.models import Action, ConflictOfInterest, FollowUp, Share
from halte.meetings.models import Invitation, Meeting
from halte.prevention.enums import RequestStatus
from halte.prevention.models import WorkshopRequest
from tests.conftest import CAST
from tests.meetings.conftest import make_case, make_meeting

NO_CONTENT = {"analyst", "dpo", "admin"}

MEETING = "REUNION-DE-LA-CELLULE"
CANCELLED = "REUNION-ANNULEE"
WORKSHOP = "workshop"  # looked for by its address
CORE_A = "ACTION-CORE-A"
JUDICIAL_A = "ACTION-JUDICIAIRE-A"
HEALTH_A = "ACTION-SANTE-A"
ASSOCIATION_A = "ACTION-ASSOCIATION-A"
CORE_B = "ACTION-CORE-B"
DONE_A = "ACTION-DEJA-FAITE"
FOLLOW_UP_A = "J+7 — HS-2026-000001"
FOLLOW_UP_B = "J+15 — HS-2026-000002"
EVERY_ENTRY = {MEETING, CANCELLED, WORKSHOP, CORE_A, JUDICIAL_A, HEALTH_A, ASSOCIATION_A, CORE_B, DONE_A}
EVERY_ENTRY |= {FOLLOW_UP_A, FOLLOW_UP_B}

CASES_OF_THE_CELL = {CORE_A, ASSOCIATION_A, CORE_B, FOLLOW_UP_A, FOLLOW_UP_B}
EXPECTED = {
    "coordinator": {MEETING, WORKSHOP} | CASES_OF_THE_CELL,
    "magistrate": {MEETING, JUDICIAL_A} | CASES_OF_THE_CELL,
    "prosecutor_delegate": {JUDICIAL_A} | CASES_OF_THE_CELL,
    "education_referent": CASES_OF_THE_CELL,
    "social_worker": {HEALTH_A} | CASES_OF_THE_CELL,
    "school_a_staff": {MEETING, WORKSHOP, CORE_A, ASSOCIATION_A, FOLLOW_UP_A},
    "school_b_staff": {CORE_B, FOLLOW_UP_B},
    # The judicial part of case A is shared with the police: its judicial action only.
    "police": {MEETING, JUDICIAL_A},
    # The action it owes, not the case; the workshop it gives.
    "association_worker": {WORKSHOP, ASSOCIATION_A},
}


def day_shown():
    """A Wednesday of the month after next week's: every entry in one week and one month."""
    day = timezone.localdate() + timedelta(days=7)
    return day - timedelta(days=day.weekday()) + timedelta(days=2)


def at(day, hour):
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.get_current_timezone())


class Scene:
    pass


@pytest.fixture
def scene(people):
    day = day_shown()
    coordinator = people.coordinator
    s = Scene()
    s.day = day
    s.case_a = make_case("HS-2026-000001", school=people.school_a_staff.school, lead=coordinator)
    s.case_b = make_case("HS-2026-000002", school=people.school_b_staff.school, lead=coordinator)
    Share.objects.create(
        case=s.case_a,
        organisation=people.police.organisation,
        compartments=[Compartment.JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=timezone.localdate() + timedelta(days=60),
        created_by=coordinator,
    )
    meeting = make_meeting(coordinator, at(day, 9), title=MEETING)
    for name in ("magistrate", "school_a_staff", "police"):
        Invitation.objects.create(meeting=meeting, membership=getattr(people, name))
    cancelled = make_meeting(coordinator, at(day, 11), title=CANCELLED, status=Meeting.Status.CANCELLED)
    Invitation.objects.create(meeting=cancelled, membership=people.magistrate)
    s.workshop = WorkshopRequest.objects.create(
        school=people.school_a_staff.school,
        requested_by=people.school_a_staff,
        theme="bullying",
        levels=["6e"],
        pupil_count=25,
        status=RequestStatus.ASSIGNED,
        provider=people.association_worker.organisation,
        scheduled_at=at(day, 14),
    )

    def action(case, title, compartment, owner, **extra):
        return Action.objects.create(
            case=case,
            title=title,
            compartment=compartment,
            owner_organisation=owner.organisation,
            due_at=at(day, 16),
            created_by=coordinator,
            **extra,
        )

    action(s.case_a, CORE_A, Compartment.CORE, coordinator)
    action(s.case_a, JUDICIAL_A, Compartment.JUDICIAL, people.magistrate)
    action(s.case_a, HEALTH_A, Compartment.HEALTH, people.social_worker)
    action(s.case_a, ASSOCIATION_A, Compartment.CORE, people.association_worker)
    action(s.case_a, DONE_A, Compartment.CORE, coordinator, status="done", done_at=timezone.now())
    action(s.case_b, CORE_B, Compartment.CORE, coordinator)
    FollowUp.objects.create(case=s.case_a, day=7, due_on=day)
    FollowUp.objects.create(case=s.case_b, day=15, due_on=day)
    return s


def seen_in(page: str, scene) -> set[str]:
    found = {mark for mark in EVERY_ENTRY - {WORKSHOP} if mark in page}
    if reverse("prevention:request_detail", args=[scene.workshop.public_id]) in page:
        found.add(WORKSHOP)
    return found


def calendar_page(client, login, membership, scene, view):
    client.logout()
    login(client, membership)
    return client.get(reverse("www:calendar"), {"vue": view, "date": scene.day.isoformat()})


@pytest.mark.parametrize("view", ["mois", "semaine", "liste"])
def test_each_role_sees_exactly_what_it_may(client, login, people, scene, view):
    seen, expected = {}, {}
    for name in CAST:
        response = calendar_page(client, login, getattr(people, name), scene, view)
        if name in NO_CONTENT:
            seen[name], expected[name] = response.status_code, 403
            continue
        assert response.status_code == 200, name
        seen[name] = seen_in(response.content.decode(), scene)
        expected[name] = EXPECTED[name]
    assert seen == expected


def test_a_conflicted_school_loses_the_cases_entries(client, login, people, scene):
    ConflictOfInterest.objects.create(
        case=scene.case_a,
        organisation=people.school_a_staff.organisation,
        reason="Un enseignant",
        decided_by=people.coordinator,
    )
    page = calendar_page(client, login, people.school_a_staff, scene, "mois").content.decode()
    assert seen_in(page, scene) == {MEETING, WORKSHOP}


def test_the_association_is_sent_to_its_actions_not_to_the_case(client, login, people, scene):
    page = calendar_page(client, login, people.association_worker, scene, "liste").content.decode()
    assert reverse("cases:detail", args=[scene.case_a.public_id]) not in page
    assert reverse("cases:my_actions") in page


def test_entries_outside_the_period_are_not_shown(client, login, people, scene):
    later = scene.day + timedelta(days=70)
    client.logout()
    login(client, people.coordinator)
    page = client.get(reverse("www:calendar"), {"vue": "semaine", "date": later.isoformat()}).content.decode()
    assert seen_in(page, scene) == set()


@pytest.mark.parametrize("hostile", ["", "2026-13-45", "abc", "0001-01-01", "9999-12-31", "2026-02-30"])
def test_a_hostile_date_shows_this_month(client, login, people, scene, hostile):
    login(client, people.coordinator)
    response = client.get(reverse("www:calendar"), {"vue": "semaine'><script>", "date": hostile})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("</h1>")[1].split("<footer")[0]


def test_the_calendar_costs_the_same_queries_with_few_entries_or_many(client, login, people, scene):
    login(client, people.magistrate)
    url = reverse("www:calendar")
    params = {"vue": "mois", "date": scene.day.isoformat()}

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured.captured_queries)

    few = count()
    for index in range(30):
        case = make_case(f"HS-2026-{100 + index:06d}", school=people.school_b_staff.school, lead=people.coordinator)
        Action.objects.create(
            case=case,
            title=f"Action {index}",
            compartment=Compartment.JUDICIAL if index % 2 else Compartment.CORE,
            owner_organisation=people.magistrate.organisation,
            due_at=at(scene.day, 8),
            created_by=people.coordinator,
        )
        FollowUp.objects.create(case=case, day=30, due_on=scene.day)
        meeting = make_meeting(people.coordinator, at(scene.day, 10), title=f"Réunion {index}")
        Invitation.objects.create(meeting=meeting, membership=people.magistrate)
    many = count()
    assert many == few


def test_the_staff_navigation_leads_to_the_calendar(client, login, people):
    login(client, people.school_a_staff)
    assert reverse("www:calendar") in client.get(reverse("www:staff_home")).content.decode()
