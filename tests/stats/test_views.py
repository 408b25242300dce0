"""The dashboard and its exports: filters validated in French, suppression identical on the page and in
the CSV, XLSX and ODS files, a fixed number of queries whatever the data, exports journaled."""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from odf import teletype
from odf.opendocument import load as load_ods
from odf.table import TableCell, TableRow
from openpyxl import load_workbook

from halte.audit.models import AuditEvent
from halte.cases.models import Action, FollowUp, Involvement, Person
from halte.stats import periods

from .conftest import Layout, case, report, rows_of_html_table, small_counts_found, transition

DASHBOARD = reverse("stats:dashboard")


def last_year() -> int:
    return periods.current_school_year() - 1


def in_last_year(day_offset=0):
    first, _last = periods.school_year(last_year()).range()
    return first + timedelta(days=30 + day_offset, hours=10)


@dataclass(frozen=True)
class Crafted:
    """A table of the crafted data below the département level: what every output must print (counts and
    shares in percent as numbers, marks as text) and how its counts hang together."""

    rows: dict[str, list]
    layout: Layout


CRAFTED = {
    # The total (8) would give the 1 away the moment the 7 is shown.
    "signalements-declarants": Crafted(
        rows={
            "L’élève qui subit": ["< 5"],
            "Un parent ou un proche": ["masqué"],
            "Un ou une élève témoin": [0],
            "Un personnel de l’établissement": [0],
            "Autre": [0],
            "Total": [8],
        },
        layout=Layout(counts=(0,), total_row=True),
    ),
    # 12 actions due, 10 on time: 2 late, one subtraction away, and again in the totals row (20 − 18).
    "actions-structures": Crafted(
        rows={
            "Parquet d'Amiens": [12, "masqué", "masqué"],
            "Établissements scolaires (regroupés)": [8, 8, 100],
            "Total": [20, "masqué", "masqué"],
        },
        layout=Layout(counts=(0, 1), total_row=True, parts={1: 0}, rates={2: (1, 0)}),
    ),
    # 10 closures old enough for 12 months, 7 of them reopened: 3 not reopened.
    "reouvertures": Crafted(
        rows={"Dans les 6 mois": [16, 7, 44], "Dans les 12 mois": [10, "masqué", "masqué"]},
        layout=Layout(counts=(0, 1), parts={1: 0}, rates={2: (1, 0)}, cell_parts=(((1, 0), (0, 0)),)),
    ),
    # 12 alleged authors, 10 of them in two cases: 2 cited once.
    "personnes-citees": Crafted(
        rows={"Auteurs présumés": [12, "masqué", "masqué"], "Victimes": [6, 0, 0]},
        layout=Layout(counts=(0, 1), parts={1: 0}, rates={2: (1, 0)}),
    ),
}


@pytest.fixture
def crafted(people, schools):
    """Figures of Amiens that a naive table would give away (see CRAFTED), from the month two years ago to
    this one: the last school year, and closures old enough to tell about 12 months whatever today's date."""
    now = timezone.now()
    college = schools["amiens_college"]
    when = in_last_year()
    report(received_at=when, school=college, reporter_kind="victim")
    for _ in range(7):
        report(received_at=when, school=schools["amiens_lycee"], reporter_kind="parent")
    long_ago = now - timedelta(days=1200)  # opened before the period: only their later events count
    owner = case(opened_at=long_ago, school=college)
    due = now - timedelta(days=60)
    for index in range(12):
        on_time = index < 10
        Action.objects.create(
            case=owner,
            title="Action",
            owner_organisation=people.magistrate.organisation,
            due_at=due,
            status="done" if on_time else "open",
            done_at=due - timedelta(days=1) if on_time else None,
        )
    for _ in range(8):
        Action.objects.create(
            case=owner,
            title="Action",
            owner_organisation=people.school_a_staff.organisation,
            due_at=due,
            status="done",
            done_at=due - timedelta(hours=2),
        )
    for index in range(10):
        closed = case(opened_at=long_ago, school=college)
        transition(closed, "close", now - timedelta(days=400), people.coordinator)
        if index < 7:
            transition(closed, "reopen", now - timedelta(days=370), people.coordinator)
    for _ in range(6):
        transition(case(opened_at=long_ago, school=college), "close", now - timedelta(days=250), people.coordinator)
    # Opened this school year: outside the last school year, so its commune table is unchanged.
    opened = min(now, periods.school_year(periods.current_school_year()).range()[0] + timedelta(minutes=1))
    first, second = case(opened_at=opened, school=college), case(opened_at=opened, school=college)
    for index in range(12):
        author = Person.objects.create(kind="pupil", first_name=f"Auteur{index}")
        for cited_in in (first, second) if index < 10 else (first,):
            Involvement.objects.create(case=cited_in, person=author, role="alleged_author")
    for index in range(6):
        victim = Person.objects.create(kind="pupil", first_name=f"Victime{index}")
        Involvement.objects.create(case=first, person=victim, role="victim")
    today = timezone.localdate(now)
    return {"du": f"{today.year - 2}-{today.month:02d}", "au": f"{today:%Y-%m}", "territoire": "commune:080:Amiens"}


