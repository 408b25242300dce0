"""The words that fired an alert, as the coordinator sees them in a real browser: highlighted in the
account on the report page and on the triage page, not by colour alone, with axe finding nothing; the
queue lists the critical report first."""

import pytest

from halte.accounts.models import Role
from halte.demo.loader import load_demo
from halte.reports.actions import PupilData, ReportData, submit_report

from .test_cases import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def _file(description):
    data = ReportData(
        channel="api",
        reporter_kind="victim",
        description=description,
        school_text="Collège Jules-Verne",
        pupils=[PupilData(first_name="Léo", role="victim")],
    )
    return submit_report(data=data, actor=None).report


def test_the_words_are_highlighted_and_the_pages_stay_accessible(page, live_server, assert_accessible):
    load_demo()
    mild = _file("On se moque de mon accent dans la cour.")
    critical = _file(
        "le copain de ma mere il me tape quand elle est pas la.\n"
        "Mon frère dit qu'il n'a jamais parlé de se tuer mais il se fait du mal."
    )
    log_in(page, Role.COORDINATOR)
    page.goto("/signalements/")
    assert_accessible(page)
    rows = page.locator("tbody tr").all_inner_texts()
    position = {
        ref: next(i for i, row in enumerate(rows) if ref in row) for ref in (critical.reference, mild.reference)
    }
    assert position[critical.reference] < position[mild.reference]  # the newest, listed before the older one
    assert "P1 — CRITIQUE" in rows[position[critical.reference]].upper()

    page.goto(f"/signalements/{critical.public_id}/")
    marks = page.locator("mark.halte-signal")
    assert marks.count() >= 2
    assert "copain de ma mere il me tape" in marks.first.inner_text()
    # The highlight is also bold and underlined, and announced in words.
    style = marks.first.evaluate("m => [getComputedStyle(m).fontWeight, getComputedStyle(m).textDecorationLine]")
    assert int(style[0]) >= 700 and "underline" in style[1]
    assert "Début du passage signalé (Danger dans la famille)" in marks.first.text_content()
    assert "CRITIQUE" in page.locator("main").inner_text().upper()  # DSFR badges are in capitals
    assert_accessible(page)

    page.get_by_role("link", name="Trier ce signalement").click()
    page.wait_for_url("**/trier/")
    assert page.locator("mark.halte-signal").count() >= 2
    assert_accessible(page)
