"""The coordinator reaches the header's search box with the keyboard, types a pupil's name with a
typo, and finds the case; axe finds nothing on « Aujourd'hui » nor on the results."""

import base64

import pytest
from django_otp.oath import totp

from halte.accounts.models import Role
from halte.cases.models import Case, Involvement, Person
from halte.demo.loader import account_sheet, load_demo
from halte.directory.models import School

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, role):
    account = next(a for a in account_sheet() if a["role"] == role)
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(base64.b32decode(account['totp_secret'])):06d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/espace/")


def tab_to(page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element has the focus, as a keyboard user would; never click."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_coordinator_finds_a_case_from_a_misspelled_pupil_name(page, assert_accessible):
    load_demo()
    case = Case.objects.create(
        reference="HS-2026-009001",
        priority="P2",
        qualification="bullying",
        state="triaged",
        school=School.objects.get(uai="0800020M"),
    )
    person = Person.objects.create(kind="pupil", first_name="Maëlys", last_name="Lefebvre")
    Involvement.objects.create(case=case, person=person, role="victim")

    log_in(page, Role.COORDINATOR)
    assert page.title().startswith("Aujourd’hui")
    assert "Raccourcis" in page.locator("main").inner_text()
    assert_accessible(page)

    tab_to(page, "recherche-entete-champ")
    page.keyboard.type("maelys lefevre")  # no diaeresis, a letter missing
    page.keyboard.press("Enter")
    page.wait_for_url("**/espace/recherche/?q=*")
    main = page.locator("main")
    assert "HS-2026-009001" in main.inner_text()
    assert "Élève : Maëlys Lefebvre (victime)" in main.inner_text()
    assert page.locator("#recherche-entete-champ").input_value() == "maelys lefevre"
    assert_accessible(page)

    # A query too short is said in French, on an accessible page (the browser stops it first when it
    # checks the field's length; the server says it to any other client).
    page.goto("/espace/recherche/?q=m")
    assert "Saisissez au moins 2 caractères." in page.locator("main").inner_text()
    assert_accessible(page)

    page.goto("/espace/recherche/?q=maelys+lefevre")
    page.get_by_role("link", name="HS-2026-009001").click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/")
    assert "Maëlys" in page.locator("main").inner_text()


def test_the_search_box_on_a_small_screen_opens_and_closes(page, assert_accessible):
    load_demo()
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, Role.COORDINATOR)
    box = page.locator("#recherche-entete-champ")
    assert not box.is_visible()
    page.get_by_role("button", name="Rechercher").first.click()
    box.wait_for(state="visible")
    box.fill("HS-2026")
    box.press("Enter")
    page.wait_for_url("**/espace/recherche/?q=HS-2026")
    assert_accessible(page)
