"""The synthetic population is what the application itself would have written."""

from collections import Counter as Tally

import pytest
from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import timezone

from halte.access import policy
from halte.access.timeline import EVENT_COMPARTMENTS
from halte.audit.models import AuditEvent
from halte.bench import loader
from halte.bench.urls import floor
from halte.cases import clocks
from halte.cases.enums import OPEN_STATES, State
from halte.cases.models import Case, Event, Involvement, Person
from halte.cases.people import name_key
from halte.core.references import next_reference
from halte.directory.models import School, fold
from halte.reports.models import Report

CASES = 300


def test_the_population_is_what_the_application_would_have_written(db):
    """One load (a few seconds), every property checked on it."""
    cast, stats = loader.load(CASES)

    # The announced shape.
    cases = Case.objects.exclude(pk=cast.timeline_case.pk)
    assert cases.count() == CASES
    states = Tally(cases.values_list("state", flat=True))
    assert 0.6 < states[State.CLOSED] / CASES < 0.8
    assert set(states) - {State.CLOSED} <= set(OPEN_STATES)
    assert set(cases.values_list("priority", flat=True)) == {"P1", "P2", "P3", "P4"}
    assert len({opened.year for opened in cases.values_list("opened_at", flat=True)}) >= 3
    assert Report.objects.filter(case__isnull=True).exists()  # a queue to look at
    assert School.objects.filter(uai__startswith="08").count() >= 50  # the Somme directory
    assert School.objects.filter(uai__startswith="9").count() >= 1000  # and thousands of synthetic ones
    assert stats.total >= CASES * 10
    assert cast.timeline_case.events.count() == loader.TIMELINE_EVENTS

    # Authors come back across cases.
    repeated = Tally(Involvement.objects.filter(role="alleged_author").values_list("person_id", flat=True))
    assert sum(1 for count in repeated.values() if count > 1) > 10

    # Derived columns filled as save() fills them.
    for person in Person.objects.all()[:500]:
        assert person.name_key == name_key(person.first_name, person.last_name)
    for school in School.objects.all():
        assert school.search_text == fold(f"{school.name} {school.commune} {school.postcode} {school.uai}")

    # Journal rows carry their digest.
    rows = AuditEvent.objects.filter(action="cases.opened")
    assert rows.count() == CASES
    for row in rows[:200]:
        assert row.digest and row.digest == row.compute_digest()

    # Timeline lines only of kinds with a compartment decision.
    assert set(Event.objects.values_list("kind", flat=True)) <= set(EVENT_COMPARTMENTS)

    # The steady state of a cell whose periodic pass runs: few open cases behind a clock, so the first
    # tick after a load does work in proportion to them, not to the whole population.
    now = timezone.now()
    open_cases = Case.objects.filter(state__in=OPEN_STATES).exclude(pk=cast.timeline_case.pk)
    behind = [case for case in open_cases if any(clock.is_overdue(now) for clock in clocks.clocks_for(case, now))]
    assert open_cases.count() > 50
    assert len(behind) <= max(3, open_cases.count() // 10), [case.reference for case in behind]

    # Intake after a load never collides with a synthetic reference (the counters moved past them).
    with transaction.atomic():
        report_reference = next_reference("report", "SIG")
        case_reference = next_reference("case", "HS")
    assert not Report.objects.filter(reference=report_reference).exists()
    assert not Case.objects.filter(reference=case_reference).exists()


def test_the_floor_view_is_not_served_by_the_application():
    with pytest.raises(Resolver404):
        resolve("/banc-d-essai/plancher/")


def test_the_floor_view_answers_no_get(client, settings):
    settings.ROOT_URLCONF = "halte.bench.urls"
    assert client.get("/banc-d-essai/plancher/").status_code == 405
    assert policy.rule_for(floor, []).level == policy.Level.PUBLIC
