"""The reporter's mailbox shows a plain status derived from the case (never its judicial track), and
the cell's replies written from the reports of a case."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from halte.cases import actions as case_actions
from halte.cases.enums import Compartment
from halte.cases.models import Case, Note
from halte.cases.severity import criteria_from_report
from halte.core.submission import new_token
from halte.reports.models import Report

from .helpers import fill_until_finish, post_step

RECEIPT = re.compile(r'id="code-de-suivi">\s*((?:\d{4} ){4}\d{4})\s*<')
JUDICIAL_SECRET = "GARDE-A-VUE-PREVUE"


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


@pytest.fixture
def reporter(people):
    """A browser that filed a report anonymously and opened its mailbox with the receipt code."""
    browser = Client()
    fill_until_finish(browser)
    code = RECEIPT.search(post_step(browser, "envoyer", {"files": []}).content.decode()).group(1)
    assert browser.post(reverse("reports:mailbox_open"), {"code": code}).status_code == 302
    return browser


def status_of(browser) -> str:
    page = browser.get(reverse("reports:mailbox")).content.decode()
    return re.search(r'<span class="fr-badge[^"]*">([^<]+)</span>', page).group(1)


def open_case(people) -> Case:
    report = Report.objects.get()
    decision = case_actions.TriageDecision(
        outcome="open_case", qualification="bullying", criteria=criteria_from_report(report)
    )
    return case_actions.triage_report(report=report, actor=people.coordinator, decision=decision).case


def test_the_status_follows_the_case_in_plain_words(reporter, people):
    assert status_of(reporter) == "Reçu"
    case = open_case(people)
    assert status_of(reporter) == "Pris en charge"
    case.start_intervention(actor=people.coordinator)
    assert status_of(reporter) == "En cours d’accompagnement"
    case.refresh_from_db()
    case.close(actor=people.coordinator, outcome="stopped", reason="Le harcèlement a cessé.")
    page = reporter.get(reverse("reports:mailbox")).content.decode()
    assert status_of(reporter) == "Suivi terminé"
    assert "Le harcèlement a cessé." not in page  # the outcome's wording stays with the professionals


def test_a_neutral_status_that_still_moves_and_nothing_of_the_judicial_track_under_ne_pas_informer(reporter, people):
    from halte.interventions import families
    from tests.interventions.conftest import involve

    case = open_case(people)
    pupil = involve(case, "victim", "Léa", "Martin")
    Note.objects.create(case=case, compartment=Compartment.JUDICIAL, text=JUDICIAL_SECRET, author=people.magistrate)
    families.set_restriction(case=case, actor=people.magistrate, pupil=pupil, reason="Enquête en cours")
    assert status_of(reporter) == "Pris en charge"
    case.refresh_from_db()
    case.start_intervention(actor=people.coordinator)
    page = reporter.get(reverse("reports:mailbox")).content.decode()
    assert status_of(reporter) == "En cours d’accompagnement"
    for secret in (JUDICIAL_SECRET, "Enquête en cours", "ne pas informer", "Léa"):
        assert secret not in page, secret
    case.refresh_from_db()
    case.close(actor=people.coordinator, outcome="stopped", reason="Fin.")
    assert status_of(reporter) == "Suivi terminé"


def test_a_reply_written_from_the_report_of_a_case_reaches_the_mailbox(reporter, client, login, people):
    case = open_case(people)
    report = case.reports.get()
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id]))
    assert page.context["can_reply"]
    response = client.post(
        reverse("reports:reply", args=[report.public_id]),
        {"body": "Merci, nous avons rencontré l’établissement.", "submission_token": new_token()},
    )
    assert response.status_code == 302
    mailbox = reporter.get(reverse("reports:mailbox")).content.decode()
    assert "Merci, nous avons rencontré l’établissement." in mailbox
    assert "L’équipe" in mailbox
