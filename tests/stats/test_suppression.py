"""Statistical suppression: small counts, totals that would give them away, rates and delays on too few
cases — and the same rules for every output because every output reads a ShownTable."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from halte.stats import charts, suppression
from halte.stats import tables as t


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


def test_a_rate_built_on_a_hidden_count_is_hidden():
    table = t.Table(
        key="x",
        title="x",
        row_header="x",
        columns=["Échues", "À temps", "Part"],
        rows=[
            t.Row("a", [t.Count(12), t.Count(10), t.Rate(10, 12, sources=((0, 0), (0, 1)))]),
            t.Row("b", [t.Count(9), t.Count(6), t.Rate(6, 9, sources=((1, 0), (1, 1)))]),
            t.Row("c", [t.Count(3), t.Count(3), t.Rate(3, 3, sources=((2, 0), (2, 1)))]),
        ],
        total_row=True,
        total_rates={2: (1, 0)},
        fine=True,
    )
    shown = texts(suppression.shown(table))
    assert shown[0] == ["12", "10", "—"]  # 2 late: a small count, so no rate below the département
    assert shown[2] == ["< 5", "< 5", "masqué"]
    assert shown[1] == ["masqué", "masqué", "masqué"]  # protect row c through both column totals
    assert shown[3] == ["24", "19", "79\u00a0%"]


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
