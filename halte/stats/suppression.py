"""Statistical suppression: the one code path between a computed table and anything anyone reads.

The dashboard, its charts, the CSV/XLSX/ODS exports, the yearly report PDF and the public page all
render :class:`~halte.stats.tables.ShownTable` objects made by :func:`shown` — no output formats a raw
figure itself, so the rules below cannot differ from one output to another.

Rules
-----

1. **Small counts** (primary suppression). In a table *below the département level* (a commune chosen
   in the filters, or a table broken down by commune), every count from 1 to 4 — a cell or a total —
   shows as « < 5 ». Zero is shown: it says nobody, so it points at nobody. At the département level
   and above, counts are shown as they are (product brief §4).

2. **Totals cannot give a hidden count away** (secondary suppression). A table with totals is a set of
   equations: each row adds up to its row total, each column to its column total, and both the row
   totals and the column totals add up to the grand total. An equation with exactly one unknown term
   would reveal it (total minus the others). So, until no equation has exactly one unknown term, the
   smallest printed non-zero count that would make one of its known terms unknown is hidden too (ties:
   the first in reading order), a term before the total of the equation. Those cells show as
   « masqué » (they are 5 or more, or a total). This protects against what a reader can compute from
   one row or one column; it is the classic rule of national statistics offices and is enough for the
   small tables here (a full linear audit of every combination is not attempted, and each table is
   protected on its own).

3. **Differences cannot give a small count away** (complements). A table may print a count and a part
   of it in the same row: the actions due and those done on time, the closures and those followed by a
   reopening, the people cited and those cited in two cases or more (``Table.parts``), or two counts of
   which one is part of the other (the closures old enough to tell about 12 months are among those old
   enough to tell about 6 months: ``Table.cell_parts``). The *complement* — whole minus part: the late
   actions, the closures not followed by a reopening, the people cited once — is printed nowhere, but
   anyone can subtract. Below the département level it is protected exactly like a printed count:

   - it is one more term of the equation *part + complement = whole*, and with a totals row the
     complements of the rows add up to the complement of the totals (one more column equation);
   - a complement from 1 to 4 is a hidden small count (rule 1), and a complement is unknown to the
     reader as soon as its part or its whole is hidden;
   - rule 2 then runs on all the equations together. A complement is never printed, so it cannot be
     hidden itself: to make it unknown, one of its two printed counts is hidden (« masqué ») — the part,
     which is the smaller, unless it is zero.

   So the whole usually stays printed (how many actions, closures or people the row is about) and only
   the part is hidden, rather than both: one hidden count is enough to make the subtraction impossible,
   and rule 2 makes sure the hidden part cannot itself be recovered from a column total (which may hide
   more). The rate of the row, built on the part, shows « masqué » (rule 4). Every rate over two counts
   of its table must have its pair declared in ``Table.parts`` or ``Table.cell_parts`` (:func:`shown`
   refuses the table otherwise), so a new table with a rate cannot forget its complement.

   After rules 1 to 3, no row, column or *part + complement = whole* equation has exactly one unknown
   term: from what is printed, a reader cannot compute a hidden count, nor a complement from 1 to 4,
   with any single equation — and so cannot start chaining equations either.

4. **Delays, rates and means on too few cases**. A delay (median, 90th percentile), a rate or a mean
   computed over fewer than 5 cases shows as « — », at every level: such a figure says more about one
   child than about the cell. A rate or a mean computed from counts of the same table shows « masqué »
   when one of those counts is hidden. Below the département level, a rate also shows « — » when its
   numerator, or the denominator minus the numerator, is from 1 to 4 (it would give that small count
   away; for a rate over counts of its own table, rules 1 to 3 have already hidden one of them).

5. Schools are never ranked by name: no table of Halte's statistics has a row per school. Tables by
   commune are sorted alphabetically and always follow rule 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from . import formats
from .tables import (
    COUNT,
    HOURS,
    NOT_APPLICABLE,
    NUMBER,
    PERCENT,
    SECONDARY,
    SHOWN,
    SMALL,
    TOO_FEW,
    Count,
    Delay,
    Mean,
    Position,
    Rate,
    ShownCell,
    ShownRow,
    ShownTable,
    Table,
)

THRESHOLD = 5  # counts from 1 to THRESHOLD - 1 are hidden below the département level


@dataclass(frozen=True)
class Complement:
    """A count printed nowhere that anyone can compute: the count at ``whole`` minus the one at ``part``."""

    part: Position
    whole: Position


Key = Position | Complement  # a printed count, or a complement
Equation = tuple[list[Key], Key]  # the terms add up to the total


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def hidden_counts(values: dict[Key, int], equations: Iterable[Equation]) -> tuple[set[Key], set[Position]]:
    """Apply rules 1 to 3 to a grid of counts.

    ``values`` maps every printed count (cells and totals) and every complement to its value;
    ``equations`` lists, for each row, column and *part + complement = whole*, its terms and its total.
    Returns what is hidden as small (primary: printed counts and complements) and the printed counts
    hidden to protect them (secondary). Afterwards no equation has exactly one unknown term.
    """
    equations = list(equations)
    primary: set[Key] = {key for key, value in values.items() if is_small(value)}
    secondary: set[Position] = set()

    def unknown(key: Key) -> bool:
        if key in primary or key in secondary:
            return True
        # A complement is known only through its part and its whole.
        return isinstance(key, Complement) and (unknown(key.part) or unknown(key.whole))

    def printed_behind(key: Key) -> tuple[Position, ...]:
        """The printed counts a reader needs to know ``key``: hiding one of them makes it unknown."""
        return (key.part, key.whole) if isinstance(key, Complement) else (key,)

    changed = True
    while changed:
        changed = False
        for terms, total in equations:
            if sum(1 for key in [*terms, total] if unknown(key)) != 1:
                continue
            candidates = sorted(
                (is_total, values[position], position)
                for is_total, key in [*((False, term) for term in terms), (True, total)]
                if not unknown(key)
                for position in printed_behind(key)
                if values[position] > 0
            )
            if not candidates:  # only zeros are known: a hidden count of 1 or more cannot sit among them
                continue
            secondary.add(candidates[0][2])
            changed = True
    return primary, secondary


def _count_grid(table: Table) -> tuple[list[list[object]], dict[Key, int], list[Equation]]:
    """The table's cells with its totals added, the counts and complements by position, and the equations."""
    grid: list[list[object]] = [list(row.cells) for row in table.rows]
    n_rows = len(grid)
    n_cols = len(table.columns)
    counts: dict[Key, int] = {}
    for i, cells in enumerate(grid):
        for j, cell in enumerate(cells):
            if isinstance(cell, Count):
                counts[(i, j)] = cell.value
    equations: list[Equation] = []
    if table.total_column:
        if table.parts:
            raise ValueError(f"Table {table.key}: a part column cannot be added into a row total.")
        for i, cells in enumerate(grid):
            terms: list[Key] = [(i, j) for j in range(n_cols) if (i, j) in counts]
            total = sum(counts[position] for position in terms)
            cells.append(Count(total))
            counts[(i, n_cols)] = total
            equations.append((terms, (i, n_cols)))
    if table.total_row and grid:
        width = n_cols + (1 if table.total_column else 0)
        totals_row: list[object] = []
        for j in range(width):
            terms = [(i, j) for i in range(n_rows) if (i, j) in counts]
            if not terms or j in table.total_rates:
                totals_row.append(None)
                continue
            total = sum(counts[position] for position in terms)
            totals_row.append(Count(total))
            counts[(n_rows, j)] = total
            equations.append((terms, (n_rows, j)))
        for j, (numerator, denominator) in table.total_rates.items():
            sources = ((n_rows, numerator), (n_rows, denominator))
            totals_row[j] = Rate(counts.get(sources[0], 0), counts.get(sources[1], 0), sources=sources)
        grid.append(totals_row)
        if table.total_column:
            # The grand total is also the sum of the column totals (the equation above is the sum of
            # the row totals): both lines must be protected.
            terms = [(n_rows, j) for j in range(n_cols) if (n_rows, j) in counts]
            equations.append((terms, (n_rows, n_cols)))
    _add_complements(table, grid, counts, equations)
    return grid, counts, equations


