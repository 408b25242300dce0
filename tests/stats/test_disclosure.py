"""No count from 1 to 4 about a commune or a school can be worked out from the statistics Halte shows.

For random small populations written to the database, every table a user can display or export is
computed by the real code for every filter the form allows (territory, type of school, sector, channel)
and for overlapping periods: each of sixteen months, and the three school years they touch (the year
and its months; two school years that have ended, with their tables by commune, and one in progress).
Every number shown becomes a linear fact about the population (:mod:`tests.stats.population`). Figures
read at an earlier date are those of a shorter period (the population was then the part of it received
before): the months cover them.

Then an attacker (:mod:`tests.stats.attacker`) tries every count below the département level: for each
commune and each school, each measure (reports, cases), each type of school and sector in it, each
channel, each month, school year or the whole stretch, and each row of each table. Whenever such a count
is from 1 to 4, integer linear programming must find two populations that agree with every figure shown
but not on that count. The attacker also knows how the table by commune masks (rule 2 of
:mod:`halte.stats.suppression`), so the two populations give the very same table.

Tables of case events (closures, follow-ups, documents, actions), of people and of prevention are not
read: like those read here they count by département and class of school, over other things, and the
table by commune does not count them, so they cannot tell communes apart either.

The département level itself is shown exactly: the facts must match the population (the attacker checks
that the true population satisfies each one), and a count of the département stays derivable — the
proof that the attacker is not blind.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from halte.cases.models import Triage
from halte.directory.models import School, SchoolKind
from halte.reports.models import Report
from halte.stats import figures, periods
from halte.stats.filters import KIND_GROUPS, Directory, Filters
from halte.stats.suppression import shown
from tests.factories import MembershipFactory

from .attacker import Knowledge, rule_2
from .conftest import at, case
from .population import (
    CASES,
    MONTHS,
    NOW,
    REPORTS,
    SCHOOL_YEARS,
    Population,
    SchoolSpec,
    Unit,
    _terms,
    populations,
    read_communes,
    read_table,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

REPORT_GROUPS = (figures.intake_by_channel, figures.intake_details)
CASE_GROUPS = (figures.priorities_and_clocks,)
MODELLED = {
    "signalements-canaux",
    "signalements-formes",
    "signalements-declarants",
    "decisions-tri",
    "dossiers-priorites",
}


def write(population: Population) -> list[School]:
    schools = [
        School.objects.create(
            uai=f"{int(spec.departement) * 10_000 + index:07d}X",
            name=f"Établissement {index}",
            kind=spec.kind,
            sector=spec.sector,
            commune=spec.commune,
            departement=spec.departement,
        )
        for index, spec in enumerate(population.schools)
    ]
    decided_by = MembershipFactory()
    pending_case_reports = []
    for number, unit in enumerate(population.units):
        school = schools[unit.school] if unit.school is not None else None
        when = at(unit.month[0], unit.month[1], 15)
        if unit.measure == CASES:
            pending_case_reports.append(case(opened_at=when, priority=unit.answers[0], school=school))
            continue
        reporter, triage, forms = unit.answers
        attached = None
        if reporter == "parent" and not triage and not forms and pending_case_reports:
            attached = pending_case_reports.pop()  # the case's first report (see populations())
        report = Report.objects.create(
            reference=f"SIG-D-{number:06d}",
            channel=unit.channel,
            received_at=when,
            reporter_kind=reporter,
            description="Récit.",
            school=school,
            forms=sorted(forms),
            case=attached,
        )
        if triage:
            Triage.objects.create(report=report, outcome=triage, qualification="bullying", decided_by=decided_by)
    assert not pending_case_reports
    return schools


def _read_departement_level(population, knowledge, filters, directory, groups) -> None:
    ctx = figures.Context(filters=filters, now=NOW, known_directory=directory)
    for group in groups:
        for table in group(ctx):
            if table.key in MODELLED:
                read_table(population, knowledge, shown(table), filters)


def collect(population: Population, knowledge: Knowledge, coarse: list[dict]) -> tuple[dict, Directory]:
    """Compute, with the real code, the tables a user can reach, and read each into facts.

    Département level: every finest selection — one département, one type of school and one sector (as far
    as the form offers them), one channel, one month — whose sum makes every coarser one; the whole
    territory by channel and month (reports with no known school); and ``coarse`` selections drawn at
    random, which must agree. Months and channels without any report or case show only zeros over no
    unknown: they are left out. Below: the table by commune for every territory, type and sector, for
    every school year (and for months, with a channel: where it must be refused)."""
    directory = Directory.load()
    split = directory.breakdown
    used = {
        measure: sorted({(unit.channel, unit.month) for unit in population.units if unit.measure == measure})
        for measure in (REPORTS, CASES)
    }
    classes = sorted({(s.departement, s.kind_group, s.sector) for s in population.schools})
    finest = sorted(
        {
            (departement, kind if split.by_kind else "", sector if split.by_sector else "")
            for departement, kind, sector in classes
        }
    )
    for measure, groups in ((REPORTS, REPORT_GROUPS), (CASES, CASE_GROUPS)):
        for (departement, kind, sector), (channel, month) in itertools.product([*finest, ("", "", "")], used[measure]):
            period = periods.months(month, month)
            filters = Filters(period=period, departement=departement, school_kind=kind, sector=sector, channel=channel)
            _read_departement_level(population, knowledge, filters, directory, groups)
    for choice in coarse:
        _read_departement_level(population, knowledge, Filters(**choice), directory, (*REPORT_GROUPS, *CASE_GROUPS))
    listed: dict[tuple, set[str]] = {}
    territories = ["", *sorted({s.departement for s in population.schools})]
    kinds = ["", *(sorted(KIND_GROUPS) if split.by_kind else [])]
    sectors = ["", *(["public", "private"] if split.by_sector else [])]
    for territory, kind, sector in itertools.product(territories, kinds, sectors):
        for period, channel in [
            *((periods.school_year(y), "") for y in SCHOOL_YEARS),
            (periods.school_year(2024), "email"),
            (periods.months(MONTHS[3], MONTHS[3]), ""),
        ]:
            filters = Filters(period=period, departement=territory, school_kind=kind, sector=sector, channel=channel)
            ctx = figures.Context(filters=filters, now=NOW, known_directory=directory)
            [communes] = [shown(table) for table in figures.by_commune(ctx)]
            if channel or period.school_year in (None, 2025):
                assert communes.unavailable and not communes.rows  # rule 3: refused
                continue
            found = read_communes(population, knowledge, communes, filters, split)
            for (departement, class_key, measure), communes_shown in found.items():
                known = listed.setdefault((departement, class_key, measure, period.school_year), communes_shown)
                assert known == communes_shown  # the same communes whatever the filters
    return listed, directory


def know_rule_2(population: Population, knowledge: Knowledge, listed: dict, directory: Directory) -> None:
    split = directory.breakdown
    for (departement, class_key, measure, year), shown_communes in listed.items():
        schools: dict[str, list[int]] = {}
        for index, school in enumerate(population.schools):
            if school.departement == departement and split.class_of(school.kind_group, school.sector) == class_key:
                schools.setdefault(school.commune, []).append(index)
        order = sorted(schools, key=lambda commune: (commune.casefold(), commune))
        filters = Filters(period=periods.school_year(year))
        counts = {commune: _terms(population, measure, filters, schools[commune], lambda _s: True) for commune in order}
        rule_2(knowledge, (departement, class_key, measure, year), counts, order, shown_communes)


def targets(population: Population):
    """Every count below the département level: (what it is, its terms)."""
    communes_by_departement: dict[str, set[str]] = {}
    for school in population.schools:
        communes_by_departement.setdefault(school.departement, set()).add(school.commune)
    units: list[tuple[str, list[int]]] = []
    for communes in communes_by_departement.values():
        if len(communes) < 2:
            continue  # that commune is the département
        for commune in communes:
            in_commune = [i for i, s in enumerate(population.schools) if s.commune == commune]
            units.append((f"{commune}", in_commune))
            for i in in_commune:
                units.append((f"{commune}, établissement {i}", [i]))
            for key in ("kind_group", "sector"):
                for value in {getattr(population.schools[i], key) for i in in_commune}:
                    chosen = [i for i in in_commune if getattr(population.schools[i], key) == value]
                    units.append((f"{commune}, {value}", chosen))
    spans = [[m] for m in MONTHS]
    spans += [
        [
            m
            for m in MONTHS
            if periods.school_year(y).first_day <= periods.months(m, m).first_day <= periods.school_year(y).last_day
        ]
        for y in SCHOOL_YEARS
    ]
    spans.append(list(MONTHS))
    answers = {
        REPORTS: [
            lambda _a: True,
            *(lambda a, k=k: a[0] == k for k in figures.REPORTER_LABELS),
            *(lambda a, t=t: a[1] == t for t in ("", "open_case", "not_bullying")),
            *(lambda a, f=f: f in a[2] for f in ("cyber", "verbal", "physical")),
        ],
        CASES: [lambda _a: True, *(lambda a, p=p: a[0] == p for p in ("P1", "P2", "P3", "P4"))],
    }
    for (name, schools), measure in itertools.product(units, (REPORTS, CASES)):
        for span, channel, keep in itertools.product(spans, ["", "phone", "email", "public_form"], answers[measure]):
            terms: dict[Hashable, float] = {}
            for signature in population.signatures(measure):
                if signature[1] in span and channel in ("", signature[0]) and keep(signature[2]):
                    for school in schools:
                        terms[(measure, school, signature)] = 1
            if terms:
                yield f"{measure} de {name}", terms


def assert_nothing_small_derivable(population: Population, knowledge: Knowledge) -> int:
    checked = 0
    seen: set[frozenset] = set()
    for name, terms in targets(population):
        key = frozenset(terms)
        if key in seen:
            continue
        seen.add(key)
        true = sum(knowledge.truth[k] for k in terms)
        if not 1 <= true <= 4:
            continue
        checked += 1
        assert not knowledge.pinned(terms), f"{name} = {true} can be worked out from the figures ({population})"
    return checked


def assert_the_departement_level_is_known(population: Population, knowledge: Knowledge) -> None:
    """The attacker is not blind: every département's count of reports of each month is exact."""
    for departement in {school.departement for school in population.schools}:
        schools = [i for i, school in enumerate(population.schools) if school.departement == departement]
        for month in MONTHS:
            filters = Filters(period=periods.months(month, month))
            terms = _terms(population, REPORTS, filters, schools, lambda _s: True)
            if terms:
                assert knowledge.pinned(terms), (departement, month)


