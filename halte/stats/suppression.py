"""Statistical disclosure control: the one code path between computed figures and anything anyone reads.

The dashboard, its charts, the CSV/XLSX/ODS exports, the yearly report PDF and the public page all
render :class:`~halte.stats.tables.ShownTable` objects made here — :func:`shown` for the tables of the
département level, :func:`shown_communes` for the table by commune — so the rules below cannot differ
from one output to another. The plain-French version of this method is on the dashboard
(``stats/_method.html``); ``docs/architecture.md`` summarises it.

What must not happen
--------------------
No count from 1 to 4 about a commune or a school — with any filter, for any period, in any table —
may be worked out from what Halte shows, by subtraction or by any other reasoning. Counts of the whole
territory of the cell or of a département are shown exactly, small ones included (product brief): the
steering committee needs them, and they point at nobody.

Protecting each table on its own cannot do that: a commune's tables, set against the same tables of its
département, give back the other communes' figures by subtraction, and a commune's figures for a year
and for some of its months give back the rest of the year. So the method restricts *what* exists below
the département level, and makes each thing that exists safe against everything else.

The rules
---------
1. **Classes of schools** (:func:`breakdown`). Figures of the département level may be split by type of
   school (école, collège, lycée, EREA and others together) and by sector (public, private) only if, in
   every département, each group the split separates has open schools in at least two communes. A
   group whose schools all stand in one commune would turn a département figure into that commune's
   figure (an EREA is often alone in its département). The decision reads the school directory only,
   never a figure, so it tells nothing about them; and it holds for every département at once, since
   the whole territory is the sum of its départements. A département whose schools all stand in one
   commune is left out of the decision: that commune is the département. The *class* of a school is
   its type group and its sector, as far as those splits are given.

2. **The table by commune** (:func:`pooled`, :func:`shown_communes`) is the only figure below the
   département level. For one département, one class, one measure (reports received, cases opened)
   and one school year:

   a. every commune of the class (one of its open schools stands there, or the commune has figures)
      with a count from 0 to 4 is masked;
   b. if a commune is masked by (a), the first commune in alphabetical order with a count of 5 or more
      is masked too;
   c. every other commune is shown with its exact count.

   Masked counts all read « masqué » (a commune masked in both measures is not listed) and their sum is
   given as « Autres communes ». A reader cannot tell a small count from the one masked to protect it.
   Rule 2b never looks at the masked counts' values beyond "0 to 4" or "5 or more" (choosing, say, the
   smallest busy commune would tell that the listed ones are larger, and bound the others). Its order
   is the communes' names, which no change of the directory reorders: a school opening or closing only
   adds or removes a commune without figures that year, so a table read again later can at most tell
   that such a commune had none.

3. **Periods.** The table by commune exists only for a whole school year, from the 1st of October after
   it ended (reports entered late are in by then), and without a channel filter (which would give a
   second table of the same communes to subtract from the first). School years never overlap and an
   ended year no longer grows, so no two tables by commune can be subtracted from each other. Every
   other view below the département — a commune's whole dashboard — is not offered: its tables cannot
   be made safe against those of the département.

4. **Delays, rates and means on too few cases** show « — » at every level: a median, a share or a
   mean over fewer than 5 situations says more about a child than about the cell.

Why nothing can be worked out
-----------------------------
Take any count τ about a commune (or a school) *a* of a département *d*, from 1 to 4. There is another
population — the same reports and cases, each with the same date, channel, answers, triage, priority,
events, type and sector of school, except one or two of them moved to a school of the same class in
another commune of *d* — for which Halte shows exactly the same thing everywhere, while τ differs. So
nothing Halte shows determines τ: no linear combination of figures, and no other reasoning either.

- A figure of the département level does not see a move between two schools of one class in one
  département: it counts by département, by class (rule 1) and by the report's or case's own answers.
- Let *u* be a report or case counted by τ (for a count of case events, a case with such events). If
  it was received or opened in a school year whose table by commune is not given, no other figure sees
  it (rule 3): move it to any other commune of its class (rule 1 says there is one).
- Otherwise look at the table by commune of its year, class and measure.
  * If *a* is masked with 0 to 4, move *u* to the commune masked by rule 2b: *a* keeps 0 to 4, that one
    keeps 5 or more, the same communes are masked and « Autres communes » keeps its sum. If no commune
    of the class reaches 5, every commune is masked; move *u* to any other commune of the class: at
    most that one reaches 5 and, masked by rule 2b, nothing shown changes.
  * Otherwise *a* counts 5 or more while τ is 4 at most, so among *a*'s reports (or cases) τ counts some
    and not others (or, for events, not as many in each). If another commune *z* of the class has some
    too — there is one whenever *a* is shown: the commune masked by 2b, or another shown one — exchange
    one of *a*'s with one of *z*'s that τ does not count alike: no commune's count changes at all. If
    *a* alone has some, every other commune counts 0 and *a* is masked by 2b: move *u* to another
    commune of the class, which then counts 1; *a* keeps 5 or more, or drops to 4 and no commune
    reaches 5 any more — either way every commune is still masked.

``tests/stats/test_disclosure.py`` checks this the way an attacker would, with linear programming over
every figure of random small populations, across tables, filters and periods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.utils.translation import gettext as _

from . import formats
from .tables import (
    COUNT,
    HOURS,
    MASKED,
    NOT_APPLICABLE,
    NUMBER,
    PERCENT,
    SHOWN,
    TOO_FEW,
    Count,
    Delay,
    Mean,
    Rate,
    ShownCell,
    ShownRow,
    ShownTable,
    Table,
)

THRESHOLD = 5  # counts from 0 to THRESHOLD - 1 of a commune are masked (rule 2a)
MIN_COMMUNES = 2  # a group of schools split at the département level stands in this many communes at least (rule 1)


# --- Rule 1: classes of schools -------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where some open schools of one type group and sector stand: a commune of a département."""

    departement: str
    commune: str
    kind_group: str
    sector: str
    schools: int