def _add_complements(table: Table, grid: list[list[object]], counts: dict[Key, int], equations: list[Equation]) -> None:
    """Rule 3: each declared part gets its complement, in *part + complement = whole* and, with a totals
    row, in the column of complements. Refuses a rate over two counts whose complement is not declared."""

    def complement(part: Position, whole: Position) -> Complement:
        if part not in counts or whole not in counts:
            raise ValueError(f"Table {table.key}: the part {part} and the whole {whole} must both be counts.")
        value = counts[whole] - counts[part]
        if value < 0:
            raise ValueError(f"Table {table.key}: the part {part} is larger than the whole {whole}.")
        key = Complement(part=part, whole=whole)
        counts[key] = value
        equations.append(([part, key], whole))
        return key

    n_rows = len(table.rows)
    has_totals_row = len(grid) > n_rows
    for part_column, whole_column in table.parts.items():
        column: list[Key] = [complement((i, part_column), (i, whole_column)) for i in range(n_rows)]
        if has_totals_row:
            equations.append((column, complement((n_rows, part_column), (n_rows, whole_column))))
    for part, whole in table.cell_parts:
        complement(part, whole)
    declared = {frozenset((key.part, key.whole)) for key in counts if isinstance(key, Complement)}
    for i, cells in enumerate(grid):
        for j, cell in enumerate(cells):
            if isinstance(cell, Rate) and len(cell.sources) == 2 and frozenset(cell.sources) not in declared:
                raise ValueError(
                    f"Table {table.key}: the rate at {(i, j)} divides two counts of the table; declare its part "
                    "in Table.parts or Table.cell_parts so that its complement is protected."
                )


