"""The dashboard and its exports: filters validated in French, the table by commune masked the same way on
the page and in the CSV, XLSX and ODS files, nothing below the département but that table, a fixed number
of queries whatever the data, exports journaled."""

import csv
import io
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
from tests.factories import SchoolFactory

from .conftest import case, report, rows_of_html_table

DASHBOARD = reverse("stats:dashboard")


def last_year() -> int:
    return periods.current_school_year() - 1


def in_last_year(day_offset=0):
    first, _last = periods.school_year(last_year()).range()
    return first + timedelta(days=30 + day_offset, hours=10)


def settled_year() -> int:
    """A school year whose table by commune is given whatever today's date (it is from 1 October on)."""
    return periods.current_school_year() - 2


@pytest.fixture
def communes(people, schools):
    """A school year that has ended in the Somme: Amiens (two schools) is busy, Albert has 7 reports and no case,
    Abbeville 2 reports and 1 case; the Oise has one report, and one report has no known school.

    Reports: Abbeville is small, so rule 2b masks the first commune of 5 or more by name: Albert. Cases:
    Albert (none) and Abbeville are small, Amiens protects them. So Amiens shows its 12 reports and nothing
    else of the Somme is shown commune by commune."""
    albert = SchoolFactory(uai="0801004D", name="Collège Cinq", commune="Albert", kind="college")
    when = periods.school_year(settled_year()).starts_at + timedelta(days=40)
    for _ in range(6):
        report(received_at=when, school=schools["amiens_college"], reporter_kind="parent")
    for _ in range(6):
        report(received_at=when, school=schools["amiens_lycee"], reporter_kind="parent")
    for _ in range(7):
        report(received_at=when, school=albert, reporter_kind="witness")
    report(received_at=when, school=schools["abbeville_ecole"], reporter_kind="victim")
    report(received_at=when, school=schools["abbeville_ecole"], reporter_kind="parent")
    report(received_at=when, school=schools["beauvais_college"], reporter_kind="other")
    report(received_at=when, reporter_kind="other")
    for _ in range(5):
        case(opened_at=when, school=schools["amiens_college"])
    case(opened_at=when, school=schools["abbeville_ecole"])
    return {"annee": settled_year()}


EXPECTED_COMMUNES = {
    "Amiens (Somme (80))": ["12", "masqué"],
    "Autres communes (Oise (60))": ["1", "0"],
    "Autres communes (Somme (80))": ["9", "6"],
    "Établissement non renseigné": ["1", "0"],
    "Total": ["23", "6"],
}


def test_the_table_by_commune_masks_small_communes_and_their_protector(client, login, people, communes):
    login(client, people.analyst)
    html = client.get(DASHBOARD, communes).content.decode()
    assert rows_of_html_table(html, "communes") == EXPECTED_COMMUNES
    # The Somme's total is exact, its small counts too (reports from the victim: 1) — but the Somme minus
    # Amiens gives the sum of Albert and Abbeville (9), not Abbeville's 2.
    somme = client.get(DASHBOARD, {**communes, "territoire": "departement:080"}).content.decode()
    assert rows_of_html_table(somme, "signalements-declarants")["L’élève qui subit"] == ["1"]
    assert rows_of_html_table(somme, "signalements-declarants")["Total"] == ["21"]
    assert rows_of_html_table(somme, "communes") == {
        "Amiens (Somme (80))": ["12", "masqué"],
        "Autres communes (Somme (80))": ["9", "6"],
        "Total": ["21", "6"],
    }
    assert "Collège Un" not in html and "Collège Cinq" not in html  # no school is ever named
    assert "« masqué » : moins de 5" in html


def read_csv(response) -> dict[str, list]:
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return {line[0]: line[1:] for line in lines[1:] if len(line) == len(lines[0])}


def test_the_table_by_commune_is_the_same_in_every_export(client, login, people, communes):
    login(client, people.coordinator)
    as_text = {label: [str(value) for value in values] for label, values in EXPECTED_COMMUNES.items()}

    response = client.get(reverse("stats:export", args=["communes", "csv"]), communes)
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read it as UTF-8
    assert read_csv(response) == as_text
    assert "moins de 5" in response.content.decode("utf-8-sig")  # what « masqué » means

    sheet = load_workbook(io.BytesIO(client.get(reverse("stats:export", args=["communes", "xlsx"]), communes).content))
    found = {
        row[0]: [str(v) for v in row[1:3]] for row in sheet.active.iter_rows(values_only=True) if row[0] in as_text
    }
    assert found == as_text

    document = load_ods(io.BytesIO(client.get(reverse("stats:export", args=["communes", "ods"]), communes).content))
    found = {}
    for row in document.spreadsheet.getElementsByType(TableRow):
        cells = [teletype.extractText(cell) for cell in row.getElementsByType(TableCell)]
        if cells and cells[0] in as_text:
            found[cells[0]] = cells[1:3]
    assert found == as_text


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({}, "année scolaire terminée"),  # the school year in progress
        ({"du": "2025-01", "au": "2025-03"}, "année scolaire entière"),
        ({"canal": "phone"}, "filtre de canal"),
    ],
)
def test_the_table_by_commune_only_for_an_ended_school_year_without_channel(
    client, login, people, communes, query, reason
):
    login(client, people.analyst)
    if "canal" in query:
        query = {**communes, **query}
    html = client.get(DASHBOARD, query).content.decode()
    block = html.split('id="tableau-communes"', 1)[1].split('class="halte-stats-block', 1)[0]
    assert reason in block
    assert "<table" not in block and "Télécharger" not in block
    export = client.get(reverse("stats:export", args=["communes", "csv"]), query)
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    assert reason in text and "Amiens" not in text