@dataclass(frozen=True)
class Breakdown:
    """Which splits of the département level the directory allows (rule 1)."""

    by_kind: bool
    by_sector: bool

    def class_of(self, kind_group: str, sector: str) -> tuple[str, ...]:
        """The class of a school: what of it the figures of the département level can tell apart."""
        return (kind_group,) * self.by_kind + (sector,) * self.by_sector


def _all_span_communes(places: Iterable[Place], key) -> bool:
    communes: dict[tuple, set[str]] = defaultdict(set)
    departement_communes: dict[str, set[str]] = defaultdict(set)
    for place in places:
        communes[(place.departement, key(place))].add(place.commune)
        departement_communes[place.departement].add(place.commune)
    return all(
        len(found) >= MIN_COMMUNES
        for (departement, _group), found in communes.items()
        if len(departement_communes[departement]) >= MIN_COMMUNES  # else the commune is the département
    )


def breakdown(places: Iterable[Place]) -> Breakdown:
    """Rule 1, from the directory's open schools only."""
    places = [place for place in places if place.schools > 0]
    by_kind = _all_span_communes(places, lambda place: place.kind_group)
    by_sector = _all_span_communes(places, lambda place: (place.kind_group * by_kind, place.sector))
    return Breakdown(by_kind=by_kind, by_sector=by_sector)


# --- Rule 2: the communes of one département, class and measure -----------------------------------

K = TypeVar("K", bound=Hashable)


def pooled(values: Mapping[K, int], order: Sequence[K]) -> set[K]:
    """Rule 2: the communes masked among ``order`` (every commune of one département and class, in
    alphabetical order for rule 2b), given their counts (0 when absent)."""
    masked = {key for key in order if values.get(key, 0) < THRESHOLD}
    if masked:
        protector = next((key for key in order if key not in masked), None)
        if protector is not None:
            masked.add(protector)
    return masked


