"""The steering dashboard in a real browser: the coordinator and an analyst read the figures, the
coordinator publishes a year, the public page shows it. axe finds nothing on any of these pages, and
the page's CSP reports no violation (the charts are inline SVG without script or style)."""

import base64

import pytest
from django.utils import timezone
from django_otp.oath import totp

from halte.demo.loader import account_sheet, load_demo
from halte.reports.models import Report
from halte.stats import periods

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def log_in(page, email_prefix):
    account = next(a for a in account_sheet() if a["email"].startswith(f"{email_prefix}@"))
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(base64.b32decode(account['totp_secret'])):06d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/espace/")


def test_dashboard_publication_and_public_page(page, browser, live_server, assert_accessible):
    load_demo()
    year = periods.current_school_year()
    # The demo's reports are from today: the school year in progress.
    assert Report.objects.filter(received_at__lte=timezone.now()).exists()

    page.goto("/resultats/")
    assert "Aucun résultat n’est encore publié" in page.locator("main").inner_text()
    assert_accessible(page)

    log_in(page, "coordination")
    page.goto("/pilotage/")
    main = page.locator("main")
    assert "Signalements reçus" in main.inner_text()
    assert page.locator("svg[role='img']").count() > 3
    assert_accessible(page)

    # A département: its figures, the table by commune kept for ended school years, the method explained.
    page.get_by_label("Territoire").select_option(label="Somme (80)")
    page.get_by_role("button", name="Afficher les chiffres").click()
    page.wait_for_url("**territoire=departement*")
    text = page.locator("main").inner_text()
    assert "que pour une année scolaire terminée" in text
    assert "Il n’y a pas de tableau de bord par commune" in text
    assert_accessible(page)

    # A bad period gets a French message, not an error page.
    page.get_by_label("Ou bien : du mois").fill("2025-09")
    page.get_by_role("button", name="Afficher les chiffres").click()
    assert "Indiquez le premier et le dernier mois" in page.locator("main").inner_text()
    assert_accessible(page)

    page.goto(f"/pilotage/bilans/{year}/")
    page.get_by_label("Introduction").fill("Première année de la cellule dans la Somme.")
    page.get_by_role("button", name="Enregistrer les textes").click()
    page.wait_for_selector("text=Textes du bilan enregistrés.")
    assert_accessible(page)
    page.get_by_role("button", name="Publier les résultats de l’année").click()
    page.wait_for_selector("text=Bilan")
    assert "publié" in page.locator("main").inner_text()
    page.goto("/pilotage/bilans/")
    assert_accessible(page)

    public = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    public.goto("/resultats/")
    text = public.locator("main").inner_text()
    assert "Première année de la cellule dans la Somme." in text
    assert "Signalements reçus" in text
    assert "Par commune" not in text
    assert_accessible(public)
    public.context.close()

    analyst = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    log_in(analyst, "analyste")
    analyst.goto("/pilotage/")
    assert "Délais" in analyst.locator("main").inner_text()
    assert_accessible(analyst)
    response = analyst.goto("/dossiers/")
    assert response is not None and response.status == 403
    analyst.context.close()
