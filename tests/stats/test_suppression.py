"""Statistical suppression: small counts, totals that would give them away, rates and delays on too few
cases — and the same rules for every output because every output reads a ShownTable."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halte.stats import charts, suppression
from halte.stats import tables as t

from .conftest import Layout, small_counts_found, what_a_reader_computes


def one_column(values, *, fine=True):
    return t.Table(
        key="essai",
        title="Essai",
        row_header="Ligne",
        columns=["Nombre"],
        rows=[t.Row(f"L{i}", [t.Count(v)]) for i, v in enumerate(values)],
        total_row=True,
        fine=fine,
    )


def texts(shown):
    return [[cell.text for cell in row.cells] for row in shown.rows]


def values(shown):
    """The numbers a reader sees (None for a mark)."""
    return [[cell.value for cell in row.cells] for row in shown.rows]


def test_a_total_cannot_reveal_a_single_small_count():
    # Naively: 1, 7 and a total of 8 — anyone computes 8 - 7 = 1.
    shown = suppression.shown(one_column([1, 7]))
    assert texts(shown) == [["< 5"], ["masqué"], ["8"]]
    assert [cell.value for row in shown.rows for cell in row.cells] == [None, None, 8]


def test_the_smallest_other_cell_is_hidden_and_zeros_stay():
    shown = suppression.shown(one_column([3, 0, 12, 9]))
    assert texts(shown) == [["< 5"], ["0"], ["12"], ["masqué"], ["24"]]


def test_a_small_total_is_hidden_like_any_count():
    shown = suppression.shown(one_column([2, 1, 0]))
    assert texts(shown) == [["< 5"], ["< 5"], ["0"], ["< 5"]]


def test_departement_level_shows_every_count():
    shown = suppression.shown(one_column([1, 7], fine=False))
    assert texts(shown) == [["1"], ["7"], ["8"]]
    assert shown.notes == []


def test_two_way_table_protects_rows_columns_and_grand_total():
    table = t.Table(
        key="essai",
        title="Essai",
        row_header="Ligne",
        columns=["A", "B", "C"],
        rows=[t.Row("L0", [t.Count(1), t.Count(6), t.Count(0)]), t.Row("L1", [t.Count(7), t.Count(8), t.Count(9)])],
        total_column=True,
        total_row=True,
        fine=True,
    )
    shown = suppression.shown(table)
    # Row 0: the 1 is small, the 6 protects it; column A: the 7 protects it; column B: the 8.
    assert texts(shown) == [
        ["< 5", "masqué", "0", "7"],
        ["masqué", "masqué", "9", "24"],
        ["8", "14", "9", "31"],
    ]
    assert shown.columns[-1] == "Total"
    assert shown.rows[-1].is_total
    assert any("< 5" in note for note in shown.notes)
    assert any("masqué" in note for note in shown.notes)


def _equations(n_rows, n_cols):
    """Every row, column, totals row and totals column of a grid with both totals."""
    for i in range(n_rows + 1):
        yield [(i, j) for j in range(n_cols)], (i, n_cols)
    for j in range(n_cols + 1):
        yield [(i, j) for i in range(n_rows)], (n_rows, j)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda n_rows: st.integers(min_value=1, max_value=4).flatmap(
            lambda n_cols: st.lists(
                st.lists(st.integers(min_value=0, max_value=12), min_size=n_cols, max_size=n_cols),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
)
def test_no_line_of_a_suppressed_table_has_a_single_unknown(grid):
    table = t.Table(
        key="essai",
        title="Essai",
        row_header="Ligne",
        columns=[f"C{j}" for j in range(len(grid[0]))],
        rows=[t.Row(f"L{i}", [t.Count(v) for v in row]) for i, row in enumerate(grid)],
        total_column=True,
        total_row=True,
        fine=True,
    )
    shown = suppression.shown(table)
    n_rows, n_cols = len(grid), len(grid[0])
    for i, j in itertools.product(range(n_rows + 1), range(n_cols + 1)):
        cell = shown.rows[i].cells[j]
        if cell.value is not None:
            assert not 0 < cell.value < 5  # no small count is ever shown
    for terms, total in _equations(n_rows, n_cols):
        hidden = [p for p in [*terms, total] if shown.rows[p[0]].cells[p[1]].is_hidden]
        assert len(hidden) != 1, (grid, terms, total)
    # So a reader chaining rows and columns learns nothing that is hidden.
    printed = [[cell.value for cell in row.cells] for row in shown.rows]
    layout = Layout(counts=tuple(range(n_cols + 1)), total_row=True, total_column=True)
    learnt = set(what_a_reader_computes(printed, layout))
    assert learnt == {(i, j) for i, row in enumerate(printed) for j, value in enumerate(row) if value is not None}


def test_rates_means_and_delays_on_too_few_cases():
    table = t.Table(
        key="essai",
        title="Essai",
        row_header="Ligne",
        columns=["Valeur"],
        rows=[
            t.Row("peu", [t.Rate(3, 4)]),
            t.Row("assez", [t.Rate(3, 12)]),
            t.Row("délai court", [t.Delay(10.0, 4)]),
            t.Row("délai", [t.Delay(10.0, 5)]),
            t.Row("moyenne", [t.Mean(2.5, 4)]),
            t.Row("sans objet", [None]),
        ],
    )
    assert texts(suppression.shown(table)) == [["—"], ["25\u00a0%"], ["—"], ["10,0\u00a0h"], ["—"], ["sans objet"]]


def test_below_departement_a_rate_never_gives_a_small_count_away():
    rows = [t.Row("a", [t.Rate(2, 20)]), t.Row("b", [t.Rate(18, 20)]), t.Row("c", [t.Rate(10, 20)])]
    fine = t.Table(key="x", title="x", row_header="x", columns=["Part"], rows=rows, fine=True)
    coarse = t.Table(key="x", title="x", row_header="x", columns=["Part"], rows=rows, fine=False)
    assert texts(suppression.shown(fine)) == [["—"], ["—"], ["50\u00a0%"]]
    assert texts(suppression.shown(coarse)) == [["10\u00a0%"], ["90\u00a0%"], ["50\u00a0%"]]


DUE_AND_ON_TIME = Layout(counts=(0, 1), total_row=True, parts={1: 0}, rates={2: (1, 0)})


def due_and_on_time(rows):
    """Actions due and done on time per row, the share on time, with a totals row: the actions table."""
    return t.Table(
        key="x",
        title="x",
        row_header="x",
        columns=["Échues", "À temps", "Part"],
        rows=[
            t.Row(f"L{i}", [t.Count(due), t.Count(on_time), t.Rate(on_time, due, sources=((i, 0), (i, 1)))])
            for i, (due, on_time) in enumerate(rows)
        ],
        total_row=True,
        total_rates={2: (1, 0)},
        parts={1: 0},
        fine=True,
    )


def test_a_rate_built_on_a_hidden_count_is_hidden():
    shown = suppression.shown(due_and_on_time([(12, 10), (9, 6), (3, 3)]))
    # First row: 12 due, 10 on time — 2 late, one subtraction away: the 10 is hidden, and the rate built on it.
    assert texts(shown)[0] == ["12", "masqué", "masqué"]
    assert texts(shown)[2] == ["< 5", "< 5", "masqué"]
    assert texts(shown)[1] == ["masqué", "masqué", "masqué"]  # protect the third row through both column totals
    assert texts(shown)[3] == ["24", "19", "79\u00a0%"]  # 5 late in all: not a small count
    assert any("soustraction" in note for note in shown.notes)
    assert small_counts_found(values(shown), DUE_AND_ON_TIME) == {}


def test_a_small_complement_in_the_totals_row_hides_the_total_of_the_part():
    # 12 − 10 = 2 late for the first row, 20 − 18 = 2 late in all; the second row has none late.
    shown = suppression.shown(due_and_on_time([(12, 10), (8, 8)]))
    assert texts(shown) == [
        ["12", "masqué", "masqué"],
        ["8", "8", "100\u00a0%"],
        ["20", "masqué", "masqué"],
    ]
    assert small_counts_found(values(shown), DUE_AND_ON_TIME) == {}


def test_nested_counts_protect_their_difference():
    """Closures old enough to tell about 12 months are among those old enough for 6 months."""
    rows = [(16, 7), (13, 6)]  # 16 − 13 = 3 closures between 6 and 12 months old
    table = t.Table(
        key="x",
        title="x",
        row_header="x",
        columns=["Clôtures", "Rouvertes", "Taux"],
        rows=[
            t.Row(f"L{i}", [t.Count(closed), t.Count(reopened), t.Rate(reopened, closed, sources=((i, 0), (i, 1)))])
            for i, (closed, reopened) in enumerate(rows)
        ],
        parts={1: 0},
        cell_parts=(((1, 0), (0, 0)),),
        fine=True,
    )
    assert texts(suppression.shown(table)) == [["16", "7", "44\u00a0%"], ["masqué", "6", "masqué"]]
    # At the département level, nothing is hidden.
    table.fine = False
    assert texts(suppression.shown(table)) == [["16", "7", "44\u00a0%"], ["13", "6", "46\u00a0%"]]


def test_a_rate_over_two_counts_must_declare_its_part():
    table = due_and_on_time([(12, 10)])
    table.parts = {}
    with pytest.raises(ValueError, match="declare its part"):
        suppression.shown(table)
    table.parts = {0: 1}  # the wrong way round: 12 due are not a part of 10 on time
    with pytest.raises(ValueError, match="larger than the whole"):
        suppression.shown(table)


@st.composite
def parts_and_wholes(draw):
    """1 to 4 rows of (whole, part), the part at most the whole; sometimes a totals row, sometimes each
    row's whole a part of the previous row's (like the reopening windows)."""
    n_rows = draw(st.integers(min_value=1, max_value=4))
    wholes = draw(st.lists(st.integers(min_value=0, max_value=14), min_size=n_rows, max_size=n_rows))
    nested = draw(st.booleans())
    if nested:
        wholes.sort(reverse=True)
    rows = [(whole, draw(st.integers(min_value=0, max_value=whole))) for whole in wholes]
    return rows, draw(st.booleans()), nested


@settings(max_examples=300, deadline=None)
@given(parts_and_wholes())
def test_no_small_complement_can_be_computed(drawn):
    rows, total_row, nested = drawn
    cell_parts = tuple(((i + 1, 0), (i, 0)) for i in range(len(rows) - 1)) if nested else ()
    table = t.Table(
        key="essai",
        title="Essai",
        row_header="Ligne",
        columns=["Tout", "Dont", "Part"],
        rows=[
            t.Row(f"L{i}", [t.Count(whole), t.Count(part), t.Rate(part, whole, sources=((i, 1), (i, 0)))])
            for i, (whole, part) in enumerate(rows)
        ],
        total_row=total_row,
        total_rates={2: (1, 0)} if total_row else {},
        parts={1: 0},
        cell_parts=cell_parts,
        fine=True,
    )
    shown = suppression.shown(table)
    printed = [[cell.value for cell in row.cells] for row in shown.rows]
    values = [[whole, part] for whole, part in rows]
    if total_row:
        values.append([sum(row[0] for row in values), sum(row[1] for row in values)])
    for row in printed:
        assert not any(value is not None and 0 < value < 5 for value in row[:2])  # no small count printed
        if row[2] is not None:
            assert row[0] is not None and row[1] is not None  # a printed rate tells nothing more

    # Extended invariant: no line, and no part + complement = whole, has exactly one unknown term. A
    # complement is unknown when it is small or when its part or its whole is not printed.
    def unknown(key):
        if key[0] == "rest":
            (pi, pj), (wi, wj) = key[1], key[2]
            rest = values[wi][wj] - values[pi][pj]
            return 0 < rest < 5 or unknown((pi, pj)) or unknown((wi, wj))
        return printed[key[0]][key[1]] is None

    last = len(values) - 1
    body = range(last) if total_row else range(len(values))
    pairs = [((i, 1), (i, 0)) for i in range(len(values))]
    lines = [([part, ("rest", part, whole)], whole) for part, whole in [*pairs, *cell_parts]]
    if total_row:
        lines += [([(i, j) for i in body], (last, j)) for j in (0, 1)]
        lines.append(([("rest", (i, 1), (i, 0)) for i in body], ("rest", (last, 1), (last, 0))))
    for terms, total in lines:
        assert sum(1 for key in [*terms, total] if unknown(key)) != 1, (rows, terms, total)
    # And a reader chaining the equations finds no small count, nor any hidden count.
    layout = Layout(counts=(0, 1), total_row=total_row, parts={1: 0}, rates={2: (1, 0)}, cell_parts=cell_parts)
    assert small_counts_found(printed, layout) == {}
    learnt = {key for key in what_a_reader_computes(printed, layout) if key[0] != "rest"}
    assert learnt == {(i, j) for i, row in enumerate(printed) for j in (0, 1) if row[j] is not None}


def test_shown_tables_survive_json():
    shown = suppression.shown(one_column([1, 7]))
    assert t.ShownTable.from_dict(shown.to_dict()) == shown


def test_charts_draw_only_what_the_table_shows():
    shown = suppression.shown(one_column([1, 7, 20]))
    chart = charts.chart_for(shown)
    assert chart is not None
    assert [bar.text for bar in chart.bars] == ["< 5", "masqué", "20"]
    assert [bar.width > 0 for bar in chart.bars] == [False, False, True]
    assert "2 valeurs ne sont pas affichées" in chart.summary
    assert "Total : 28." in chart.summary
