"""The journey a child finishes alone, on a small phone, with the keyboard only, with and without
JavaScript: from the home page to the receipt code without typing an address, axe clean on every
page; the quick exit leaves nothing to go back to; Enter at step 2 keeps the school chosen."""

import re

import pytest

from halte.reports.models import Report
from tests.factories import SchoolFactory

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 667}
STEP_PATH = re.compile(r"/signaler/[a-z-]+/$")


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


@pytest.fixture
def school(db):
    return SchoolFactory(uai="0800020M", name="Collège Amiral Lejeune", commune="Amiens")


@pytest.fixture
def phone(browser, live_server):
    """A 375×667 phone; `phone(javascript=False)` is one whose browser runs no script at all."""
    contexts = []
    errors: list[str] = []
    checker = None

    def open_page(*, javascript: bool = True):
        context = browser.new_context(
            base_url=live_server.url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport=PHONE,
            java_script_enabled=javascript,
            has_touch=True,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.halte_javascript = javascript
        page.halte_checker = lambda: checker_page()
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and not message.text.startswith("Failed to load resource")
                and errors.append(f"{page.url}: {message.text}")
            ),
        )
        page.on(
            "response",
            lambda response: (
                response.status == 404
                and response.request.resource_type != "document"
                and errors.append(f"404 {response.url}")
            ),
        )
        return page

    def checker_page():
        # axe waits on timers, which never fire where scripts are off: the page without JavaScript is
        # checked as a copy of its document, served at the same address under a policy that runs none
        # of its scripts, so that axe sees exactly what the phone without JavaScript shows.
        nonlocal checker
        if checker is None:
            context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=PHONE)
            contexts.append(context)
            checker = context.new_page()
            checker.halte_copy = ""
            checker.route(
                "**/__copie-sans-javascript__",
                lambda route: route.fulfill(
                    status=200,
                    content_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": "script-src 'none'"},
                    body=checker.halte_copy,
                ),
            )
        return checker

    yield open_page
    for context in contexts:
        context.close()
    assert errors == []


