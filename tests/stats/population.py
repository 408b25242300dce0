"""Random small populations for the disclosure tests, and what every published figure says about them.

A population is a small school directory (two départements, a few communes, schools of random types and
sectors) and reports and cases spread over sixteen months: the end of the school year 2023-2024, the whole
of 2024-2025 and the start of 2025-2026 (``NOW`` is in November 2025, so two school years have ended).

:func:`read_table` turns a table exactly as Halte shows it (a ShownTable, what the page, the charts and
every export render) into linear facts about the unknown counts of :mod:`tests.stats.attacker`: each
number shown is the sum of the reports (or cases) its row and column select, for the filters it was
computed with.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date

from hypothesis import strategies as st

from halte.cases.enums import Priority, TriageOutcome
from halte.directory.models import SchoolKind, Sector
from halte.reports.enums import Channel, Form
from halte.stats import figures, periods
from halte.stats.filters import KIND_GROUP_LABELS, KIND_GROUP_OF, Filters, class_label, departement_label
from halte.stats.suppression import Breakdown
from halte.stats.tables import ShownTable

from .attacker import Knowledge
from .conftest import at

NOW = at(2025, 11, 15, 12)
MONTHS = [(2024, 7), (2024, 8), *((2024, m) for m in range(9, 13)), *((2025, m) for m in range(1, 11))]
SCHOOL_YEARS = (2023, 2024, 2025)  # 2023-2024 and 2024-2025 have ended at NOW
CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.PUBLIC_FORM)
FORMS = (Form.CYBER, Form.VERBAL, Form.PHYSICAL)
TRIAGES = ("", TriageOutcome.OPEN_CASE, TriageOutcome.NOT_BULLYING)
COMMUNES = {"080": ("Amiens", "Abbeville", "Albert", "Péronne"), "060": ("Beauvais", "Compiègne")}
REPORTS, CASES = "reports", "cases"


@dataclass(frozen=True)
class SchoolSpec:
    departement: str
    commune: str
    kind: str
    sector: str

    @property
    def kind_group(self) -> str:
        return KIND_GROUP_OF[self.kind]


@dataclass(frozen=True)
class Unit:
    """A report (answers: who reports, triage, forms) or a case (answers: priority), at a school (an index
    into the directory, None when unknown), received or opened on the 15th of ``month``."""

    measure: str
    school: int | None
    channel: str
    month: tuple[int, int]
    answers: tuple

    @property
    def signature(self) -> tuple:
        return (self.channel, self.month, self.answers)


@dataclass(frozen=True)
class Population:
    schools: tuple[SchoolSpec, ...]
    units: tuple[Unit, ...]

    def signatures(self, measure: str) -> list[tuple]:
        return _signatures(self, measure)

    def knowledge(self) -> Knowledge:
        """The attacker's unknowns: how many units of each signature each school (or no school) has."""
        knowledge = Knowledge()
        places: list[int | None] = [*range(len(self.schools)), None]
        for measure in (REPORTS, CASES):
            for signature in self.signatures(measure):
                for school in places:
                    knowledge.unknown((measure, school, signature), 0)
        for unit in self.units:
            knowledge.truth[(unit.measure, unit.school, unit.signature)] += 1
        return knowledge


@functools.cache
def _signatures(population: Population, measure: str) -> list[tuple]:
    found = {unit.signature for unit in population.units if unit.measure == measure}
    return sorted(found, key=lambda s: (str(s[0]), s[1], tuple(map(str, s[2][:2])), sorted(map(str, s[2][2:]))))