def as_read(value, *, share=False):
    """A printed cell as a reader takes it: a number (a share in percent), or its mark."""
    if isinstance(value, int | float):  # a spreadsheet's number; shares are fractions there
        return round(value * 100) if share else value
    text = value.replace("\u202f", "").replace("\u00a0", "").replace("%", "").replace(",", ".").strip()
    try:
        return round(float(text))
    except ValueError:
        return value


def read(rows: dict[str, list], layout: Layout) -> dict[str, list]:
    return {
        label: [as_read(value, share=j in layout.rates) for j, value in enumerate(cells)]
        for label, cells in rows.items()
    }


def assert_nothing_to_find(rows: dict[str, list], expected: Crafted):
    """What is printed is what was expected, and no small count can be computed from it."""
    assert rows == expected.rows
    numbers = [[value if isinstance(value, int) else None for value in cells] for cells in rows.values()]
    assert small_counts_found(numbers, expected.layout) == {}


@pytest.mark.parametrize("key", CRAFTED)
def test_suppression_on_the_page(client, login, people, crafted, key):
    login(client, people.analyst)
    response = client.get(DASHBOARD, crafted)
    assert response.status_code == 200
    layout = CRAFTED[key].layout
    assert_nothing_to_find(read(rows_of_html_table(response.content.decode(), key), layout), CRAFTED[key])
    # At the département level, the same figures are shown as they are: the small count is there to find.
    response = client.get(DASHBOARD, {**crafted, "territoire": "departement:080"})
    rows = read(rows_of_html_table(response.content.decode(), key), layout)
    numbers = [[value if isinstance(value, int) else None for value in cells] for cells in rows.values()]
    assert small_counts_found(numbers, layout)


@pytest.mark.parametrize("key", CRAFTED)
def test_suppression_in_the_csv(client, login, people, crafted, key):
    login(client, people.analyst)
    response = client.get(reverse("stats:export", args=[key, "csv"]), crafted)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read it as UTF-8
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    width = len(lines[0])
    data = {line[0]: line[1:] for line in lines[1:] if len(line) == width}
    assert_nothing_to_find(read(data, CRAFTED[key].layout), CRAFTED[key])
    text = response.content.decode("utf-8-sig")
    assert "Amiens" in text  # the filters are written in the file
    assert "effectif de 1 à 4" in text  # and what the marks mean


@pytest.mark.parametrize("key", CRAFTED)
def test_suppression_in_the_xlsx(client, login, people, crafted, key):
    login(client, people.analyst)
    response = client.get(reverse("stats:export", args=[key, "xlsx"]), crafted)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    labels = CRAFTED[key].rows
    data = {row[0]: list(row[1:]) for row in sheet.iter_rows(values_only=True) if row and row[0] in labels}
    assert_nothing_to_find(read(data, CRAFTED[key].layout), CRAFTED[key])


@pytest.mark.parametrize("key", CRAFTED)
def test_suppression_in_the_ods(client, login, people, crafted, key):
    login(client, people.analyst)
    response = client.get(reverse("stats:export", args=[key, "ods"]), crafted)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    document = load_ods(io.BytesIO(response.content))
    data = {}
    for row in document.spreadsheet.getElementsByType(TableRow):
        cells = [teletype.extractText(cell) for cell in row.getElementsByType(TableCell)]
        if cells and cells[0] in CRAFTED[key].rows:
            data[cells[0]] = cells[1:]
    assert_nothing_to_find(read(data, CRAFTED[key].layout), CRAFTED[key])


def test_the_commune_table_is_always_suppressed_and_names_no_school(client, login, people, crafted, schools):
    login(client, people.coordinator)
    response = client.get(DASHBOARD, {"annee": last_year()})
    html = response.content.decode()
    rows = rows_of_html_table(html, "communes")
    assert rows["Amiens, Somme (80)"] == ["8", "0"]
    for school in schools.values():
        assert school.name not in html


