"""Coverage per school year: figures checked against hand-computed fixtures (the 31 August / 1 September
boundary included), levels against the targets, a constant number of queries, the coordinator-only
hotspots, who may open the page, and a map that needs no external asset nor inline style."""

import itertools
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.cases.models import Case
from halte.directory.models import School
from halte.prevention import coverage
from halte.prevention.coverage import Level, coverage_for, hotspots
from halte.prevention.enums import RequestStatus
from halte.prevention.models import AmbassadorCount, TrainingAttendee, TrainingSession, WorkshopRequest
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2025  # the school year 2025-2026: 1 September 2025 to 31 August 2026
_references = itertools.count(1)


def school(name, commune, lat=None, lon=None, **extra) -> School:
    coordinates = {}
    if lat is not None:
        coordinates = {"latitude": Decimal(str(lat)), "longitude": Decimal(str(lon))}
    return SchoolFactory(name=name, commune=commune, **coordinates, **extra)


def workshop(school, requester, *, status=RequestStatus.DELIVERED, delivered_on=None, pupils=None) -> WorkshopRequest:
    return WorkshopRequest.objects.create(
        school=school,
        requested_by=requester,
        theme="bullying",
        levels=["6e"],
        pupil_count=pupils or 20,
        status=status,
        delivered_on=delivered_on,
        pupils_reached=pupils,
    )


def session(starts_at, creator, title="Repérer les signaux faibles") -> TrainingSession:
    return TrainingSession.objects.create(
        topic="weak_signals",
        title=title,
        trainer="Claire Formatrice",
        starts_at=starts_at,
        duration_minutes=180,
        place="DSDEN, Amiens",
        created_by=creator,
    )


def attendee(session, school, full_name, attended=True) -> TrainingAttendee:
    return TrainingAttendee.objects.create(
        session=session, school=school, full_name=full_name, function="CPE", attended=attended
    )


def ambassadors(school, trained_on, count, recorder) -> AmbassadorCount:
    return AmbassadorCount.objects.create(
        school=school,
        school_year=coverage.school_year_of(trained_on),
        trained_on=trained_on,
        count=count,
        recorded_by=recorder,
    )


def case(school, opened_at) -> Case:
    return Case.objects.create(
        reference=f"HS-{opened_at.year}-8{next(_references):05d}",
        priority="P3",
        qualification="bullying",
        school=school,
        opened_at=opened_at,
    )


@pytest.fixture
def world(people):
    """Four schools and their prevention around the 2025 rentrée (hand-computed expectations below)."""
    staff, coordinator = people.school_a_staff, people.coordinator
    north = school("Collège du Nord", "Abbeville", 50.105, 1.835)
    south = school("Collège du Sud", "Amiens", 49.894, 2.302)
    east = school("Collège de l'Est", "Péronne", 49.930, 2.934)
    west = school("Collège de l'Ouest", "Ault")  # no coordinates

    # Workshops: 31 August belongs to the previous school year, 1 September to this one.
    workshop(north, staff, delivered_on=date(2025, 8, 31), pupils=30)
    workshop(north, staff, delivered_on=date(2025, 9, 1), pupils=28)
    workshop(north, staff, status=RequestStatus.CANCELLED, delivered_on=date(2025, 10, 1), pupils=99)
    workshop(north, staff, status=RequestStatus.CONFIRMED)
    workshop(south, staff, delivered_on=date(2026, 8, 31), pupils=25)
    workshop(south, staff, delivered_on=date(2026, 9, 1), pupils=40)  # next school year

    # Trainings: a session on 31 August (2024-2025) and one on 1 September (2025-2026).
    august = session(datetime(2025, 8, 31, 14, 0, tzinfo=PARIS), coordinator)
    september = session(datetime(2025, 9, 1, 9, 0, tzinfo=PARIS), coordinator)
    march = session(datetime(2026, 3, 10, 9, 0, tzinfo=PARIS), coordinator)
    attendee(august, south, "Jeanne Martin")
    attendee(september, north, "Marie Curie")
    attendee(september, north, "Paul Langevin")
    attendee(september, north, "Irène Absente", attended=False)
    attendee(september, south, "Louis Pasteur")
    attendee(march, north, "marie curie")  # the same person again: counted once

    # Ambassadors (counts, by school year of the training day).
    ambassadors(north, date(2025, 10, 10), 6, coordinator)
    ambassadors(north, date(2026, 3, 1), 5, coordinator)
    ambassadors(north, date(2025, 6, 1), 12, coordinator)  # 2024-2025
    ambassadors(east, date(2026, 1, 15), 3, coordinator)
    return {"north": north, "south": south, "east": east, "west": west}


