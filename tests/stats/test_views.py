"""The dashboard and its exports: filters validated in French, suppression identical on the page and in
the CSV, XLSX and ODS files, a fixed number of queries whatever the data, exports journaled."""

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

from .conftest import case, report, rows_of_html_table

DASHBOARD = reverse("stats:dashboard")


def last_year() -> int:
    return periods.current_school_year() - 1


def in_last_year(day_offset=0):
    first, _last = periods.school_year(last_year()).range()
    return first + timedelta(days=30 + day_offset, hours=10)


@pytest.fixture
def crafted(schools):
    """In Amiens, 1 report from the pupil and 7 from parents: a naive table's total (8) would give the 1
    away the moment the 7 is shown."""
    when = in_last_year()
    report(received_at=when, school=schools["amiens_college"], reporter_kind="victim")
    for _ in range(7):
        report(received_at=when, school=schools["amiens_lycee"], reporter_kind="parent")
    return {"annee": last_year(), "territoire": "commune:080:Amiens"}


def test_suppression_on_the_page(client, login, people, crafted):
    login(client, people.analyst)
    response = client.get(DASHBOARD, crafted)
    assert response.status_code == 200
    rows = rows_of_html_table(response.content.decode(), "signalements-declarants")
    assert rows["L’élève qui subit"] == ["&lt; 5"]
    assert rows["Un parent ou un proche"] == ["masqué"]
    assert rows["Total"] == ["8"]
    # At the département level, the same figures are shown as they are.
    response = client.get(DASHBOARD, {**crafted, "territoire": "departement:080"})
    rows = rows_of_html_table(response.content.decode(), "signalements-declarants")
    assert rows["L’élève qui subit"] == ["1"]
    assert rows["Un parent ou un proche"] == ["7"]


def test_suppression_in_the_csv(client, login, people, crafted):
    login(client, people.analyst)
    response = client.get(reverse("stats:export", args=["signalements-declarants", "csv"]), crafted)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read it as UTF-8
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Personne qui signale", "Signalements"]
    data = {line[0]: line[1:] for line in lines[1:] if len(line) == 2}
    assert data["L’élève qui subit"] == ["< 5"]
    assert data["Un parent ou un proche"] == ["masqué"]
    assert data["Total"] == ["8"]
    text = response.content.decode("utf-8-sig")
    assert "Amiens" in text  # the filters are written in the file
    assert "effectif de 1 à 4" in text  # and what the marks mean


def test_suppression_in_the_xlsx(client, login, people, crafted):
    login(client, people.analyst)
    response = client.get(reverse("stats:export", args=["signalements-declarants", "xlsx"]), crafted)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    data = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert data["L’élève qui subit"][0] == "< 5"
    assert data["Un parent ou un proche"][0] == "masqué"
    assert data["Total"][0] == 8


def test_suppression_in_the_ods(client, login, people, crafted):
    login(client, people.analyst)
    response = client.get(reverse("stats:export", args=["signalements-declarants", "ods"]), crafted)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    document = load_ods(io.BytesIO(response.content))
    data = {}
    for row in document.spreadsheet.getElementsByType(TableRow):
        cells = [teletype.extractText(cell) for cell in row.getElementsByType(TableCell)]
        if cells:
            data[cells[0]] = cells[1:]
    assert data["L’élève qui subit"] == ["< 5"]
    assert data["Un parent ou un proche"] == ["masqué"]
    assert data["Total"] == ["8"]


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
