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


def test_the_case_page_costs_the_same_queries_whatever_its_history(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:detail", args=[case.public_id])
    add_history(case, 3, actor=people.coordinator)
    few, _ = queries_of(client, url)
    add_history(case, 300, actor=people.coordinator, start=3)
    many, page = queries_of(client, url)
    assert many == few
    shown = [line for line in range(303) if f"Ligne {line:04d}" in page]
    assert shown == list(range(303 - TIMELINE_PAGE, 303))  # the latest lines, in the order they happened
    assert "?historique=2" in page


def test_older_lines_come_page_by_page(client, login, people, case):
    login(client, people.coordinator)
    add_history(case, TIMELINE_PAGE + 10, actor=people.coordinator)
    url = reverse("cases:detail", args=[case.public_id])
    page = client.get(url + "?historique=2").content.decode()
    shown = [line for line in range(TIMELINE_PAGE + 10) if f"Ligne {line:04d}" in page]
    assert shown == list(range(10))
    assert "?historique=1" in page and "?historique=3" not in page


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