@st.composite
def populations(draw, max_reports: int = 14, max_cases: int = 5) -> Population:
    schools = []
    for departement, names in COMMUNES.items():
        smallest = 2 if departement == "080" else 1
        for commune in names[: draw(st.integers(smallest, len(names)))]:
            for _ in range(draw(st.integers(1, 3))):
                # Mostly public collèges, so that communes share a class and counts add up to 5 and more.
                kind = draw(st.sampled_from([*[SchoolKind.COLLEGE] * 4, *SchoolKind.values]))
                sector = draw(st.sampled_from([Sector.PUBLIC, Sector.PUBLIC, Sector.PRIVATE]))
                schools.append(SchoolSpec(departement, commune, kind, sector))
    school = st.one_of(st.integers(0, len(schools) - 1), st.none()) if schools else st.none()
    # Half of the units in a few months of 2024-2025, an ended school year with its table by commune.
    month = st.one_of(st.sampled_from(MONTHS), st.sampled_from(MONTHS[4:8]))
    units = []
    for _ in range(draw(st.integers(0, max_reports))):
        forms = frozenset(draw(st.sets(st.sampled_from(FORMS), max_size=2)))
        answers = (draw(st.sampled_from(list(figures.REPORTER_LABELS))), draw(st.sampled_from(TRIAGES)), forms)
        units.append(Unit(REPORTS, draw(school), draw(st.sampled_from(CHANNELS)), draw(month), answers))
    for _ in range(draw(st.integers(0, max_cases))):
        # A case comes with its first report (which gives the case its channel), from the same school.
        case = Unit(
            CASES, draw(school), draw(st.sampled_from(CHANNELS)), draw(month), (draw(st.sampled_from(Priority.values)),)
        )
        units.append(case)
        units.append(Unit(REPORTS, case.school, case.channel, case.month, ("parent", "", frozenset())))
    return Population(schools=tuple(schools), units=tuple(units))


def month_start(month: tuple[int, int]) -> date:
    return date(month[0], month[1], 1)


def in_period(month: tuple[int, int], period: periods.Period) -> bool:
    return period.first_day <= month_start(month) <= period.last_day


# --- What each shown number selects -------------------------------------------------------------------


def schools_of(population: Population, filters: Filters) -> list[int | None]:
    """The schools a filter selects (None: reports with no known school, only without a school filter)."""
    chosen: list[int | None] = []
    for index, school in enumerate(population.schools):
        if filters.departement and school.departement != filters.departement:
            continue
        if filters.school_kind and school.kind_group != filters.school_kind:
            continue
        if filters.sector and school.sector != filters.sector:
            continue
        chosen.append(index)
    if not filters.has_school_filter:
        chosen.append(None)
    return chosen


Selector = Callable[[tuple], bool]


def _terms(
    population: Population, measure: str, filters: Filters, schools: Iterable[int | None], keep: Selector
) -> dict[Hashable, float]:
    terms: dict[Hashable, float] = {}
    for signature in population.signatures(measure):
        channel, month, _answers = signature
        if filters.channel and channel != filters.channel:
            continue
        if not in_period(month, filters.period) or not keep(signature):
            continue
        for school in schools:
            terms[(measure, school, signature)] = 1
    return terms


def _every(_signature: tuple) -> bool:
    return True


def _row_selectors(key: str) -> tuple[str, list[Selector]]:
    """The measure a table counts, and for each of its body rows what the row selects."""
    if key == "signalements-formes":
        return REPORTS, [lambda s, form=form: form in s[2][2] for form in Form.values]
    if key == "signalements-declarants":
        return REPORTS, [lambda s, kind=kind: s[2][0] == kind for kind in figures.REPORTER_LABELS]
    if key == "decisions-tri":
        outcomes = [*TriageOutcome.values, ""]  # the last row: not triaged yet
        return REPORTS, [lambda s, outcome=outcome: s[2][1] == outcome for outcome in outcomes]
    if key == "dossiers-priorites":
        return CASES, [lambda s, priority=priority: s[2][0] == priority for priority in Priority.values]
    if key == "signalements-canaux":
        return REPORTS, [lambda s, channel=channel: s[0] == channel for channel in Channel.values]
    raise KeyError(key)


def _canaux_columns(population: Population, table: ShownTable, filters: Filters) -> list[list[int | None]]:
    """The schools each column of the channel table selects (the last column: all of them)."""
    chosen = schools_of(population, filters)
    groups = {str(label): group for group, label in KIND_GROUP_LABELS.items()}
    columns = []
    for label in table.columns[:-1]:
        if label in groups:
            columns.append([s for s in chosen if s is not None and population.schools[s].kind_group == groups[label]])
        elif label == "Établissement renseigné":
            columns.append([s for s in chosen if s is not None])
        elif label == "Établissement non renseigné":
            columns.append([s for s in chosen if s is None])
        else:
            raise AssertionError(f"unexpected column {label}")
    columns.append(chosen)
    return columns


