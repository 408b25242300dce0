"""A collège asks for a workshop, the coordinator assigns the approved association, the association
confirms and records the delivery, and the school's coverage changes. axe finds nothing on any page."""

import base64
from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.oath import totp

from halte.accounts.models import Organisation, Role
from halte.demo.loader import account_sheet, load_demo
from halte.prevention.enums import RequestStatus
from halte.prevention.models import Approval, WorkshopRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHOOL_UAI = "0800020M"  # Collège Amiral Lejeune, where the demo CPE works


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


def coverage_url() -> str | None:
    try:
        return reverse("prevention:coverage")
    except NoReverseMatch:
        return None


def assert_coverage_changed(page, *, school_name: str, pupils_reached: int, assert_accessible) -> None:
    """The coverage page (another part of the prevention work) shows the pupils the school reached."""
    page.goto("/prevention/couverture/")
    assert_accessible(page)
    row = page.locator("tr", has_text=school_name).first
    assert str(pupils_reached) in row.inner_text()


def test_school_request_to_delivery_changes_coverage(page, browser, live_server, assert_accessible):
    load_demo()
    association = Organisation.objects.get(short_name="Parole d'élèves 80")
    today = timezone.localdate()
    Approval.objects.create(
        organisation=association,
        number="AG-80-2026-017",
        issuer="academic",
        themes=["bullying", "cyberbullying"],
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=3 * 365),
    )

    # The collège asks for a workshop.
    log_in(page, "cpe.lejeune")
    page.goto("/prevention/ateliers/")
    assert_accessible(page)
    page.get_by_role("link", name="Demander un atelier").click()
    page.wait_for_url("**/ateliers/demander/")
    assert_accessible(page)
    page.get_by_label("Thème de l’atelier").select_option("cyberbullying")
    page.locator("label[for='id_levels_3']").click()  # « 5e »: DSFR checkboxes are styled through their label
    page.get_by_label("Classes").fill("5e A, 5e B")
    page.get_by_label("Nombre d’élèves").fill("54")
    page.get_by_label("Dates souhaitées").fill("Avant les vacances de printemps")
    page.get_by_label("Pourquoi cette demande ?").fill("Des moqueries sur un groupe de messagerie de la classe.")
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_selector("text=Demande d’atelier envoyée")
    workshop = WorkshopRequest.objects.get()
    assert workshop.school.uai == SCHOOL_UAI
    assert workshop.levels == ["5e"]
    assert_accessible(page)
    school_name = workshop.school.name

    # The coordinator assigns the approved association.
    coordinator = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris").new_page()
    log_in(coordinator, "coordination")
    coordinator.goto("/prevention/ateliers/")
    assert_accessible(coordinator)
    coordinator.goto("/prevention/agrements/")
    assert_accessible(coordinator)
    assert "AG-80-2026-017" in coordinator.locator("main").inner_text()
    coordinator.goto("/prevention/ateliers/programmes/")
    assert_accessible(coordinator)
    coordinator.goto(f"/prevention/ateliers/{workshop.public_id}/")
    assert_accessible(coordinator)
    session = timezone.localtime(timezone.now() + timedelta(days=12)).replace(hour=9, minute=30)
    form = coordinator.locator(f"form[action$='/{workshop.public_id}/attribuer/']")
    form.get_by_label("Intervenant").select_option(str(association.pk))
    form.get_by_label("Date et heure prévues").fill(session.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name="Attribuer").click()
    coordinator.wait_for_selector("text=Atelier attribué à")
    assert_accessible(coordinator)
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.ASSIGNED and workshop.provider == association
    # The coordinator's tab stays open: logging in again within the same 30 seconds would reuse a
    # TOTP code, which the second factor rightly refuses.

    # The association confirms, then records the delivery.
    provider = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris").new_page()
    log_in(provider, "association")
    provider.goto("/prevention/ateliers/")
    assert_accessible(provider)
    provider.get_by_role("link", name=school_name).click()
    provider.wait_for_url(f"**/ateliers/{workshop.public_id}/")
    assert_accessible(provider)
    provider.get_by_role("button", name="Confirmer l’atelier").click()
    provider.wait_for_selector("text=Atelier confirmé.")
    assert_accessible(provider)
    provider.get_by_label("Classes touchées").fill("5e A, 5e B")
    provider.get_by_label("Nombre d’élèves touchés").fill("51")
    provider.get_by_label("Animateurs").fill("Inès R.")
    provider.get_by_label("Avis positifs des élèves").fill("44")
    provider.get_by_label("Avis négatifs des élèves").fill("2")
    provider.get_by_role("button", name="Enregistrer la réalisation").click()
    provider.wait_for_selector("text=Réalisation enregistrée.")
    assert_accessible(provider)
    provider.context.close()

    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.DELIVERED
    assert workshop.pupils_reached == 51
    assert workshop.delivered_on == today

    # The school sees its request delivered; its coverage for the year changed.
    page.goto(f"/prevention/ateliers/{workshop.public_id}/")
    assert "Réalisé" in page.locator("main").inner_text()
    assert_accessible(page)
    assert coverage_url() is not None
    assert_coverage_changed(
        coordinator, school_name=school_name, pupils_reached=51, assert_accessible=assert_accessible
    )
    coordinator.context.close()


def test_demo_roles_exist():
    """The journey relies on these demo accounts; say so plainly if one disappears."""
    roles = {a["email"].split("@")[0]: a["role"] for a in account_sheet()}
    assert roles["cpe.lejeune"] == Role.SCHOOL_STAFF
    assert roles["coordination"] == Role.COORDINATOR
    assert roles["association"] == Role.ASSOCIATION_WORKER