def _rate_cell(cell: Rate, *, fine: bool, hidden: set[Key]) -> ShownCell:
    if any(source in hidden for source in cell.sources):
        return ShownCell(text=_("masqué"), value=None, status=SECONDARY, kind=PERCENT)
    if cell.denominator < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=PERCENT)
    if fine and (is_small(cell.numerator) or is_small(cell.denominator - cell.numerator)):
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=PERCENT)
    share = cell.numerator / cell.denominator
    return ShownCell(text=formats.percent(share), value=round(share * 100, 1), kind=PERCENT)


def _mean_cell(cell: Mean, *, hidden: set[Key]) -> ShownCell:
    if any(source in hidden for source in cell.sources):
        return ShownCell(text=_("masqué"), value=None, status=SECONDARY, kind=NUMBER)
    if cell.value is None or cell.n < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=NUMBER)
    return ShownCell(text=formats.decimal(cell.value), value=round(cell.value, 1), kind=NUMBER)


def _delay_cell(cell: Delay) -> ShownCell:
    if cell.hours is None or cell.n < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=HOURS)
    return ShownCell(text=formats.hours(cell.hours), value=round(cell.hours, 1), kind=HOURS)


def _shown_cell(
    cell: object, position: Position, *, fine: bool, primary: set[Key], secondary: set[Position]
) -> ShownCell:
    hidden = primary | secondary
    if cell is None:
        return ShownCell(text=_("sans objet"), value=None, status=NOT_APPLICABLE, kind=COUNT)
    if isinstance(cell, Count):
        if position in primary:
            return ShownCell(text="< 5", value=None, status=SMALL, kind=COUNT)
        if position in secondary:
            return ShownCell(text=_("masqué"), value=None, status=SECONDARY, kind=COUNT)
        return ShownCell(text=formats.count(cell.value), value=cell.value, status=SHOWN, kind=COUNT)
    if isinstance(cell, Rate):
        return _rate_cell(cell, fine=fine, hidden=hidden)
    if isinstance(cell, Mean):
        return _mean_cell(cell, hidden=hidden)
    if isinstance(cell, Delay):
        return _delay_cell(cell)
    raise TypeError(f"Unknown cell {cell!r}")


def notes_for(statuses: set[str]) -> list[str]:
    """What each mark means, for the marks the table carries (the page and every export print them)."""
    notes = []
    if SMALL in statuses:
        notes.append(_("« < 5 » : effectif de 1 à 4, masqué pour qu’aucune personne ne puisse être reconnue."))
    if SECONDARY in statuses:
        notes.append(
            _(
                "« masqué » : valeur cachée pour qu’on ne puisse pas retrouver un effectif de 1 à 4 "
                "à partir des totaux, des autres valeurs du tableau ou d’une soustraction entre deux valeurs."
            )
        )
    if TOO_FEW in statuses:
        notes.append(
            _(
                "« — » : non calculé, car portant sur moins de 5 situations, ou parce que le résultat "
                "permettrait de retrouver un petit effectif."
            )
        )
    if NOT_APPLICABLE in statuses:
        notes.append(_("« sans objet » : pas d’objectif de ce type pour cette priorité."))
    return notes


def shown(table: Table) -> ShownTable:
    """The table as anyone may read it: totals added, then rules 1 to 4 applied."""
    grid, counts, equations = _count_grid(table)
    if table.fine:
        primary, secondary = hidden_counts(counts, equations)
    else:
        primary, secondary = set(), set()
    n_rows = len(table.rows)
    rows = []
    for i, cells in enumerate(grid):
        is_total = i == n_rows
        label = _("Total") if is_total else table.rows[i].label
        rows.append(
            ShownRow(
                label=label,
                cells=[
                    _shown_cell(cell, (i, j), fine=table.fine, primary=primary, secondary=secondary)
                    for j, cell in enumerate(cells)
                ],
                is_total=is_total,
            )
        )
    columns = [*table.columns, _("Total")] if table.total_column else list(table.columns)
    statuses = {cell.status for row in rows for cell in row.cells}
    return ShownTable(
        key=table.key,
        title=table.title,
        row_header=table.row_header,
        columns=columns,
        rows=rows,
        notes=[*table.notes, *notes_for(statuses)],
        fine=table.fine,
        chart_column=table.chart_column,
    )