def test_a_september_to_august_range_is_the_school_year(client, login, people, communes):
    login(client, people.analyst)
    year = settled_year()
    html = client.get(DASHBOARD, {"du": f"{year}-09", "au": f"{year + 1}-08"}).content.decode()
    assert rows_of_html_table(html, "communes") == EXPECTED_COMMUNES
    assert f"année scolaire {year}-{year + 1}" in html


def test_no_dashboard_of_a_commune(client, login, people, communes):
    """A commune's own tables, set against its département's, gave back the other communes' small counts:
    the territory filter offers départements only, and a commune asked for by hand is refused."""
    login(client, people.analyst)
    html = client.get(DASHBOARD).content.decode()
    assert 'value="departement:080"' in html
    assert "commune:" not in html
    refused = client.get(DASHBOARD, {**communes, "territoire": "commune:080:Abbeville"})
    assert "Ce choix n’est pas (ou plus) proposé" in refused.content.decode()
    assert (
        client.get(
            reverse("stats:export", args=["communes", "csv"]), {"territoire": "commune:080:Abbeville"}
        ).status_code
        == 400
    )


def test_type_and_sector_are_offered_only_when_the_directory_allows(client, login, people, schools):
    """In the test directory the Somme's collège and lycée are both in Amiens: a figure of the Somme's
    collèges would be Amiens' collège. The split is not offered, and forcing it is refused."""
    login(client, people.analyst)
    html = client.get(DASHBOARD).content.decode()
    assert "Le tri par type d’établissement n’est pas proposé" in html
    assert "Le tri par secteur public ou privé n’est pas proposé" in html
    assert 'value="college"' not in html
    assert "Signalements reçus par canal</h3>" in html  # no column per type either
    refused = client.get(DASHBOARD, {"niveau": "college"}).content.decode()
    assert "Ce choix n’est pas (ou plus) proposé" in refused
    assert client.get(reverse("stats:export", args=["delais", "csv"]), {"secteur": "private"}).status_code == 400
    # Once every type and sector of the Somme stands in two communes, the splits are offered.
    for uai, kind, sector, commune in [
        ("0801011A", "college", "public", "Abbeville"),
        ("0801012A", "lycee", "public", "Abbeville"),
        ("0801013A", "ecole", "private", "Amiens"),
        ("0801014A", "college", "private", "Amiens"),
        ("0801015A", "college", "private", "Abbeville"),
        ("0801016A", "lycee", "private", "Amiens"),
        ("0801017A", "lycee", "private", "Abbeville"),
        ("0801018A", "ecole", "public", "Amiens"),
        ("0801019A", "ecole", "public", "Abbeville"),
    ]:
        SchoolFactory(uai=uai, kind=kind, sector=sector, commune=commune)
    html = client.get(DASHBOARD).content.decode()
    assert "n’est pas proposé" not in html
    assert 'value="college"' in html and 'value="private"' in html
    assert client.get(DASHBOARD, {"niveau": "college", "secteur": "private"}).status_code == 200


def test_the_method_is_explained_on_the_page(client, login, people):
    login(client, people.analyst)
    html = client.get(DASHBOARD).content.decode()
    assert 'id="titre-methode"' in html
    assert "Il n’y a pas de tableau de bord par commune" in html
    assert "au moins deux communes" in html


def test_exports_are_journaled(client, login, people, communes):
    login(client, people.education_referent)
    client.get(reverse("stats:export", args=["delais", "xlsx"]), {**communes, "territoire": "departement:080"})
    event = AuditEvent.objects.get(action="stats.exported")
    assert event.membership == people.education_referent
    assert event.detail["table"] == "delais"
    assert event.detail["format"] == "xlsx"
    assert "Somme" in event.detail["filters"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"annee": "1999"}, "Ce choix n’est pas (ou plus) proposé"),
        ({"annee": "deux-mille"}, "Ce choix n’est pas (ou plus) proposé"),
        ({"du": "2025-13", "au": "2026-01"}, "Indiquez le mois sous la forme AAAA-MM"),
        ({"du": "sept-25", "au": "2026-01"}, "Indiquez le mois sous la forme AAAA-MM"),
        ({"du": "2025-09"}, "Indiquez le premier et le dernier mois"),
        ({"du": "2025-09", "au": "2025-01"}, "Le premier mois doit précéder le dernier"),
        ({"du": "2020-01", "au": "2024-01"}, "36 mois au plus"),
        ({"territoire": "commune:080:Amiens"}, "Ce choix n’est pas (ou plus) proposé"),
        ({"niveau": "universite"}, "Ce choix n’est pas (ou plus) proposé"),
        ({"canal": "pigeon"}, "Ce choix n’est pas (ou plus) proposé"),
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
    with django_assert_num_queries(22 if connection.vendor == "postgresql" else 25):  # header: unread notifications
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