def focused(page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would; never click."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def accessible(page) -> None:
    if page.halte_javascript:
        assert axe_violations(page) == [], page.url
        return
    checker = page.halte_checker()
    checker.halte_copy = page.content()
    checker.goto("/__copie-sans-javascript__")
    assert axe_violations(checker) == [], page.url


def enter_on(page, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_journey_to_the_receipt(page) -> str:
    page.goto("/")
    accessible(page)
    # The buttons are in the page itself: the menu of a phone without JavaScript does not open.
    enter_on(page, "main a[href='/signaler/']")
    assert page.url.endswith("/signaler/")
    accessible(page)
    enter_on(page, "main button[type='submit']")

    # Step 1: a pupil, anonymous: the identity fields are not even shown.
    assert page.url.endswith("/signaler/qui/")
    accessible(page)
    tab_to(page, "input[name='reporter_kind'][value='victim']")
    page.keyboard.press("Space")
    tab_to(page, "input[name='anonymity']")
    page.keyboard.press("Space")
    assert page.locator("input[name='anonymity'][value='anonymous']").is_checked()
    assert not page.locator("input[name='reporter_name']").is_visible()
    accessible(page)
    enter_on(page, "main form button[type='submit']")

    # Step 2: search with Enter in the search field, choose, continue with Enter.
    assert page.url.endswith("/signaler/etablissement/")
    accessible(page)
    tab_to(page, "input[name='school_query']")
    page.keyboard.type("amiral lejeune")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    accessible(page)
    tab_to(page, "input[name='school'][value='0800020M']")
    page.keyboard.press("Space")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Step 3: nobody named; Continuer.
    assert page.url.endswith("/signaler/eleves/")
    accessible(page)
    enter_on(page, "main form button[type='submit']")

    # Step 4: sent empty first — the errors come first, in plain words, and take the focus.
    assert page.url.endswith("/signaler/faits/")
    accessible(page)
    enter_on(page, "main form button[type='submit']")
    assert page.title().startswith("Erreur : ")
    summary = page.locator("#erreurs")
    assert focused(page, "#erreurs")
    assert "Choisis une réponse." in summary.inner_text()
    accessible(page)
    tab_to(page, "input[name='since']")
    page.keyboard.press("Space")
    tab_to(page, "input[name='frequency']")
    page.keyboard.press("Space")
    tab_to(page, "textarea[name='description']")
    page.keyboard.type("Ils me traitent tous les jours à la cantine et personne ne dit rien.")
    enter_on(page, "main form button[type='submit']")

    # Step 5.
    assert page.url.endswith("/signaler/bien-etre/")
    accessible(page)
    tab_to(page, "input[name='immediate_danger'][value='no']")
    page.keyboard.press("Space")
    enter_on(page, "main form button[type='submit']")

    # Step 6: send.
    assert page.url.endswith("/signaler/envoyer/")
    accessible(page)
    enter_on(page, "main form button[type='submit']")
    code = page.locator("#code-de-suivi").inner_text()
    assert re.fullmatch(r"(\d{4} ){4}\d{4}", code)
    receipt = page.locator("main").inner_text()
    assert "montre-le à un adulte de confiance" in receipt
    assert "Télécharger le code" in receipt
    accessible(page)
    return code


@pytest.mark.parametrize("javascript", [False, True], ids=["sans-javascript", "avec-javascript"])
def test_a_child_on_a_phone_reaches_the_receipt_code_with_the_keyboard_only(phone, school, javascript):
    page = phone(javascript=javascript)
    code = keyboard_journey_to_the_receipt(page)
    report = Report.objects.get()
    assert report.school == school
    assert report.is_anonymous
    assert report.since and report.frequency
    # The print button needs a script: shown with one, hidden without.
    assert page.locator("[data-print]").is_visible() is javascript
    assert code


@pytest.mark.parametrize("javascript", [False, True], ids=["sans-javascript", "avec-javascript"])
def test_back_after_the_quick_exit_shows_no_step_of_the_form(phone, school, live_server, settings, javascript):
    settings.HALTE = {**settings.HALTE, "QUICK_EXIT_URL": f"{live_server.url}/healthz"}
    page = phone(javascript=javascript)
    page.goto("/")
    page.get_by_role("link", name="Signaler", exact=True).click()
    page.get_by_role("button", name="Commencer").click()
    page.get_by_label("Je suis l’élève qui subit").check(force=True)
    page.get_by_label("Je reste anonyme").check(force=True)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Tu ne la trouves pas ? Écris son nom et sa ville").fill("Collège du Centre, Albert")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url("**/signaler/faits/")
    page.get_by_label("Raconte avec tes mots").fill("Ils m'ont frappé derrière le gymnase.")

    # Step 4: leave.
    page.get_by_role("link", name="Quitter vite ce site").click()
    page.wait_for_url("**/healthz")

    # Every Back lands on the neutral site or before the form: never on a step, never on what was typed.
    seen = []
    for _ in range(6):
        page.go_back()
        page.wait_for_load_state()
        seen.append(page.url)
        assert not STEP_PATH.search(page.url.removeprefix(live_server.url)), seen
        body = page.content()
        assert "Étape" not in body and "Ils m'ont frappé" not in body and "Collège du Centre" not in body, seen
        if page.url.endswith("/signaler/") or page.url.rstrip("/") == live_server.url:
            break
    # Every entry of the form was gone through, down to the page before it.
    assert seen[-1].endswith("/signaler/"), seen
    assert len(seen) >= 4, seen


@pytest.mark.parametrize("javascript", [False, True], ids=["sans-javascript", "avec-javascript"])
def test_enter_at_step_two_keeps_the_chosen_school_or_the_typed_name(phone, school, javascript):
    page = phone(javascript=javascript)
    page.goto("/signaler/")
    page.get_by_role("button", name="Commencer").click()
    page.get_by_label("Je suis un ou une élève témoin").check(force=True)
    page.get_by_label("Je reste anonyme").check(force=True)
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url("**/signaler/etablissement/")

    page.get_by_label("Nom de ton école, collège ou lycée, ou sa ville").fill("lejeune")
    with page.expect_navigation():
        page.get_by_label("Nom de ton école, collège ou lycée, ou sa ville").press("Enter")
    radio = page.locator("input[name='school'][value='0800020M']")
    radio.focus()
    page.keyboard.press("Space")
    assert radio.is_checked()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/signaler/eleves/"), "Enter on the chosen school ran the search again"

    page.get_by_role("link", name="Revenir en arrière").click()
    page.wait_for_url("**/signaler/etablissement/")
    assert page.locator("input[name='school'][value='0800020M']").is_checked()

    # Enter in « Tu ne la trouves pas ? » continues with the name typed, never a search that erases it.
    other = page.get_by_label("Tu ne la trouves pas ? Écris son nom et sa ville")
    other.fill("École Jean Moulin, Albert")
    with page.expect_navigation():
        other.press("Enter")
    assert page.url.endswith("/signaler/eleves/")
    page.get_by_role("link", name="Revenir en arrière").click()
    page.wait_for_url("**/signaler/etablissement/")
    assert page.get_by_label("Tu ne la trouves pas ? Écris son nom et sa ville").input_value() == (
        "École Jean Moulin, Albert"
    )


@pytest.mark.parametrize("javascript", [False, True], ids=["sans-javascript", "avec-javascript"])
def test_cookies_blocked_gives_a_french_page_with_the_quick_exit(phone, db, javascript):
    page = phone(javascript=javascript)
    page.goto("/signaler/")
    page.context.clear_cookies()  # what a browser blocking cookies sends back: nothing
    with page.expect_navigation():
        tab_to(page, "main button[type='submit']")
        page.keyboard.press("Enter")
    assert page.title().startswith("Erreur : ")
    main = page.locator("main").inner_text()
    assert "La page n’a pas pu être envoyée" in main
    assert "CSRF" not in page.content()
    assert page.locator("#quitter-vite").is_visible()
    accessible(page)
    page.get_by_role("link", name="Recommencer le signalement").click(force=True)
    page.wait_for_url("**/signaler/")
