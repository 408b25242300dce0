"""The coordinator keeps the cell's directory of partners and a person sets her civility and title, in a
real browser; axe finds nothing on the list, the form, its errors, nor on « Mon compte »."""

import pytest

from halte.demo.loader import load_demo
from halte.directory.models import Partner

from .test_stats import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def test_the_coordinator_adds_the_gendarmerie_to_the_directory(page, assert_accessible):
    load_demo()
    log_in(page, "coordination")
    page.goto("/partenaires/")
    assert page.locator("main h1").inner_text() == "Partenaires de la cellule"
    assert "Tribunal judiciaire d’Amiens" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Ajouter un partenaire").click()
    page.wait_for_url("**/partenaires/nouveau/")
    assert_accessible(page)
    page.locator("#id_kind").select_option("gendarmerie")
    page.locator("#id_name").fill("Groupement de gendarmerie de la Somme")
    page.locator("#id_service").fill("Maison de protection des familles")
    page.locator("#id_address").fill("Rue Jean Moulin")  # no postcode: refused
    page.locator("#id_phone").fill("12345")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("code postal à 5 chiffres", exact=False).first.wait_for()
    text = page.locator("main").inner_text()
    assert "code postal à 5 chiffres" in text and "numéro de téléphone français" in text
    assert_accessible(page)

    page.locator("#id_address").fill("Rue Jean Moulin\n80000 Amiens")
    page.locator("#id_phone").fill("03 22 00 00 00")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/partenaires/")
    assert "Groupement de gendarmerie de la Somme" in page.locator("main").inner_text()
    assert Partner.objects.get(kind="gendarmerie").departement == "080"


def test_a_person_sets_her_title_on_her_account(page, assert_accessible):
    load_demo()
    log_in(page, "cpe.lejeune")
    page.goto("/connexion/mon-compte/")
    assert_accessible(page)
    page.locator("#id_title").fill("Conseillère principale d’éducation et référente harcèlement")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/mon-compte/")
    assert "référente harcèlement" in page.locator("main").inner_text()
    assert_accessible(page)
