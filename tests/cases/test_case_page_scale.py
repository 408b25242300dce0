"""The case page at any age of the case: its history comes a page at a time, and the page costs the
same number of queries for a case with three lines of history or three hundred."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.cases.enums import Compartment, EventKind
from halte.cases.models import Case, Event, Note
from halte.cases.views import TIMELINE_PAGE


@pytest.fixture
def case(people):
    return Case.objects.create(
        reference="HS-2026-000001",
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        school=people.school_a_staff.school,
        lead=people.coordinator,
    )


def add_history(case, count, *, actor, start=0):
    base = timezone.now() - timedelta(days=400)
    Event.objects.bulk_create(
        [
            Event(
                case=case,
                kind=EventKind.SUMMARY,
                compartment=Compartment.CORE,
                text=f"Ligne {start + index:04d}",
                actor=actor,
                at=base + timedelta(hours=start + index),
            )
            for index in range(count)
        ]
    )
    Note.objects.bulk_create(
        [Note(case=case, compartment=Compartment.CORE, text="Note", author=actor) for _ in range(count // 10)]
    )


def queries_of(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


# Session, user, OTP device, membership, the case with its school and lead, its shares and other schools,
# the journal row, one page of history, then one query per section and per module's panel (the session's
# save and the test's savepoints included): pinned, so that a query added by a section is seen.
CASE_PAGE_QUERIES = 39  # the guardians of the case, for the holds that come through them


def test_the_case_page_costs_the_same_queries_whatever_its_history(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:detail", args=[case.public_id])
    add_history(case, 5, actor=people.coordinator)
    few, page = queries_of(client, url)
    assert "Voir les lignes plus anciennes" not in page and "plus anciennes" not in page
    add_history(case, 495, actor=people.coordinator, start=5)
    many, page = queries_of(client, url)
    assert few == many == CASE_PAGE_QUERIES
    shown = [line for line in range(500) if f"Ligne {line:04d}" in page]
    assert shown == list(range(500 - TIMELINE_PAGE, 500))  # the latest lines, in the order they happened
    assert f"Voir les {TIMELINE_PAGE} lignes plus anciennes" in page
    assert "?historique=2#titre-historique" in page


def test_older_lines_come_page_by_page(client, login, people, case):
    login(client, people.coordinator)
    add_history(case, TIMELINE_PAGE + 10, actor=people.coordinator)
    url = reverse("cases:detail", args=[case.public_id])
    first = client.get(url).content.decode()
    assert "Voir les 10 lignes plus anciennes" in first and "?historique=2" in first
    page = client.get(url + "?historique=2").content.decode()
    shown = [line for line in range(TIMELINE_PAGE + 10) if f"Ligne {line:04d}" in page]
    assert shown == list(range(10))
    assert "?historique=1" in page and "?historique=3" not in page and "plus anciennes" not in page


def test_a_page_of_history_is_journaled_as_a_read_of_the_case(client, login, people, case):
    from halte.audit.models import Action as AuditAction
    from halte.audit.models import AuditEvent

    login(client, people.coordinator)
    add_history(case, TIMELINE_PAGE + 10, actor=people.coordinator)
    client.get(reverse("cases:detail", args=[case.public_id]) + "?historique=2")
    event = AuditEvent.objects.filter(action=AuditAction.CASE_READ, membership=people.coordinator).latest("id")
    assert event.target_id == str(case.public_id) and event.detail["history_page"] == 2


@pytest.mark.parametrize("hostile", ["abc", "-4", "0", "99999999999999999999", "", "1e9"])
def test_a_hostile_page_number_shows_a_page(client, login, people, case, hostile):
    login(client, people.coordinator)
    add_history(case, 3, actor=people.coordinator)
    response = client.get(reverse("cases:detail", args=[case.public_id]), {"historique": hostile})
    assert response.status_code == 200


def test_a_page_beyond_the_history_is_empty_not_an_error(client, login, people, case):
    login(client, people.coordinator)
    add_history(case, 3, actor=people.coordinator)
    response = client.get(reverse("cases:detail", args=[case.public_id]), {"historique": "40"})
    assert response.status_code == 200
    assert "Ligne 0000" not in response.content.decode()


def add_rows(case, people, count, *, start=0):
    """People, actions of each compartment, follow-ups, notes, shares and meetings: every kind of row
    the case page and its summary list."""
    from halte.cases.models import Action, FollowUp, Involvement, Person, Share
    from halte.meetings.models import AgendaItem
    from tests.meetings.conftest import make_meeting

    coordinator = people.coordinator
    for index in range(start, start + count):
        person = Person.objects.create(kind="pupil", first_name=f"Élève{index}", last_name="Nom")
        Involvement.objects.create(case=case, person=person, role="victim" if index % 2 else "alleged_author")
        for compartment, owner in (
            (Compartment.CORE, coordinator),
            (Compartment.HEALTH, people.social_worker),
            (Compartment.JUDICIAL, people.magistrate),
        ):
            Action.objects.create(
                case=case,
                title=f"Action {index}",
                compartment=compartment,
                owner_organisation=owner.organisation,
                owner=owner,
                due_at=timezone.now() + timedelta(days=index + 1),
                created_by=coordinator,
            )
            Note.objects.create(case=case, compartment=compartment, text=f"Note {index}", author=owner)
        FollowUp.objects.create(case=case, day=100 + index, due_on=timezone.localdate() + timedelta(days=index))
        meeting = make_meeting(coordinator, timezone.now() + timedelta(days=index + 1))
        AgendaItem.objects.create(meeting=meeting, case=case, position=0, reason=AgendaItem.Reason.NEW_URGENT)
    Share.objects.create(
        case=case,
        organisation=people.police.organisation,
        compartments=[Compartment.JUDICIAL],
        legal_basis="art_40",
        expires_on=timezone.localdate() + timedelta(days=30 + start),
        created_by=coordinator,
    )


@pytest.mark.parametrize("name", ["coordinator", "social_worker", "magistrate", "school_a_staff"])
@pytest.mark.parametrize("url_name", ["cases:detail", "cases:print"])
def test_the_case_page_and_its_summary_cost_the_same_queries_with_many_rows(
    client, login, people, case, name, url_name
):
    """Two people, actions, notes, follow-ups and meetings, or twenty-five of each: the same queries."""
    membership = getattr(people, name)
    case.co_workers.add(people.social_worker, people.magistrate)
    login(client, membership)
    url = reverse(url_name, args=[case.public_id])
    add_rows(case, people, 2)
    few, page = queries_of(client, url)
    assert "Élève1 Nom" in page
    add_rows(case, people, 23, start=2)
    many, page = queries_of(client, url)
    assert "Élève24 Nom" in page
    assert many == few
