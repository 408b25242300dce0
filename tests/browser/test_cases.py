"""The coordinator triages a report into a P2 case and shares its judicial part with the police;
the police liaison sees that compartment and nothing else. axe finds nothing on the case pages."""

import base64
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp

from halte.accounts.models import Role
from halte.cases.models import Case, Note
from halte.demo.loader import account_sheet, load_demo
from halte.reports.actions import PupilData, ReportData, submit_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def log_in(page, role, index=0):
    account = [a for a in account_sheet() if a["role"] == role][index]
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(base64.b32decode(account['totp_secret'])):06d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/espace/")


def test_triage_to_p2_share_with_police_who_sees_only_judicial(page, browser, live_server, assert_accessible):
    load_demo()
    from halte.directory.models import School

    report = submit_report(
        data=ReportData(
            channel="phone",
            reporter_kind="parent",
            description=(
                "Depuis la rentrée, trois élèves de 4e menacent Léo tous les jours dans le bus et ont publié "
                "des vidéos de lui sur TikTok, qui sont toujours en ligne."
            ),
            school=School.objects.get(uai="0800020M"),
            forms=["threats", "cyber", "verbal"],
            platforms=["tiktok"],
            frequency="daily",
            since="months",
            pupils=[PupilData(first_name="Léo", role="victim")],
        ),
        actor=None,
    ).report

    log_in(page, Role.COORDINATOR)
    page.goto(f"/signalements/{report.public_id}/")
    page.get_by_role("link", name="Trier ce signalement").click()
    page.wait_for_url("**/trier/")
    assert_accessible(page)
    assert "Priorité proposée : P2" in page.locator("main").inner_text()
    page.locator("label[for='id_t-outcome_0']").click()  # DSFR radios are styled through their label
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url("**/dossiers/*/")
    case = Case.objects.get(reports=report)
    assert case.priority == "P2"
    assert_accessible(page)

    # The magistrate writes into the judicial compartment; a social worker into the health one.
    Note.objects.create(case=case, compartment="judicial", text="Enquête ouverte, audition prévue.", author=case.lead)
    Note.objects.create(case=case, compartment="health", text="Suivi psychologique engagé.", author=case.lead)

    # The judicial part is the parquet's to share (the coordination does not read it).
    magistrate = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    log_in(magistrate, Role.MAGISTRATE)
    magistrate.goto(f"/dossiers/{case.public_id}/")
    magistrate.get_by_role("link", name="Partager ou révoquer un partage").click()
    magistrate.wait_for_url("**/partages/")
    assert_accessible(magistrate)
    share = magistrate.locator("main form[novalidate]")
    share.get_by_role("combobox", name=re.compile(r"^Structure")).select_option(
        label="Direction interdépartementale de la police nationale de la Somme"
    )
    share.locator("label", has_text="Volet judiciaire").click()
    share.get_by_label("Fondement juridique").select_option("art40")
    # A share lasts a year at most.
    share.get_by_label("Partage valable jusqu’au").fill((timezone.localdate() + timedelta(days=60)).isoformat())
    share.get_by_role("button", name="Partager").click()
    magistrate.wait_for_selector("text=Dossier partagé.")
    assert_accessible(magistrate)
    magistrate.context.close()
    page.goto("/dossiers/")
    assert_accessible(page)
    page.goto(f"/dossiers/{case.public_id}/consultations/")
    assert_accessible(page)

    police = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    log_in(police, Role.POLICE_LIAISON)
    police.goto("/dossiers/")
    police.get_by_role("link", name=case.reference).click()
    police.wait_for_url(f"**/dossiers/{case.public_id}/")
    text = police.locator("main").inner_text()
    assert "Volet judiciaire" in text
    assert "Enquête ouverte, audition prévue." in text
    assert "Suivi psychologique engagé." not in text
    assert "trois élèves de 4e" not in text  # the core (facts, people) was not shared
    assert_accessible(police)
    police.context.close()