@contextmanager
def populated(population: Population):
    """Write the population in a savepoint rolled back afterwards: examples do not see each other."""
    with transaction.atomic():
        write(population)
        yield
        transaction.set_rollback(True)


coarse_choices = st.lists(
    st.fixed_dictionaries(
        {
            "period": st.sampled_from(
                [*(periods.school_year(y) for y in SCHOOL_YEARS), periods.months(MONTHS[1], MONTHS[5])]
            ),
            "departement": st.sampled_from(["", "080", "060"]),
            "channel": st.sampled_from(["", "phone"]),
        }
    ),
    max_size=3,
)


def _two_communes() -> Population:
    """The attack of the audit: a département of two communes, one busy and one with a few reports. Its
    total minus the busy commune's figure would give the other commune's (rule 2b)."""
    college = SchoolKind.COLLEGE
    schools = (
        SchoolSpec("080", "Amiens", college, "public"),
        SchoolSpec("080", "Amiens", college, "public"),
        SchoolSpec("080", "Abbeville", college, "public"),
        SchoolSpec("060", "Beauvais", college, "public"),
        SchoolSpec("060", "Compiègne", college, "public"),
    )
    units = [
        *(Unit(REPORTS, i % 2, "phone", MONTHS[4 + i % 3], ("parent", "", frozenset())) for i in range(6)),
        Unit(REPORTS, 2, "email", MONTHS[5], ("victim", "not_bullying", frozenset({"cyber"}))),
        Unit(REPORTS, 2, "phone", MONTHS[6], ("parent", "open_case", frozenset())),
        Unit(REPORTS, 3, "phone", MONTHS[5], ("witness", "", frozenset())),
    ]
    return Population(schools=schools, units=tuple(units))