def read_table(population: Population, knowledge: Knowledge, table: ShownTable, filters: Filters) -> None:
    """Every number of a département-level table, as a fact about the unknowns."""
    measure, selectors = _row_selectors(table.key)
    body = [row for row in table.rows if not row.is_total]
    assert len(body) == len(selectors), table.key
    if table.key == "signalements-canaux":
        columns = _canaux_columns(population, table, filters)
    else:
        columns = [schools_of(population, filters)]
    rows = [*selectors, _every] if len(table.rows) > len(body) else selectors
    for row, keep in zip(table.rows, rows, strict=True):
        for cell, schools in zip(row.cells, columns, strict=True):
            if cell.value is None:
                continue
            terms = _terms(population, measure, filters, schools, keep)
            knowledge.equal(terms, cell.value, f"{table.key} {row.label} {filters}")


def place_label(departement: str, commune: str, kind_group: str, sector: str, split: Breakdown) -> str:
    label = f"{commune} ({departement_label(departement)})"
    words = class_label(kind_group, sector, split)
    return f"{label} — {words}" if words else label


def read_communes(
    population: Population, knowledge: Knowledge, table: ShownTable, filters: Filters, split: Breakdown
) -> dict[tuple, set[str]]:
    """Every number of the table by commune, as a fact; returns, for each (département, class, measure),
    the communes shown (for the attacker who knows rule 2)."""
    chosen = [s for s in schools_of(population, filters) if s is not None]
    by_label: dict[str, tuple[str, str | None, tuple]] = {}
    for s in chosen:
        school = population.schools[s]
        class_key = split.class_of(school.kind_group, school.sector)
        label = place_label(school.departement, school.commune, school.kind_group, school.sector, split)
        by_label[label] = (school.departement, school.commune, class_key)
        others = place_label(school.departement, "Autres communes", school.kind_group, school.sector, split)
        by_label[others] = (school.departement, None, class_key)
    measures = (REPORTS, CASES)
    listed: dict[tuple, set[str]] = {}
    for row in table.rows:
        if row.is_total:
            for cell, measure in zip(row.cells, measures, strict=True):
                terms = _terms(population, measure, filters, schools_of(population, filters), _every)
                knowledge.equal(terms, cell.value, "communes: total")
            continue
        if row.label == "Établissement non renseigné":
            for cell, measure in zip(row.cells, measures, strict=True):
                knowledge.equal(_terms(population, measure, filters, [None], _every), cell.value, "unknown school")
            continue
        departement, commune, class_key = by_label[row.label]
        same_class = [
            s
            for s in chosen
            if population.schools[s].departement == departement
            and split.class_of(population.schools[s].kind_group, population.schools[s].sector) == class_key
        ]
        for cell, measure in zip(row.cells, measures, strict=True):
            group = listed.setdefault((departement, class_key, measure), set())
            if commune is None:  # « Autres communes »: the class's schools in communes not shown
                continue
            if cell.value is None:
                continue
            group.add(commune)
            schools = [s for s in same_class if population.schools[s].commune == commune]
            knowledge.equal(_terms(population, measure, filters, schools, _every), cell.value, row.label)
    for row in table.rows:
        if row.label in by_label and by_label[row.label][1] is None:
            departement, _none, class_key = by_label[row.label]
            for cell, measure in zip(row.cells, measures, strict=True):
                shown = listed.get((departement, class_key, measure), set())
                schools = [
                    s
                    for s in chosen
                    if population.schools[s].departement == departement
                    and split.class_of(population.schools[s].kind_group, population.schools[s].sector) == class_key
                    and population.schools[s].commune not in shown
                ]
                knowledge.equal(_terms(population, measure, filters, schools, _every), cell.value, row.label)
    return listed
