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
   totals and the column totals add up to the grand total. An equation with exactly one hidden term
   would reveal it (total minus the others). So, until no equation has exactly one hidden term, the
   smallest visible non-zero *cell* of such an equation is hidden too (ties: the first in reading
   order); when the equation has no visible non-zero cell left, its total is hidden instead. Those
   cells show as « masqué » (they are 5 or more, or a total). This protects against what a reader
   can compute from one row or one column; it is the classic rule of national statistics offices and
   is enough for the small tables here (a full linear audit of every combination is not attempted).

3. **Delays, rates and means on too few cases**. A delay (median, 90th percentile), a rate or a mean
   computed over fewer than 5 cases shows as « — », at every level: such a figure says more about one
   child than about the cell. Below the département level, a rate also shows « — » when its
   numerator, or the denominator minus the numerator, is from 1 to 4 (it would give that small count
   away), and a rate or a mean computed from counts of the same table shows « masqué » when one of
   those counts is hidden.

4. Schools are never ranked by name: no table of Halte's statistics has a row per school. Tables by
   commune are sorted alphabetically and always follow rule 1.
"""

from __future__ import annotations

from collections.abc import Iterable

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
    Rate,
    ShownCell,
    ShownRow,
    ShownTable,
    Table,
)

THRESHOLD = 5  # counts from 1 to THRESHOLD - 1 are hidden below the département level

Position = tuple[int, int]


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def hidden_counts(
    values: dict[Position, int], equations: Iterable[tuple[list[Position], Position]]
) -> tuple[set[Position], set[Position]]:
    """Apply rules 1 and 2 to a grid of counts.

    ``values`` maps every position (cells and totals) to its count; ``equations`` lists, for each
    row/column, the positions of its terms and the position of its total. Returns the positions hidden
    as small (primary) and those hidden to protect them (secondary).
    """
    equations = list(equations)
    primary = {position for position, value in values.items() if is_small(value)}
    secondary: set[Position] = set()
    changed = True
    while changed:
        changed = False
        for terms, total in equations:
            entries = [*terms, total]
            hidden = [position for position in entries if position in primary or position in secondary]
            if len(hidden) != 1:
                continue
            candidates = sorted(
                (values[position], position)
                for position in terms
                if position not in primary and position not in secondary and values[position] > 0
            )
            if candidates:
                secondary.add(candidates[0][1])
            elif total not in primary and total not in secondary and values[total] > 0:
                secondary.add(total)
            else:  # only zeros left: a hidden count of 1 or more cannot sit with a visible total here
                continue
            changed = True
    return primary, secondary


def _count_grid(table: Table) -> tuple[list[list[object]], dict[Position, int], list[tuple[list[Position], Position]]]:
    """The table's cells with its totals added, the counts by position, and the equations."""
    grid: list[list[object]] = [list(row.cells) for row in table.rows]
    n_rows = len(grid)
    n_cols = len(table.columns)
    counts: dict[Position, int] = {}
    for i, cells in enumerate(grid):
        for j, cell in enumerate(cells):
            if isinstance(cell, Count):
                counts[(i, j)] = cell.value
    equations: list[tuple[list[Position], Position]] = []
    if table.total_column:
        for i, cells in enumerate(grid):
            terms = [(i, j) for j in range(n_cols) if (i, j) in counts]
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
    return grid, counts, equations


def _rate_cell(cell: Rate, *, fine: bool, hidden: set[Position]) -> ShownCell:
    if any(source in hidden for source in cell.sources):
        return ShownCell(text=_("masqué"), value=None, status=SECONDARY, kind=PERCENT)
    if cell.denominator < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=PERCENT)
    if fine and (is_small(cell.numerator) or is_small(cell.denominator - cell.numerator)):
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=PERCENT)
    share = cell.numerator / cell.denominator
    return ShownCell(text=formats.percent(share), value=round(share * 100, 1), kind=PERCENT)


def _mean_cell(cell: Mean, *, hidden: set[Position]) -> ShownCell:
    if any(source in hidden for source in cell.sources):
        return ShownCell(text=_("masqué"), value=None, status=SECONDARY, kind=NUMBER)
    if cell.value is None or cell.n < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=NUMBER)
    return ShownCell(text=formats.decimal(cell.value), value=round(cell.value, 1), kind=NUMBER)


def _delay_cell(cell: Delay) -> ShownCell:
    if cell.hours is None or cell.n < THRESHOLD:
        return ShownCell(text="—", value=None, status=TOO_FEW, kind=HOURS)
    return ShownCell(text=formats.hours(cell.hours), value=round(cell.hours, 1), kind=HOURS)


def _shown_cell(cell: object, position: Position, *, fine: bool, primary: set, secondary: set) -> ShownCell:
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
                "« masqué » : valeur cachée pour qu’on ne puisse pas retrouver un effectif « < 5 » "
                "à partir des totaux ou des autres valeurs du tableau."
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
    """The table as anyone may read it: totals added, then rules 1 to 3 applied."""
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