def figures(year, world) -> dict[str, tuple]:
    schools = School.objects.filter(pk__in=[s.pk for s in world.values()])
    by_pk = {row.school.pk: row for row in coverage_for(year, schools)}
    return {
        name: (
            by_pk[s.pk].workshops,
            by_pk[s.pk].pupils_reached,
            by_pk[s.pk].staff_trained,
            by_pk[s.pk].ambassadors,
            by_pk[s.pk].level,
        )
        for name, s in world.items()
    }


# --- School years ----------------------------------------------------------------------------------


def test_school_year_turns_on_the_first_of_september():
    assert coverage.school_year_of(date(2026, 8, 31)) == 2025
    assert coverage.school_year_of(date(2026, 9, 1)) == 2026
    assert coverage.school_year_of(date(2026, 1, 1)) == 2025
    assert coverage.school_year_bounds(2025) == (date(2025, 9, 1), date(2026, 8, 31))


# --- Figures -------------------------------------------------------------------------------------


def test_coverage_figures_for_the_school_year(world):
    assert figures(YEAR, world) == {
        # workshops, pupils reached, staff trained, ambassadors, level
        "north": (1, 28, 2, 11, Level.GREEN),  # every target met; cancelled and 31/08 workshops left out
        "south": (1, 25, 1, 0, Level.AMBER),  # workshop target met, not the others
        "east": (0, 0, 0, 3, Level.RED),  # something, no target met
        "west": (0, 0, 0, 0, Level.NONE),
    }


def test_coverage_figures_for_the_previous_school_year(world):
    assert figures(YEAR - 1, world) == {
        "north": (1, 30, 0, 12, Level.AMBER),  # the 31 August workshop, last year's ambassadors
        "south": (0, 0, 1, 0, Level.RED),  # the 31 August session
        "east": (0, 0, 0, 0, Level.NONE),
        "west": (0, 0, 0, 0, Level.NONE),
    }


def test_targets_come_from_the_settings(world, settings):
    settings.HALTE_PREVENTION_TARGETS = {"staff_trained_per_school": 1, "ambassadors_per_school": 0}
    assert coverage.TARGETS["staff_trained_per_school"] == 1
    assert coverage.TARGETS["workshops_per_school"] == 1  # default kept
    assert figures(YEAR, world)["south"][-1] == Level.GREEN


def test_levels_against_the_default_targets():
    assert dict(coverage.TARGETS) == {
        "workshops_per_school": 1,
        "ambassadors_per_school": 10,
        "staff_trained_per_school": 2,
    }
    assert coverage.level_for(workshops=1, staff_trained=2, ambassadors=10) == Level.GREEN
    assert coverage.level_for(workshops=0, staff_trained=2, ambassadors=9) == Level.AMBER
    assert coverage.level_for(workshops=0, staff_trained=1, ambassadors=9) == Level.RED
    assert coverage.level_for(workshops=0, staff_trained=0, ambassadors=0) == Level.NONE


def _populate(count, people) -> list[School]:
    schools = []
    when = datetime(2025, 11, 3, 9, 0, tzinfo=PARIS)
    training = session(when, people.coordinator)
    for index in range(count):
        s = school(f"Collège {index}", "Amiens", 49.8 + index / 100, 2.2 + index / 100)
        workshop(s, people.school_a_staff, delivered_on=date(2025, 11, 3), pupils=20)
        attendee(training, s, f"Personne {index}")
        ambassadors(s, date(2025, 11, 3), 10, people.coordinator)
        schools.append(s)
    return schools


@pytest.mark.parametrize("count", [2, 20])
def test_coverage_costs_one_query_whatever_the_number_of_schools(people, django_assert_num_queries, count):
    schools = School.objects.filter(pk__in=[s.pk for s in _populate(count, people)])
    with django_assert_num_queries(1):
        rows = coverage_for(YEAR, schools)
    assert len(rows) == count
    assert {row.level for row in rows} == {Level.AMBER}  # one trained person each, target 2


# --- Hotspots ------------------------------------------------------------------------------------


