"""The disclosure control's rules one by one: which splits the directory allows (rule 1), which communes
are masked (rule 2), delays, rates and means on too few cases (rule 4) — and every output reading the
same ShownTable. The whole method against an attacker, across tables, filters and periods, is in
``test_disclosure.py``."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halte.stats import charts, suppression
from halte.stats import tables as t
from halte.stats.suppression import THRESHOLD, CommuneCounts, CommuneTable, Place, breakdown, pooled

from .attacker import Knowledge, rule_2


def texts(shown):
    return {row.label: [cell.text for cell in row.cells] for row in shown.rows}


# --- Rule 1 -----------------------------------------------------------------------------------------------


def place(departement, commune, kind_group="college", sector="public", schools=1):
    return Place(departement, commune, kind_group, sector, schools)


def test_types_and_sectors_are_split_when_each_group_stands_in_two_communes():
    places = [
        place("080", "Amiens", "college", "public", 5),
        place("080", "Amiens", "college", "private", 2),
        place("080", "Abbeville", "college", "public"),
        place("080", "Abbeville", "college", "private"),
        place("080", "Amiens", "lycee", "public", 3),
        place("080", "Abbeville", "lycee", "public"),
    ]
    assert breakdown(places) == suppression.Breakdown(by_kind=True, by_sector=True)


def test_a_type_alone_in_its_commune_is_not_split_anywhere():
    # The only EREA of the Somme, in Amiens: the Somme's « EREA and others » would be Amiens' EREA.
    places = [
        place("080", "Amiens", "college"),
        place("080", "Abbeville", "college"),
        place("080", "Amiens", "other"),
        place("060", "Beauvais", "college"),
        place("060", "Compiègne", "college"),
    ]
    split = breakdown(places)
    assert not split.by_kind
    assert split.class_of("college", "public") == ("public",)  # the sector still is, if it can be


def test_a_sector_alone_in_its_commune_is_not_split():
    places = [
        place("080", "Amiens", "college", "public"),
        place("080", "Abbeville", "college", "public"),
        place("080", "Amiens", "college", "private"),  # the only private collège of the Somme
    ]
    assert breakdown(places) == suppression.Breakdown(by_kind=True, by_sector=False)


def test_a_departement_of_one_commune_is_the_commune():
    places = [
        place("080", "Amiens", "college"),
        place("080", "Abbeville", "college"),
        place("975", "Saint-Pierre", "college"),
        place("975", "Saint-Pierre", "other"),  # alone in its commune, but that commune is the département
    ]
    assert breakdown(places).by_kind


def test_closed_schools_do_not_widen_a_group():
    # A report of this year cannot come from a closed school: it would not hide the open one.
    places = [place("080", "Amiens", "other"), place("080", "Abbeville", "other", schools=0)]
    places += [place("080", "Amiens"), place("080", "Abbeville")]
    assert not breakdown(places).by_kind


# --- Rule 2 -----------------------------------------------------------------------------------------------


def test_a_small_commune_is_masked_with_the_smallest_busy_one():
    order = ["Abbeville", "Albert", "Amiens", "Rue"]
    assert pooled({"Rue": 2, "Abbeville": 3, "Albert": 30, "Amiens": 90}, order) == {"Rue", "Abbeville", "Albert"}
    # A commune without any report is masked like a small one: it protects nobody on its own.
    assert pooled({"Abbeville": 7, "Albert": 30, "Amiens": 90}, order) == {"Rue", "Abbeville"}
    assert pooled({"Rue": 5, "Albert": 30, "Abbeville": 7, "Amiens": 90}, order) == set()


def test_rule_2b_reads_no_masked_value():
    # Which busy commune protects does not depend on how busy it is: a different count of the masked
    # communes must not change what is printed (else the printed table would tell it).
    order = ["Albert", "Amiens", "Rue"]
    assert pooled({"Rue": 1, "Albert": 5, "Amiens": 6}, order) == pooled({"Rue": 4, "Albert": 99, "Amiens": 6}, order)


def test_every_commune_is_masked_when_none_reaches_five():
    assert pooled({"Rue": 4, "Albert": 4}, ["Rue", "Albert"]) == {"Rue", "Albert"}


def counts(commune, reports, cases, class_key=("college",), label="collèges"):
    return CommuneCounts("080", "Somme (80)", commune, class_key, label, (reports, cases))


def commune_table(*places, unknown=None):
    return CommuneTable(
        key="communes",
        title="Par commune",
        row_header="Commune",
        columns=["Signalements", "Dossiers"],
        places=list(places),
        unknown=unknown,
    )


def test_the_table_by_commune():
    shown = suppression.shown(
        commune_table(
            counts("Amiens", 40, 12),
            counts("Abbeville", 9, 3),
            counts("Albert", 6, 2),
            counts("Rue", 2, 0),
            unknown=(4, 1),
        )
    )
    assert texts(shown) == {
        # Reports: Rue is small, so Abbeville, the first commune of 5 or more by name, protects it. Cases:
        # Abbeville, Albert and Rue are small, Amiens protects them — so it is masked for its cases.
        "Albert (Somme (80)) — collèges": ["6", "masqué"],
        "Amiens (Somme (80)) — collèges": ["40", "masqué"],
        "Autres communes (Somme (80)) — collèges": ["11", "17"],
        "Établissement non renseigné": ["4", "1"],
        "Total": ["61", "18"],
    }
    assert [row.label for row in shown.rows][:2] == ["Albert (Somme (80)) — collèges", "Amiens (Somme (80)) — collèges"]
    assert any("« masqué » : moins de 5" in note for note in shown.notes)
    assert any("« Autres communes »" in note for note in shown.notes)
    assert shown.fine and shown.chart_column is None


def test_each_class_and_departement_is_masked_on_its_own():
    lycees = {"class_key": ("lycee",), "label": "lycées"}
    shown = suppression.shown(
        commune_table(
            counts("Amiens", 40, 12),
            counts("Abbeville", 9, 8),
            counts("Amiens", 3, 0, **lycees),
            counts("Abbeville", 20, 7, **lycees),
        )
    )
    rows = texts(shown)
    assert rows["Amiens (Somme (80)) — collèges"] == ["40", "12"]
    assert rows["Abbeville (Somme (80)) — collèges"] == ["9", "8"]
    assert "Amiens (Somme (80)) — lycées" not in rows  # masked in both columns: not listed
    assert rows["Autres communes (Somme (80)) — lycées"] == ["23", "7"]


def test_an_unavailable_table_has_no_figures_anywhere():
    table = commune_table(counts("Amiens", 40, 12))
    table.unavailable = "Pour une année terminée seulement."
    shown = suppression.shown(table)
    assert shown.rows == [] and shown.unavailable == "Pour une année terminée seulement."
    assert t.ShownTable.from_dict(shown.to_dict()) == shown


@st.composite
def communes_of_one_class(draw):
    """Up to five communes of one class with their counts (often small), in rule 2b's order."""
    n = draw(st.integers(2, 5))
    values = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    return [f"C{i}" for i in range(n)], values


