"""Each one does their own part, in a real browser, axe at zero on every page visited:

- the CPE of the case's own school starts the shared-concern method, records a meeting with the alleged
  author, records an interview with the victim and a follow-up checkpoint — nobody from the cell does
  it on her behalf;
- the magistrate records the parquet's facts (procedure number, status, « faits avérés », outcome) and
  shares the judicial part of the case with the police for the investigation.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from halte.accounts.models import Membership, Organisation, Role
from halte.cases.models import Case, FollowUp, Involvement, Person, Share
from halte.demo.loader import load_demo
from halte.interventions.models import Interview, MppSeries
from halte.judicial.models import JudicialFacts

from .test_stats import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def _pupil(case, role, first_name, last_name):
    person = Person(kind="pupil", first_name=first_name, last_name=last_name, class_name="5e C")
    person.save()
    Involvement.objects.create(case=case, person=person, role=role)
    return person


def _school_case() -> tuple[Case, Membership, Person, Person]:
    """A case of the CPE's own school, led by the coordination, with a checkpoint due today."""
    cpe = Membership.objects.get(user__email__startswith="cpe.lejeune@")
    coordinator = Membership.objects.filter(role=Role.COORDINATOR).order_by("pk").first()
    case = Case.objects.create(
        reference="HS-2026-099901",
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        school=cpe.organisation.school,
        summary="Moqueries répétées dans la cour et sur un groupe de classe.",
        lead=coordinator,
    )
    victim = _pupil(case, "victim", "Lina", "Roussel")
    author = _pupil(case, "alleged_author", "Tom", "Garnier")
    FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate())
    return case, cpe, victim, author


def on_case_page(case):
    """The case page itself, with or without the anchor of the section it came back to."""
    return re.compile(rf"/dossiers/{case.public_id}/(#.*)?$")


def _just_now() -> str:
    return timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def test_the_cpe_runs_the_shared_concern_method_an_interview_and_a_follow_up(page, assert_accessible):
    load_demo()
    case, cpe, victim, author = _school_case()
    log_in(page, "cpe.lejeune")
    page.goto(f"/dossiers/{case.public_id}/")
    assert_accessible(page)

    # The shared-concern method, started by the school itself.
    page.get_by_role("link", name="Engager la méthode avec un auteur présumé").click()
    page.wait_for_url("**/preoccupation-partagee/nouvelle/")
    assert_accessible(page)
    page.get_by_label("Élève auteur présumé").select_option(str(author.public_id))
    page.get_by_role("button", name="Engager la méthode avec cet élève").click()
    page.wait_for_url(on_case_page(case))
    assert "Préoccupation partagée engagée" in page.locator("main").inner_text()
    assert_accessible(page)
    series = MppSeries.objects.get(case=case)
    assert series.created_by == cpe

    page.get_by_role("link", name=f"Entretien avec {author}").click()
    page.wait_for_url("**/entretien/")
    assert_accessible(page)
    # « Mené par » is the CPE herself.
    assert page.get_by_label("Mené par").input_value() == str(cpe.public_id)
    page.get_by_label("Date et heure").fill(_just_now())
    page.get_by_label("Propositions faites par l’élève").fill("Tom propose de laisser Lina s’asseoir avec ses amies.")
    page.get_by_label("Ce qui s’est dit").fill("Tom dit qu’il voit bien que Lina est seule à la cantine.")
    # A first meeting: no previous proposals to ask about.
    assert page.locator("#id_proposals_done_0").count() == 0
    page.get_by_role("button", name="Enregistrer l’entretien").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(on_case_page(case))
    assert "Entretien enregistré" in page.locator("main").inner_text()
    assert_accessible(page)
    meeting = Interview.objects.get(series=series)
    assert meeting.conducted_by == cpe

    # An interview with the victim, her words verbatim.
    page.get_by_role("link", name="Enregistrer un entretien").click()
    page.wait_for_url("**/entretiens/nouveau/")
    assert_accessible(page)
    victim_involvement = Involvement.objects.get(case=case, person=victim)
    page.get_by_label("Personne entendue").select_option(str(victim_involvement.pk))
    page.get_by_label("Forme de l’entretien").select_option("hearing")
    page.get_by_label("Paroles de l’élève, mot pour mot").fill("« Ils m’appellent la girafe tous les jours. »")
    page.get_by_label("Date et heure").fill(_just_now())
    page.get_by_label("Mené par").select_option(str(cpe.public_id))
    page.get_by_role("button", name="Enregistrer l’entretien").click()
    page.wait_for_url(on_case_page(case))
    assert_accessible(page)
    interview = Interview.objects.get(case=case, series__isnull=True)
    assert interview.person == victim and interview.conducted_by == cpe

    # The J+7 checkpoint.
    follow_up = FollowUp.objects.get(case=case)
    page.goto(f"/dossiers/{case.public_id}/suivis/{follow_up.public_id}/")  # the checkpoint's own page
    assert_accessible(page)
    form = page.locator("main form").filter(has=page.get_by_label("Observations"))
    prefix = f"id_suivi-{follow_up.pk}"
    page.locator(f"label[for={prefix}-victim_view_0]").click()  # « Mieux »
    page.locator(f"label[for={prefix}-wellbeing_3]").click()  # 4 out of 5
    page.locator(f"label[for={prefix}-decision_0]").click()
    form.get_by_label("Observations").fill("Lina dit que Tom la laisse tranquille depuis lundi.")
    form.get_by_role("button", name="Enregistrer ce point de suivi").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(on_case_page(case))
    assert "Point de suivi enregistré" in page.locator("main").inner_text()
    assert_accessible(page)
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None and follow_up.recorded_by == cpe