@dataclass(frozen=True)
class CommuneCounts:
    """The raw counts of one commune and class: one per measure (reports received, cases opened)."""

    departement: str
    departement_label: str
    commune: str
    class_key: tuple[str, ...]
    class_label: str  # "" when the figures have no class (rule 1 gives no split)
    counts: tuple[int, ...]


@dataclass
class CommuneTable:
    """The table by commune before rule 2 (see :func:`halte.stats.figures.by_commune`)."""

    key: str
    title: str
    row_header: str
    columns: list[str]  # one per measure
    places: list[CommuneCounts] = field(default_factory=list)
    unknown: tuple[int, ...] | None = None  # counts with no known school (not a commune: shown as they are)
    notes: list[str] = field(default_factory=list)
    unavailable: str = ""  # why the table is not given for this selection (rule 3)


def alphabetical(place: CommuneCounts) -> tuple[str, str]:
    """Rule 2b's order: by name, whatever the directory says of the commune."""
    return (place.commune.casefold(), place.commune)


def _place_label(place: CommuneCounts, commune: str) -> str:
    label = _("%(commune)s (%(departement)s)") % {"commune": commune, "departement": place.departement_label}
    return f"{label} — {place.class_label}" if place.class_label else label


def shown_communes(table: CommuneTable) -> ShownTable:
    """Rule 2 applied to every département, class and measure of the table by commune."""
    if table.unavailable:
        return ShownTable(
            key=table.key,
            title=table.title,
            row_header=table.row_header,
            columns=list(table.columns),
            rows=[],
            notes=list(table.notes),
            fine=True,
            chart_column=None,
            unavailable=table.unavailable,
        )
    n = len(table.columns)
    groups: dict[tuple[str, tuple[str, ...]], list[CommuneCounts]] = defaultdict(list)
    for place in table.places:
        groups[(place.departement, place.class_key)].append(place)
    listed: list[tuple[tuple, ShownRow]] = []
    others: list[tuple[tuple, ShownRow]] = []
    for (departement, class_key), places in groups.items():
        order = sorted(places, key=alphabetical)
        masked = [pooled({p: p.counts[j] for p in places}, order) for j in range(n)]
        for place in places:
            if all(place in masked[j] for j in range(n)):
                continue  # not listed: its counts are in « Autres communes »
            cells = [_masked_cell() if place in masked[j] else _count_cell(place.counts[j]) for j in range(n)]
            row = ShownRow(label=_place_label(place, place.commune), cells=cells)
            listed.append(((place.commune.casefold(), departement, class_key), row))
        if any(masked):
            cells = [_count_cell(sum(p.counts[j] for p in masked[j])) for j in range(n)]
            row = ShownRow(label=_place_label(places[0], _("Autres communes")), cells=cells)
            others.append(((departement, class_key), row))
    rows = [row for _key, row in sorted(listed, key=lambda item: item[0])]
    rows += [row for _key, row in sorted(others, key=lambda item: item[0])]
    if table.unknown is not None and any(table.unknown):
        rows.append(ShownRow(label=_("Établissement non renseigné"), cells=[_count_cell(v) for v in table.unknown]))
    unknown = table.unknown or (0,) * n
    totals = [sum(p.counts[j] for p in table.places) + unknown[j] for j in range(n)]
    rows.append(ShownRow(label=_("Total"), cells=[_count_cell(v) for v in totals], is_total=True))
    notes = [*table.notes, *notes_for({cell.status for row in rows for cell in row.cells})]
    if others:
        notes.append(
            _(
                "« Autres communes » : la somme des communes masquées du département (chacune compte moins de "
                "5 signalements ou dossiers, ou est masquée pour qu’on ne puisse pas retrouver un petit effectif)."
            )
        )
    return ShownTable(
        key=table.key,
        title=table.title,
        row_header=table.row_header,
        columns=list(table.columns),
        rows=rows,
        notes=notes,
        fine=True,
        chart_column=None,
    )


# --- Département-level tables ---------------------------------------------------------------------


def _count_cell(value: int) -> ShownCell:
    return ShownCell(text=formats.count(value), value=value, status=SHOWN, kind=COUNT)


