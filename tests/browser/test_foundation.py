"""Log in with 2FA as a demo user, keyboard only; axe finds nothing on the foundation's pages."""

import base64

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.accounts.models import Membership, MembershipGrant, Role
from halte.demo.loader import account_sheet, load_demo
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_from_secret(secret: str) -> str:
    return f"{totp(base64.b32decode(secret)):06d}"


def tab_until(page, predicate_js: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return {predicate_js}; }}"):
            return
    raise AssertionError(f"Focus never reached: {predicate_js}")


def test_demo_coordinator_logs_in_with_keyboard_only(page, assert_accessible):
    load_demo()
    account = next(a for a in account_sheet() if a["role"] == Role.COORDINATOR)

    page.goto("/")
    assert_accessible(page)
    # The first Tab reaches the skip links, the first of which goes to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#contenu"
    tab_until(page, "el.textContent.trim() === 'Espace professionnel'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/connexion/")
    assert_accessible(page)

    page.keyboard.type(account["email"])  # the email field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(account["password"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/connexion/verification/")
    assert_accessible(page)

    page.keyboard.type(code_from_secret(account["totp_secret"]))
    page.keyboard.press("Enter")
    page.wait_for_url("**/espace/")
    assert page.locator("main h1").inner_text().startswith("Bonjour Claire")
    assert "Coordinatrice de la cellule" in page.content()  # the role agrees with the person (Mme)
    assert_accessible(page)


def test_wrong_code_message_is_announced_and_accessible(page, assert_accessible):
    load_demo()
    account = next(a for a in account_sheet() if a["role"] == Role.POLICE_LIAISON)
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/verification/")
    page.get_by_label("Code à 6 chiffres").fill("12345")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_selector("text=n’est pas valable")
    assert_accessible(page)


def test_enrolment_and_recovery_code_pages(page, assert_accessible, db):
    membership = MembershipFactory(user=UserFactory(with_totp=False, email="nouvelle@halte.test"))
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(membership.user.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/double-authentification/")
    assert page.locator(".halte-qr svg").count() == 1
    assert_accessible(page)
    device = TOTPDevice.objects.get(user=membership.user, confirmed=False)
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Activer").click()
    page.wait_for_url("**/codes-de-secours/")
    assert page.locator("#codes-de-secours li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="J’ai noté mes codes, continuer").click()
    page.wait_for_url("**/espace/")


def test_choose_membership_legal_and_error_pages(page, assert_accessible):
    load_demo()
    account = next(a for a in account_sheet() if a["other_roles"])
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(code_from_secret(account["totp_secret"]))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/structure/**")
    assert_accessible(page)
    page.get_by_text("Coordinateur ou coordinatrice de la cellule").click()
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url("**/espace/")
    assert "Vous agissez en tant que Coordinateur" in page.content()
    # A request waiting for this coordinator's confirmation: the habilitations page with its forms.
    admin = Membership.objects.get(role=Role.ADMIN, user__email__startswith="admin@")
    MembershipGrant.objects.create(
        user=UserFactory(),
        organisation=admin.organisation,
        role=Role.SOCIAL_WORKER,
        reason="Arrivée",
        requested_by=admin,
    )
    urls = [
        "/accessibilite/",
        "/mentions-legales/",
        "/donnees-personnelles/",
        "/connexion/mon-compte/",
        "/habilitations/",
    ]
    for url in urls:
        page.goto(url)
        assert_accessible(page)
    response = page.goto("/nulle-part/")
    assert response.status == 404
    assert_accessible(page)


def test_dpo_audit_journal_is_accessible(page, assert_accessible):
    load_demo()
    account = next(a for a in account_sheet() if a["role"] == Role.DPO)
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(code_from_secret(account["totp_secret"]))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/espace/")
    page.get_by_role("link", name="Journal d'audit").first.click()
    page.wait_for_url("**/journal/")
    assert "Connexion réussie" in page.content()
    assert_accessible(page)


def test_the_accessibility_check_does_fail_on_an_inaccessible_page(browser):
    """The check that every journey relies on finds what it must: an image without text alternative, a
    field without label — and again after a navigation (axe is injected per page)."""
    context = browser.new_context()
    page = context.new_page()
    broken = '<html lang="fr"><title>t</title><main><img src="data:,"><input id="a"></main></html>'
    try:
        for _ in range(2):
            page.set_content(broken)
            found = {violation.split(" ")[0] for violation in axe_violations(page)}
            assert {"image-alt", "label"} <= found, found
            page.set_content('<html lang="fr"><title>t</title><main><h1>Bien</h1></main></html>')
            assert axe_violations(page) == []
    finally:
        context.close()