def test_the_magistrate_records_the_judicial_facts_and_shares_the_judicial_part(page, assert_accessible):
    load_demo()
    case, _cpe, _victim, _author = _school_case()
    magistrate = Membership.objects.get(user__email__startswith="magistrat@")
    police = Organisation.objects.get(short_name="Police 80")
    log_in(page, "magistrat")
    page.goto(f"/dossiers/{case.public_id}/")
    assert "Le parquet n’a encore rien renseigné." in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Renseigner le volet judiciaire").click()
    page.wait_for_url("**/volet-judiciaire/")
    assert_accessible(page)
    page.get_by_label("Numéro de procédure (numéro parquet)").fill("26123000045")
    page.get_by_label("État de l’enquête").select_option("investigation")
    page.locator("label[for=id_facts_established_3]").click()  # « Non établi à ce stade »
    page.get_by_label("Suite judiciaire").fill("Audition de l’élève mis en cause prévue le 15.")
    page.get_by_role("button", name="Enregistrer le volet judiciaire").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(on_case_page(case))
    main = page.locator("main").inner_text()
    assert "Volet judiciaire enregistré" in main and "26123000045" in main and "Enquête en cours" in main
    assert_accessible(page)
    facts = JudicialFacts.objects.get(case=case)
    assert (facts.status, facts.facts_established, facts.updated_by) == (
        "investigation",
        "not_established",
        magistrate,
    )

    # The judicial part shared with the police unit, with its legal basis and an expiry.
    until = timezone.localdate() + timedelta(days=90)
    page.goto(f"/dossiers/{case.public_id}/partages/")  # the sharing page
    assert_accessible(page)
    page.get_by_role("combobox", name=re.compile(r"^Structure")).select_option(label=police.name)
    page.locator("label[for=id_compartments_1]").click()  # « Volet judiciaire »
    page.get_by_label("Fondement juridique").select_option("art40")
    page.get_by_label("Partage valable jusqu’au").fill(until.isoformat())
    page.get_by_role("button", name="Partager").click()
    page.wait_for_url(on_case_page(case))
    assert "Dossier partagé." in page.locator("main").inner_text()
    assert_accessible(page)
    share = Share.objects.get(case=case, organisation=police)
    assert share.compartments == ["judicial"] and share.created_by == magistrate and share.expires_on == until