def _masked_cell() -> ShownCell:
    return ShownCell(text=_("masqué"), value=None, status=MASKED, kind=COUNT)


def _rate_cell(cell: Rate) -> ShownCell:
    if cell.denominator < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=PERCENT)
    share = cell.numerator / cell.denominator
    return ShownCell(text=formats.percent(share), value=round(share * 100, 1), kind=PERCENT)


def _mean_cell(cell: Mean) -> ShownCell:
    if cell.value is None or cell.n < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=NUMBER)
    return ShownCell(text=formats.decimal(cell.value), value=round(cell.value, 1), kind=NUMBER)


def _delay_cell(cell: Delay) -> ShownCell:
    if cell.hours is None or cell.n < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=HOURS)
    return ShownCell(text=formats.hours(cell.hours), value=round(cell.hours, 1), kind=HOURS)


def _shown_cell(cell: object) -> ShownCell:
    if cell is None:
        return ShownCell(text=_("sans objet"), value=None, status=NOT_APPLICABLE, kind=COUNT)
    if isinstance(cell, Count):
        return _count_cell(cell.value)
    if isinstance(cell, Rate):
        return _rate_cell(cell)
    if isinstance(cell, Mean):
        return _mean_cell(cell)
    if isinstance(cell, Delay):
        return _delay_cell(cell)
    raise TypeError(f"Unknown cell {cell!r}")


def notes_for(statuses: set[str]) -> list[str]:
    """What each mark means, for the marks the table carries (the page and every export print them)."""
    notes = []
    if MASKED in statuses:
        notes.append(
            _(
                "« masqué » : moins de 5, ou caché pour qu’on ne puisse pas retrouver un effectif de 1 à 4 "
                "par soustraction ; les deux cas ne sont pas distingués."
            )
        )
    if TOO_FEW in statuses:
        notes.append(_("« — » : non calculé, car portant sur moins de 5 situations."))
    if NOT_APPLICABLE in statuses:
        notes.append(_("« sans objet » : pas d’objectif de ce type pour cette priorité."))
    return notes


def _with_totals(table: Table) -> list[list[object]]:
    """The table's cells with its totals added: a "Total" column (each row's counts) and a "Total" row
    (each column's counts, and the rates of ``total_rates`` over those totals)."""
    grid: list[list[object]] = [list(row.cells) for row in table.rows]
    n_cols = len(table.columns)
    if table.total_column:
        for cells in grid:
            cells.append(Count(sum(cell.value for cell in cells[:n_cols] if isinstance(cell, Count))))
    if table.total_row and grid:
        width = n_cols + (1 if table.total_column else 0)
        totals: list[object] = []
        for j in range(width):
            column = [cell for row in grid if isinstance(cell := row[j], Count)]
            totals.append(Count(sum(cell.value for cell in column)) if column else None)
        for j, (numerator, denominator) in table.total_rates.items():
            top, bottom = totals[numerator], totals[denominator]
            assert isinstance(top, Count) and isinstance(bottom, Count)
            totals[j] = Rate(top.value, bottom.value)
        grid.append(totals)
    return grid


def shown(table: Table | CommuneTable) -> ShownTable:
    """A table as anyone may read it: the table by commune after rules 2 and 3, any other table (of the
    département level) with its totals added, after rule 4."""
    if isinstance(table, CommuneTable):
        return shown_communes(table)
    grid = _with_totals(table)
    n_rows = len(table.rows)
    rows = [
        ShownRow(
            label=_("Total") if i == n_rows else table.rows[i].label,
            cells=[_shown_cell(cell) for cell in cells],
            is_total=i == n_rows,
        )
        for i, cells in enumerate(grid)
    ]
    columns = [*table.columns, _("Total")] if table.total_column else list(table.columns)
    statuses = {cell.status for row in rows for cell in row.cells}
    return ShownTable(
        key=table.key,
        title=table.title,
        row_header=table.row_header,
        columns=columns,
        rows=rows,
        notes=[*table.notes, *notes_for(statuses)],
        fine=False,
        chart_column=table.chart_column,
    )
