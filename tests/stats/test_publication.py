"""The yearly report: texts written by the coordinator, publication of the département-level figures
(frozen, journaled, nothing public before), withdrawal, and the PDF read back with pypdf."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from halte.audit.models import AuditEvent
from halte.cases.models import Action
from halte.stats import periods
from halte.stats.models import YearlyReport

from .conftest import case, report, rows_of_html_table

PUBLIC = reverse("stats:public_results")


def year() -> int:
    return periods.current_school_year() - 1


def moment(days=40):
    first, _last = periods.school_year(year()).range()
    return first + timedelta(days=days, hours=10)


@pytest.fixture
def activity(people, schools):
    """A year of activity in two Somme communes, with an action owned by the parquet."""
    for _ in range(3):
        report(received_at=moment(), school=schools["abbeville_ecole"], reporter_kind="victim")
    for _ in range(4):
        report(received_at=moment(), school=schools["amiens_college"], reporter_kind="parent")
    opened = case(opened_at=moment(), school=schools["amiens_college"], priority="P1")
    Action.objects.create(
        case=opened,
        title="Audition",
        owner_organisation=people.magistrate.organisation,
        due_at=moment(45),
        status="done",
        done_at=moment(44),
    )
    return opened


def edit_url():
    return reverse("stats:yearly_report_edit", args=[year()])


def write_texts(client, **texts):
    current = YearlyReport.objects.filter(school_year=year()).first()
    data = {"introduction": "", "highlights": "", "outlook": "", "version": current.version if current else 0}
    data.update(texts)
    return client.post(edit_url(), data)


def test_nothing_is_public_before_publication(client, activity):
    response = client.get(PUBLIC)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Aucun résultat n’est encore publié" in html
    assert "<table" not in html
    assert client.get(reverse("stats:public_year", args=[year()])).status_code == 404


def test_texts_are_saved_and_journaled(client, login, people):
    login(client, people.coordinator)
    response = write_texts(client, introduction="Une année de mise en place.\x00", outlook="Former les CPE.")
    assert response.status_code == 302
    saved = YearlyReport.objects.get(school_year=year())
    assert saved.introduction == "Une année de mise en place."  # control characters stripped
    assert saved.updated_by == people.coordinator
    assert not saved.is_published
    event = AuditEvent.objects.get(action="stats.report_edited")
    assert event.detail == {"school_year": year(), "published": False}


def test_a_stale_form_is_refused(client, login, people):
    login(client, people.coordinator)
    write_texts(client, introduction="Première version.")
    response = client.post(edit_url(), {"introduction": "Écrasée ?", "highlights": "", "outlook": "", "version": 0})
    assert response.status_code == 400
    assert "modifié par quelqu’un d’autre" in response.content.decode()
    assert YearlyReport.objects.get(school_year=year()).introduction == "Première version."


def test_publication_shows_departement_figures_only_frozen_and_journaled(client, login, people, activity, schools):
    login(client, people.coordinator)
    write_texts(client, introduction="Le mot de la coordination.", highlights="Des délais tenus.")
    response = client.post(reverse("stats:yearly_report_publish", args=[year()]))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="stats.published")
    assert event.membership == people.coordinator
    assert event.detail == {"school_year": year(), "republished": False}

    client.logout()
    with CaptureQueriesContext(connection) as queries:
        html = client.get(PUBLIC).content.decode()
    assert not any("cases_" in q["sql"] or "reports_" in q["sql"] for q in queries.captured_queries)
    assert f"année scolaire {periods.year_label(year())}" in html
    assert "Le mot de la coordination." in html
    assert "Des délais tenus." in html
    # Département level: the reporters are counted exactly (3 pupils, 4 parents)…
    reporters = rows_of_html_table(html, "signalements-declarants")
    assert reporters["L’élève qui subit"] == ["3"]
    assert reporters["Un parent ou un proche"] == ["4"]
    # …but nothing below: no commune table, no commune, no school, no partner's own figures.
    assert "Par commune" not in html
    assert "Abbeville" not in html
    for school in schools.values():
        assert school.name not in html
    assert "Parquet d'Amiens" not in html
    assert client.get(reverse("stats:public_year", args=[year()])).content.decode() == html

    # Frozen: what happens afterwards does not change the published year…
    for _ in range(5):
        report(received_at=moment(), school=schools["amiens_college"], reporter_kind="witness")
    assert client.get(PUBLIC).content.decode() == html
    # …until the coordinator publishes again.
    login(client, people.coordinator)
    client.post(reverse("stats:yearly_report_publish", args=[year()]))
    assert AuditEvent.objects.filter(action="stats.published").latest("id").detail["republished"] is True
    client.logout()
    reporters = rows_of_html_table(client.get(PUBLIC).content.decode(), "signalements-declarants")
    assert reporters["Un ou une élève témoin"] == ["5"]


def test_withdrawal_takes_the_year_off_the_public_page(client, login, people, activity):
    login(client, people.coordinator)
    client.post(reverse("stats:yearly_report_publish", args=[year()]))
    response = client.post(reverse("stats:yearly_report_unpublish", args=[year()]))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="stats.unpublished").count() == 1
    client.logout()
    assert "Aucun résultat n’est encore publié" in client.get(PUBLIC).content.decode()
    assert client.get(reverse("stats:public_year", args=[year()])).status_code == 404


def test_withdrawing_an_unpublished_year_says_so(client, login, people):
    login(client, people.coordinator)
    response = client.post(reverse("stats:yearly_report_unpublish", args=[year()]), follow=True)
    assert "Ce bilan n’est pas publié." in response.content.decode()


def test_years_outside_the_range_are_404(client, login, people):
    login(client, people.coordinator)
    future = periods.current_school_year() + 1
    for bad in (1999, future):
        assert client.get(reverse("stats:yearly_report_edit", args=[bad])).status_code == 404
        assert client.post(reverse("stats:yearly_report_publish", args=[bad])).status_code == 404
        assert client.get(reverse("stats:yearly_report_pdf", args=[bad])).status_code == 404
    assert not YearlyReport.objects.exists()


def _pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_yearly_report_pdf(client, login, people, activity):
    login(client, people.coordinator)
    write_texts(client, introduction="Cent situations suivies.", outlook="Ouvrir une antenne à Abbeville.")
    draft = _pdf_text(client.get(reverse("stats:yearly_report_pdf", args=[year()])))
    assert "Bilan annuel de la cellule" in draft
    assert f"Année scolaire {periods.year_label(year())}" in draft
    assert "Version de travail" in draft
    assert "Cent situations suivies." in draft
    assert "Ouvrir une antenne à Abbeville." in draft
    assert "Signalements reçus" in draft
    assert "Qui signale" in draft
    assert "Délais" in draft
    client.post(reverse("stats:yearly_report_publish", args=[year()]))
    login(client, people.analyst)
    published = _pdf_text(client.get(reverse("stats:yearly_report_pdf", args=[year()])))
    assert "publiés le" in published
    assert "Version de travail" not in published
    assert "Parquet d'Amiens" not in published  # partners' own figures are not in the yearly report
    assert AuditEvent.objects.filter(action="stats.exported", detail__format="pdf").count() == 2
