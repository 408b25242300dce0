"""The case page costs the same number of queries with one or many measures, interviews, series and
family contacts, families and guardians (the interventions panel loads each kind of row in one query)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.cases.models import Guardianship
from halte.interventions import families, interviews, measures, mpp
from halte.interventions.models import FamilyContact, Interview, Measure, MppSeries

from .conftest import at, days_ago, involve


def add_rows(case, people, count: int, start: int) -> None:
    today = timezone.localdate()
    victim = case.involvements.get(role="victim")
    for i in range(start, start + count):
        measures.record_measure(
            case=case,
            actor=people.coordinator,
            category="protective",
            kind="adult_referent",
            person=victim.person,
            starts_on=days_ago(10),
            review_on=days_ago(1) if i % 2 else None,
        )
        judicial = measures.record_measure(
            case=case, actor=people.magistrate, category="judicial", kind="awareness_course", starts_on=today
        )
        measures.review_measure(
            measure=judicial, actor=people.magistrate, effectiveness="partly", review_note="Suivi.", status="active"
        )
        interviews.record_interview(
            case=case,
            actor=people.coordinator,
            involvement=victim,
            held_at=at(days_ago(5)),
            conducted_by=people.coordinator,
            words="« Ça continue. »",
        )
        author = involve(case, "alleged_author", f"Auteur{i}", "Test")
        # Each author's family comes with its guardian: families and guardians are read in fixed queries.
        parent = involve(case, "guardian", f"Parent{i}", "Test", kind="adult")
        Guardianship.objects.create(child=author, guardian=parent, relationship="mother")
        series = mpp.start_series(case=case, actor=people.coordinator, author=author)
        mpp.record_author_meeting(
            series=series,
            actor=people.coordinator,
            held_at=at(days_ago(20)),
            conducted_by=people.coordinator,
            summary="Entretien sans reproche.",
        )
        mpp.record_victim_point(
            series=series,
            actor=people.coordinator,
            victim=victim.person,
            held_at=at(days_ago(4)),
            conducted_by=people.coordinator,
            victim_view="same",
        )
        families.record_family_contact(
            case=case,
            actor=people.coordinator,
            pupil=victim.person if i % 2 else author,
            at=at(days_ago(3)),
            channel="phone",
            made_by=people.coordinator,
            person=victim.person if i % 2 else author,  # someone of the family contacted
            summary="Appel.",
            informed_of_situation=True,
        )
    mpp.propose_switches()


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["coordinator", "magistrate", "school_a_staff"])
def test_case_page_queries_do_not_grow_with_the_rows(client, login, people, world, cast, name):
    case = world.case_a
    url = reverse("cases:detail", args=[case.public_id])
    login(client, getattr(people, name))
    add_rows(case, people, 1, start=0)
    client.get(url)  # warm up (session, first-request caches)
    one = count_queries(client, url)
    add_rows(case, people, 5, start=1)
    assert Measure.objects.filter(case=case).count() == 12
    assert Interview.objects.filter(case=case, series__isnull=True).count() == 6
    assert MppSeries.objects.filter(case=case, switch_proposed_at__isnull=False).count() == 6
    assert FamilyContact.objects.filter(case=case).count() == 6
    many = count_queries(client, url)
    assert many == one
