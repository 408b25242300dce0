"""The case page by keyboard: the summary header says what matters, Tab reaches the side menu, Enter on
a section moves the focus to that section; a form reached from the case page on its own page (its
French error, then saved); the print view (without the header when printed); the calendar by month,
week and list. axe finds nothing on any of them."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp

from halte.accounts.models import Membership, Role
from halte.cases.models import Action, Case, FollowUp, Involvement, Note, Person
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
    return account


def tab_until(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches the selector, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def a_case() -> Case:
    coordinator = Membership.objects.filter(role=Role.COORDINATOR).first()
    case = Case.objects.create(
        reference="HS-2026-009101",
        priority="P1",
        qualification="bullying",
        state="in_intervention",
        school=School.objects.get(uai="0800020M"),
        summary="Moqueries et bousculades répétées dans la cour.",
        lead=coordinator,
    )
    for first, last, role in (
        ("Maëlys", "Lefebvre", "victim"),
        ("Enzo", "Martin", "alleged_author"),
        ("Lucas", "Petit", "alleged_author"),
    ):
        Involvement.objects.create(
            case=case, person=Person.objects.create(kind="pupil", first_name=first, last_name=last), role=role
        )
    day = timezone.localdate() + timedelta(days=2)
    FollowUp.objects.create(case=case, day=7, due_on=day)
    Action.objects.create(
        case=case,
        title="Rencontrer les parents de Maëlys",
        owner_organisation=coordinator.organisation,
        due_at=timezone.now() + timedelta(days=1),
        created_by=coordinator,
    )
    return case


def test_the_case_page_by_keyboard_a_form_page_and_the_print_view(page, assert_accessible):
    load_demo()
    case = a_case()
    log_in(page, Role.COORDINATOR)
    page.goto(f"/dossiers/{case.public_id}/")
    summary = page.locator("section.halte-case-summary")
    text = summary.inner_text()
    assert "Maëlys Lefebvre" in text
    assert "Enzo Martin" in text and "Lucas Petit" in text and "Auteurs présumés" in text
    assert "Rencontrer les parents de Maëlys" in text
    assert "J+7" in text
    assert_accessible(page)

    # Tab to the side menu, Enter on « Personnes »: the focus lands on that section's heading…
    tab_until(page, "#menu-dossier a[href='#titre-personnes']")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'titre-personnes'")
    assert focused_id(page) == "titre-personnes"
    assert page.locator("#titre-personnes").is_visible()
    # …and the next Tab continues inside that section (its « Ajouter une personne » link).
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('section').getAttribute('aria-labelledby')") == (
        "titre-personnes"
    )
    # The menu stays in view while the page scrolls (sticky).
    assert page.locator("#menu-dossier").is_visible()
    box = page.locator("#menu-dossier .fr-sidemenu__inner").bounding_box()
    assert box is not None and box["y"] < page.viewport_size["height"]

    # A form of the case page, on its own page: « Écrire une note », refused empty, then saved.
    tab_until(page, "#menu-dossier a[href='#titre-notes']")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Écrire une note").click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/notes/?volet=dossier")
    assert_accessible(page)
    page.get_by_role("button", name="Ajouter la note").click()
    page.wait_for_load_state()
    assert "Rien n’a été enregistré" in page.locator("main").inner_text()
    assert page.title().startswith("Erreur")
    assert_accessible(page)
    page.get_by_role("textbox", name="Note").fill("Parents de Maëlys rappelés ce matin.")
    page.get_by_role("button", name="Ajouter la note").click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/")
    assert "Parents de Maëlys rappelés ce matin." in page.locator("main").inner_text()
    assert Note.objects.filter(case=case).count() == 1

    # The print view: what the coordinator reads, no form, no header once printed.
    page.get_by_role("link", name="Version à imprimer").click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/imprimer/")
    main = page.locator("main").inner_text()
    assert "Document confidentiel" in main and "Maëlys Lefebvre" in main
    assert_accessible(page)
    page.emulate_media(media="print")
    assert not page.locator("header.fr-header").is_visible()
    assert not page.get_by_role("button", name="Imprimer").is_visible()
    assert page.locator("#titre-personnes").is_visible()
    page.emulate_media(media="screen")


def test_the_calendar_by_month_week_and_list(page, assert_accessible):
    load_demo()
    case = a_case()
    log_in(page, Role.COORDINATOR)
    page.get_by_role("link", name="Calendrier").first.click()
    page.wait_for_url("**/calendrier/")
    assert page.locator("main h1").inner_text() == "Calendrier"
    table = page.locator("main table")
    assert "Rencontrer les parents de Maëlys" in table.inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Semaine", exact=True).click()
    page.wait_for_url("**vue=semaine**")
    assert page.locator("main table tbody tr").count() == 1
    assert "Semaine du" in page.locator("main h2").first.inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Liste", exact=True).click()
    page.wait_for_url("**vue=liste**")
    listing = page.locator("main").inner_text()
    assert f"J+7 — {case.reference}" in listing
    assert "Rencontrer les parents de Maëlys" in listing
    assert_accessible(page)
    page.get_by_role("link", name=f"J+7 — {case.reference}").click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/#titre-suivis")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'titre-suivis'")