def test_hotspots_are_schools_with_a_case_and_no_prevention(world, people):
    ham = school("Collège de Ham", "Ham", 49.75, 3.07)
    case(world["east"], datetime(2025, 10, 1, 10, 0, tzinfo=PARIS))  # ambassadors only: still a hotspot
    case(world["north"], datetime(2025, 10, 1, 10, 0, tzinfo=PARIS))  # a delivered workshop
    case(world["west"], datetime(2025, 8, 31, 10, 0, tzinfo=PARIS))  # opened the previous school year
    case(ham, datetime(2026, 2, 2, 10, 0, tzinfo=PARIS))
    attendee(session(datetime(2026, 1, 5, 9, 0, tzinfo=PARIS), people.coordinator), ham, "Agent de Ham")
    abbeville = school("Collège Amiral", "Abbeville", 50.1, 1.83)
    case(abbeville, datetime(2026, 5, 5, 10, 0, tzinfo=PARIS))

    # Sorted by commune, then name: no ranking.
    assert hotspots(YEAR) == [abbeville, world["east"]]
    assert hotspots(YEAR - 1) == [world["west"]]


# --- The page ------------------------------------------------------------------------------------


@pytest.fixture
def this_year(people):
    """A school with a case this school year and no prevention, and one covered school, both mapped."""
    year = coverage.current_school_year()
    first, _last = coverage.school_year_bounds(year)
    covered = school("Collège Couvert", "Amiens", 49.894, 2.302)
    uncovered = school("Collège Signalé", "Doullens", 50.157, 2.341)
    workshop(covered, people.school_a_staff, delivered_on=first, pupils=24)
    case(uncovered, timezone.now())
    case(covered, timezone.now())
    return {"year": year, "covered": covered, "uncovered": uncovered}


def page(client, login, membership, **params):
    login(client, membership)
    return client.get(reverse("prevention:coverage"), params)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("analyst", 200),
        ("education_referent", 200),
        ("school_a_staff", 403),
        ("police", 403),
        ("association_worker", 403),
    ],
)
def test_who_may_open_the_coverage_page(client, people, login, who, status):
    assert page(client, login, getattr(people, who)).status_code == status


def test_the_coordinator_sees_the_hotspots(client, people, login, this_year):
    response = page(client, login, people.coordinator)
    assert response.status_code == 200
    assert response.context["year"] == this_year["year"]
    assert response.context["hotspots"] == [this_year["uncovered"]]
    html = response.content.decode()
    section = html[html.index('id="titre-sans-prevention"') :]
    assert "Collège Signalé" in section
    assert "Collège Couvert" not in section
    assert not re.search(r"\btop\b", section, re.I)


def test_the_analyst_sees_counts_but_no_hotspots(client, people, login, this_year):
    response = page(client, login, people.analyst)
    assert response.status_code == 200
    assert response.context["hotspots"] == []
    html = response.content.decode()
    assert "titre-sans-prevention" not in html
    assert "Situations signalées cette année" not in html
    assert response.context["totals"].workshops == 1
    assert response.context["totals"].pupils_reached == 24


def test_the_map_is_self_contained_and_points_to_the_table(client, people, login, this_year):
    html = page(client, login, people.education_referent).content.decode()
    svg = re.search(r"<svg viewBox=.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert "tableau « Couverture par établissement »" in svg
    assert "style" not in svg
    assert "http" not in svg and "//" not in svg and "href" not in svg
    assert svg.count("<circle") == 2  # the people fixture's schools have no coordinates
    assert svg.count("<title>") == 2
    assert f'fill="{coverage.LEVEL_COLOURS[Level.AMBER]}"' in svg  # the covered school
    assert f'fill="{coverage.LEVEL_COLOURS[Level.NONE]}"' in svg
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html[html.index("<main") :] if "<main" in html else html)
    table = html[html.index('id="tableau-couverture"') :]
    assert "<caption>" in table and 'scope="col"' in table and 'scope="row"' in table


def test_the_page_filters_by_year_and_kind(client, people, login, this_year):
    response = page(client, login, people.coordinator, annee=this_year["year"] - 1, type="lycee")
    assert response.context["year"] == this_year["year"] - 1
    assert response.context["rows"] == []
    response = page(client, login, people.coordinator, annee="1900")
    assert response.context["year"] == this_year["year"]


def test_the_map_projection_keeps_points_inside_the_frame(people):
    schools = _populate(3, people)
    rows = coverage_for(YEAR, School.objects.filter(pk__in=[s.pk for s in schools]))
    school_map = coverage.map_of(rows)
    assert len(school_map.points) == 3
    for point in school_map.points:
        assert 0 <= point.x <= school_map.width
        assert 0 <= point.y <= school_map.height
    west, east = sorted(school_map.points, key=lambda p: p.row.school.longitude)[::2]
    assert west.x < east.x and west.y > east.y  # further east is right, further north is up


def test_a_single_school_is_placed_without_dividing_by_zero(people):
    rows = coverage_for(YEAR, School.objects.filter(pk__in=[s.pk for s in _populate(1, people)]))
    assert len(coverage.map_of(rows).points) == 1
