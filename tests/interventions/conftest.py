"""Fixtures of the interventions tests: the `world` of cases from tests/cases (school A's case shared
with the police for its judicial part, school B's cases) and the people of its cases."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone

from halte.cases.models import Case, Involvement, Person
from tests.cases.conftest import World, world  # the shared world of cases (a fixture)

PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Cast:
    victim: Person
    author: Person
    second_author: Person
    witness: Person
    victim_guardian: Person
    author_guardian: Person
    reporter: Person


def involve(case: Case, role: str, first_name: str, last_name: str, kind: str = "pupil") -> Person:
    person = Person(kind=kind, first_name=first_name, last_name=last_name, class_name="5e B")
    person.save()
    Involvement.objects.create(case=case, person=person, role=role)
    return person


def cast_for(case: Case) -> Cast:
    return Cast(
        victim=involve(case, "victim", "Léa", f"Martin-{case.reference}"),
        author=involve(case, "alleged_author", "Hugo", f"Bernard-{case.reference}"),
        second_author=involve(case, "alleged_author", "Noah", f"Petit-{case.reference}"),
        witness=involve(case, "witness", "Inès", f"Durand-{case.reference}"),
        victim_guardian=involve(case, "guardian", "Claire", f"Martin-{case.reference}", kind="adult"),
        author_guardian=involve(case, "guardian", "Marc", f"Bernard-{case.reference}", kind="adult"),
        reporter=involve(case, "reporter", "Sophie", f"Leroy-{case.reference}", kind="adult"),
    )


@pytest.fixture
def cast(world) -> Cast:
    """The people of school A's case."""
    return cast_for(world.case_a)


def at(day: date, hour: int = 10) -> datetime:
    """An aware moment on a local (Europe/Paris) day."""
    return datetime.combine(day, time(hour), tzinfo=PARIS)


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


__all__ = ["World", "world"]


@pytest.fixture(autouse=True)
def _cases_opened_a_year_ago(request):
    """Interventions are dated within their case (``common.check_within_case``): the world's cases, opened
    « now » by the shared fixture, are opened a year ago here so that the past days these tests use fall
    inside them. Tests of that rule set ``opened_at`` themselves."""
    if "world" not in request.fixturenames:
        return
    world = request.getfixturevalue("world")
    opened = timezone.now() - timedelta(days=365)
    cases = [value for value in vars(world).values() if isinstance(value, Case)]
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(opened_at=opened)
    for case in cases:
        case.opened_at = opened
    Report = apps.get_model("reports", "Report")
    Report.objects.filter(case__in=[case.pk for case in cases]).update(received_at=opened)