def test_exports_are_journaled(client, login, people, crafted):
    login(client, people.education_referent)
    client.get(reverse("stats:export", args=["delais", "xlsx"]), crafted)
    event = AuditEvent.objects.get(action="stats.exported")
    assert event.membership == people.education_referent
    assert event.detail["table"] == "delais"
    assert event.detail["format"] == "xlsx"
    assert "Amiens" in event.detail["filters"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"annee": "1999"}, "Sélectionnez un choix valide"),
        ({"annee": "deux-mille"}, "Sélectionnez un choix valide"),
        ({"du": "2025-13", "au": "2026-01"}, "Indiquez le mois sous la forme AAAA-MM"),
        ({"du": "sept-25", "au": "2026-01"}, "Indiquez le mois sous la forme AAAA-MM"),
        ({"du": "2025-09"}, "Indiquez le premier et le dernier mois"),
        ({"du": "2025-09", "au": "2025-01"}, "Le premier mois doit précéder le dernier"),
        ({"du": "2020-01", "au": "2024-01"}, "36 mois au plus"),
        ({"territoire": "commune:080:Atlantide"}, "Sélectionnez un choix valide"),
        ({"niveau": "universite"}, "Sélectionnez un choix valide"),
        ({"canal": "pigeon"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_filters_get_a_french_message_never_an_error(client, login, people, query, message):
    login(client, people.analyst)
    response = client.get(DASHBOARD, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Les filtres ne sont pas valides" in html
    assert 'id="titre-signalements"' not in html  # no figures for filters that mean nothing
    export = client.get(reverse("stats:export", args=["delais", "csv"]), query)
    assert export.status_code == 400
    assert message in export.content.decode()


def test_months_period(client, login, people, schools):
    report(received_at=in_last_year(), school=schools["amiens_college"])
    login(client, people.analyst)
    first = periods.school_year(last_year()).first_day
    month = f"{first:%Y}-{first:%m}"
    response = client.get(DASHBOARD, {"du": month, "au": f"{first.year + 1}-08"})
    assert response.status_code == 200
    assert rows_of_html_table(response.content.decode(), "signalements-declarants")["Total"] == ["1"]


def test_unknown_table_or_format_is_404(client, login, people):
    login(client, people.analyst)
    assert client.get(reverse("stats:export", args=["dossiers", "csv"])).status_code == 404
    assert client.get(reverse("stats:export", args=["delais", "pdf"])).status_code == 404


def _populate(n, schools, people):
    """n cases opened this school year, each with a report, people, a follow-up, an action."""
    now = timezone.now()
    for index in range(n):
        opened = now - timedelta(days=1 + index % 20)
        created = case(
            opened_at=opened,
            with_report=opened - timedelta(hours=2),
            taken_in_charge_at=opened + timedelta(hours=3),
            first_measure_at=opened + timedelta(hours=5),
            school=schools["amiens_college" if index % 2 else "abbeville_ecole"],
            priority=["P1", "P2", "P3", "P4"][index % 4],
        )
        person = Person.objects.create(kind="pupil", first_name=f"Élève{index}")
        Involvement.objects.create(case=created, person=person, role="victim")
        FollowUp.objects.create(case=created, day=30, due_on=opened.date(), done_at=now, victim_view="better")
        Action.objects.create(
            case=created,
            title="Action",
            owner_organisation=people.magistrate.organisation,
            due_at=opened + timedelta(hours=1),
            status="done",
            done_at=opened,
        )


@pytest.mark.parametrize("n", [1, 30])
def test_dashboard_query_count_does_not_grow_with_the_data(
    client, login, people, schools, n, django_assert_num_queries
):
    _populate(n, schools, people)
    login(client, people.analyst)
    client.get(DASHBOARD)  # sessions and caches warmed up
    # PostgreSQL computes every delay's percentiles in one query; SQLite fetches each delay's durations.
    with django_assert_num_queries(24 if connection.vendor == "postgresql" else 27):
        response = client.get(DASHBOARD, {"territoire": "departement:080"})
    assert response.status_code == 200
    assert rows_of_html_table(response.content.decode(), "dossiers-priorites")["Total"] == [str(n)]


def test_exports_never_carry_a_formula(client, login, people, schools):
    from tests.factories import OrganisationFactory

    trap = OrganisationFactory(name='=HYPERLINK("https://example.org","Cliquez")', kind="association")
    owner = case(opened_at=in_last_year(), school=schools["amiens_college"])
    Action.objects.create(
        case=owner,
        title="Action",
        owner_organisation=trap,
        due_at=in_last_year(2),
        status="done",
        done_at=in_last_year(1),
    )
    login(client, people.coordinator)
    query = {"annee": last_year()}
    text = client.get(reverse("stats:export", args=["actions-structures", "csv"]), query).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[1][0].startswith("'=HYPERLINK(")
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("stats:export", args=["actions-structures", "xlsx"]), query).content)
    )
    labels = [row[0].value for row in workbook.active.iter_rows() if row[0].value]
    assert any(str(label).startswith("'=HYPERLINK(") for label in labels)
    assert all(row[0].data_type != "f" for row in workbook.active.iter_rows())