def _a_year_and_its_months() -> Population:
    """Amiens has 9 reports in 2024-2025, 7 of them in November and December: a table by commune for those
    two months, set against the year's, would give the 2 of the rest of the year (rule 3)."""
    schools = (
        SchoolSpec("080", "Amiens", SchoolKind.COLLEGE, "public"),
        SchoolSpec("080", "Abbeville", SchoolKind.COLLEGE, "public"),
        SchoolSpec("080", "Albert", SchoolKind.COLLEGE, "public"),
        SchoolSpec("080", "Albert", SchoolKind.COLLEGE, "public"),
        SchoolSpec("060", "Beauvais", SchoolKind.COLLEGE, "public"),
    )
    answers = ("parent", "", frozenset())
    units = [
        *(Unit(REPORTS, 0, "phone", MONTHS[4 + i % 2], answers) for i in range(7)),
        *(Unit(REPORTS, 0, "phone", MONTHS[9], answers) for i in range(2)),
        *(Unit(REPORTS, 1, "email", MONTHS[4 + i % 2], answers) for i in range(6)),
        Unit(REPORTS, 2, "phone", MONTHS[4], answers),
    ]
    return Population(schools=schools, units=tuple(units))


def _an_erea_alone() -> Population:
    """The only EREA of the Somme, in Amiens: a figure of the Somme for « EREA and others » would be its
    own (rule 1)."""
    schools = (
        SchoolSpec("080", "Amiens", SchoolKind.COLLEGE, "public"),
        SchoolSpec("080", "Amiens", SchoolKind.EREA, "public"),
        SchoolSpec("080", "Abbeville", SchoolKind.COLLEGE, "public"),
        SchoolSpec("060", "Beauvais", SchoolKind.COLLEGE, "public"),
    )
    units = [
        Unit(REPORTS, 1, "phone", MONTHS[14], ("victim", "", frozenset({"physical"}))),
        Unit(REPORTS, 1, "phone", MONTHS[15], ("parent", "", frozenset())),
        Unit(REPORTS, 0, "email", MONTHS[14], ("parent", "", frozenset())),
        Unit(REPORTS, 2, "phone", MONTHS[15], ("witness", "", frozenset())),
    ]
    return Population(schools=schools, units=tuple(units))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@example(population=_two_communes(), coarse=[])
@example(population=_a_year_and_its_months(), coarse=[])
@example(population=_an_erea_alone(), coarse=[])
@given(population=populations(), coarse=coarse_choices)
def test_no_small_count_below_the_departement_can_be_worked_out(db, population, coarse):
    with populated(population):
        knowledge = population.knowledge()
        listed, directory = collect(population, knowledge, coarse)
        know_rule_2(population, knowledge, listed, directory)
        assert_the_departement_level_is_known(population, knowledge)
        assert_nothing_small_derivable(population, knowledge)
