"""Families per pupil in a real browser: the magistrate puts one alleged author's family under « ne pas
informer »; the CPE adds that pupil's mother (a bad phone number first, told in French), meets the
warning on the contact form and is refused « famille informée », then meets it again before a
convocation. axe finds nothing on any of these pages, errors included."""

import base64
import re

import pytest
from django.utils import timezone
from django_otp.oath import totp

from halte.accounts.models import Membership, Role
from halte.cases.models import Case, Guardianship, Involvement, Person
from halte.demo.loader import account_sheet, load_demo
from halte.directory.models import School
from halte.interventions.models import FamilyContact, FamilyRestriction, ParentsInformation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def log_in(page, email_start):
    account = next(a for a in account_sheet() if a["email"].startswith(email_start))
    page.context.clear_cookies()
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(base64.b32decode(account['totp_secret'])):06d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/espace/")


def a_case() -> tuple[Case, Person, Person]:
    school = School.objects.get(uai="0800020M")
    lead = Membership.objects.filter(role=Role.COORDINATOR).first()
    case = Case.objects.create(
        reference="HS-2026-009001",
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        school=school,
        summary="Insultes répétées dans le bus.",
        lead=lead,
    )
    people = {}
    for role, first_name, last_name in (
        ("victim", "Léo", "Garnier"),
        ("alleged_author", "Hugo", "Bernard"),
        ("alleged_author", "Noah", "Petit"),
    ):
        person = Person(kind="pupil", first_name=first_name, last_name=last_name, school=school, class_name="4e A")
        person.save()
        Involvement.objects.create(case=case, person=person, role=role)
        people[first_name] = person
    return case, people["Hugo"], people["Noah"]


def test_ne_pas_informer_one_family_then_the_cpe_meets_it_everywhere(page, live_server, assert_accessible):
    page.set_default_timeout(30_000)  # the case page is long: a shared machine may take its time
    load_demo()
    case, hugo, noah = a_case()
    case_url = f"/dossiers/{case.public_id}/"

    log_in(page, "magistrat@")
    page.goto(case_url + "familles/ne-pas-informer/")
    assert page.locator("main h1").inner_text().startswith("Ne pas informer une famille")
    assert_accessible(page)
    page.locator("label", has_text="Famille d’Hugo Bernard (auteur présumé)").click()
    page.get_by_label("Motif (besoin de l’enquête)").fill("Audition des parents prévue par les enquêteurs.")
    page.get_by_role("button", name="Poser la consigne").click()
    page.wait_for_url(f"**{case_url}#titre-familles")
    assert FamilyRestriction.objects.get(case=case).pupil == hugo
    assert "Lever la consigne sur la famille d’Hugo Bernard" in page.locator("main").inner_text()
    assert_accessible(page)

    log_in(page, "cpe.lejeune@")
    page.goto(case_url)
    assert_accessible(page)
    page.get_by_role("link", name="Ajouter un représentant légal d’Hugo Bernard").first.click()
    page.wait_for_url("**/representants/")
    assert_accessible(page)
    page.get_by_label("Prénom").fill("Claire")
    page.get_by_label("Nom", exact=True).fill("Bernard")
    page.get_by_label("Téléphone").fill("12 34")
    page.get_by_label("Adresse postale").fill("3 rue des Lilas\n80000 Amiens")
    page.locator("label", has_text="Mère").click()
    page.locator("label", has_text=re.compile(r"^\s*Oui\s*$")).click()
    page.get_by_role("button", name="Ajouter le représentant légal").click()
    assert "Numéro de téléphone non reconnu" in page.locator("main").inner_text()
    assert_accessible(page)  # the page with its errors
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Ajouter le représentant légal").click()
    page.wait_for_url(f"**{case_url}#titre-personnes")
    link = Guardianship.objects.get(child=hugo)
    assert (link.guardian.phone, link.relationship, link.parental_authority) == ("06 12 34 56 78", "mother", True)

    page.goto(case_url + f"familles/contact/?famille={hugo.public_id}")
    main = page.locator("main").inner_text()
    assert "Consigne « ne pas informer »" in main
    assert "Audition des parents" not in main  # the reason is the judicial side's
    assert_accessible(page)
    # A contact within the case (interventions are dated within it): today.
    page.get_by_label("Date et heure").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Résumé de l’échange").fill("La mère a appelé le collège.")
    page.locator("label", has_text="La famille a été informée").click()
    page.get_by_role("button", name="Enregistrer le contact").click()
    assert "vous ne pouvez pas enregistrer que cette famille a été informée" in page.locator("main").inner_text()
    assert not FamilyContact.objects.exists() and not ParentsInformation.objects.exists()
    assert_accessible(page)

    page.goto(case_url + "documents/nouveau/convocation/")
    assert "Consigne « ne pas informer »" in page.locator("main").inner_text()
    assert_accessible(page)
    assert noah  # the other author's family is not concerned: no warning on its block