@settings(max_examples=300, deadline=None)
@given(communes_of_one_class())
def test_no_masked_count_can_be_pinned_by_a_reader_of_the_method(drawn):
    """One département, class and measure: the département's total is exact, the listed communes are
    exact, the sum of the others is printed — and the reader knows rule 2. No commune's count from 1
    to 4 is determined. (A masked count can be: 0 when the others account for everything, or exactly 5
    for the protecting commune when every small one has 0 — neither is a small count.)"""
    order, values = drawn
    masked = pooled(dict(zip(order, values, strict=True)), order)
    knowledge = Knowledge()
    for commune, value in zip(order, values, strict=True):
        knowledge.unknown(commune, value)
    knowledge.equal(dict.fromkeys(order, 1), sum(values), "total")
    for commune, value in zip(order, values, strict=True):
        if commune not in masked:
            knowledge.equal({commune: 1}, value, "listed")
    rule_2(knowledge, "group", {commune: {commune: 1} for commune in order}, order, set(order) - masked)
    for commune, value in zip(order, values, strict=True):
        if 1 <= value <= 4:
            assert commune in masked
            assert not knowledge.derivable({commune: 1}), (order, values)
        elif knowledge.derivable({commune: 1}):
            assert commune not in masked or value in (0, THRESHOLD), (order, values)


# --- Rule 4 and the outputs -------------------------------------------------------------------------------


def one_column(values):
    return t.Table(
        key="essai",
        title="Essai",
        row_header="Ligne",
        columns=["Nombre"],
        rows=[t.Row(f"L{i}", [t.Count(v)]) for i, v in enumerate(values)],
        total_row=True,
    )


def test_departement_level_shows_every_count_with_its_totals():
    shown = suppression.shown(one_column([1, 7, 0]))
    assert texts(shown) == {"L0": ["1"], "L1": ["7"], "L2": ["0"], "Total": ["8"]}
    assert shown.notes == [] and not shown.fine


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
    shown = suppression.shown(table)
    assert [row[0] for row in texts(shown).values()] == ["—", "25\u00a0%", "—", "10,0\u00a0h", "—", "sans objet"]
    assert any("moins de 5 situations" in note for note in shown.notes)


def test_a_total_row_carries_rates_over_its_totals():
    table = t.Table(
        key="x",
        title="x",
        row_header="x",
        columns=["Échues", "À temps", "Part"],
        rows=[
            t.Row("A", [t.Count(12), t.Count(10), t.Rate(10, 12)]),
            t.Row("B", [t.Count(8), t.Count(8), t.Rate(8, 8)]),
        ],
        total_row=True,
        total_rates={2: (1, 0)},
    )
    assert texts(suppression.shown(table))["Total"] == ["20", "18", "90\u00a0%"]


def test_shown_tables_survive_json():
    shown = suppression.shown(commune_table(counts("Amiens", 40, 12), counts("Rue", 2, 0)))
    assert t.ShownTable.from_dict(shown.to_dict()) == shown
    # A year published before the table by commune existed has no "unavailable" key.
    data = suppression.shown(one_column([3])).to_dict()
    del data["unavailable"]
    assert t.ShownTable.from_dict(data).unavailable == ""


def test_charts_draw_only_what_the_table_shows():
    table = one_column([1, 7, 20])
    table.rows.append(t.Row("taux", [t.Rate(1, 3)]))
    shown = suppression.shown(table)
    chart = charts.chart_for(shown)
    assert chart is not None
    assert [bar.text for bar in chart.bars] == ["1", "7", "20", "—"]
    assert [bar.width > 0 for bar in chart.bars] == [True, True, True, False]
    assert "1 valeur n’est pas affichée" in chart.summary
    assert "Total : 28." in chart.summary


def test_the_table_by_commune_has_no_chart():
    assert charts.chart_for(suppression.shown(commune_table(counts("Amiens", 40, 12)))) is None


@pytest.mark.parametrize("cell", [object(), "12"])
def test_unknown_cells_are_refused(cell):
    with pytest.raises(TypeError):
        suppression.shown(t.Table(key="x", title="x", row_header="x", columns=["x"], rows=[t.Row("x", [cell])]))
