"""The coordinator's first day, in a real browser, axe at zero on every page.

A mother's SMS names three pupils, one of them with the spelling of a phone keyboard. At triage the
coordinator confirms the pupils one by one: the victim's existing record (same school, same name once
folded) is reused rather than duplicated, the vague « le grand de 4e » is dropped. Later she finds
the case by typing the victim's name wrong in the header's search box. This morning the cell met in
an emergency by phone: she records it after the fact, then the attendance (one person excused after
all) and the minutes on the case.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from halte.cases.enums import PersonKind
from halte.cases.models import Case, Person
from halte.demo.loader import load_demo
from halte.directory.models import School
from halte.meetings.models import Invitation, Meeting
from halte.reports.actions import PupilData, ReportData, submit_report

from .test_search import tab_to
from .test_stats import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHOOL_UAI = "0800020M"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def pupil_section(page, name: str):
    """The confirmation block of one pupil of the report, on the triage page."""
    return page.locator("section", has=page.get_by_role("heading", name=re.compile(rf"^{re.escape(name)} —")))


def test_the_coordinator_triages_finds_the_case_and_records_an_emergency_meeting(page, assert_accessible):
    load_demo()
    school = School.objects.get(uai=SCHOOL_UAI)
    # Maëlys was already the victim in a case last year: her record exists.
    known = Person(kind=PersonKind.PUPIL, first_name="Maëlys", last_name="Lefebvre", class_name="6e A", school=school)
    known.save()
    report = submit_report(
        data=ReportData(
            channel="sms",
            reporter_kind="parent",
            description="ma fille maelys se fait frapper et insulter par noah girard et le grand de 4e tous les jours",
            school=school,
            forms=["physical", "verbal"],
            frequency="daily",
            since="weeks",
            pupils=[
                PupilData(first_name="maelys", last_name="LEFEBVRE", role="victim"),
                PupilData(first_name="noah", last_name="girard", role="alleged_author"),
                PupilData(first_name="le grand", last_name="de 4e", role="alleged_author"),
            ],
        ),
        actor=None,
    ).report

    # 1. Triage: the pupils of the SMS become the case's people, each one confirmed.
    log_in(page, "coordination")
    assert_accessible(page)
    page.goto(f"/signalements/{report.public_id}/trier/")
    assert_accessible(page)
    maelys = pupil_section(page, "maelys LEFEBVRE")
    reuse = maelys.get_by_role("radio", name=re.compile(r"^Maëlys Lefebvre — 6e A"))
    assert reuse.is_checked()  # same normalised name, same school: reuse proposed and chosen
    noah = pupil_section(page, "noah girard")
    noah.get_by_label(re.compile(r"^\s*Prénom")).fill("Noah")
    noah.get_by_label(re.compile(r"^\s*Nom")).fill("Girard")
    noah.get_by_label("Classe").fill("5e C")
    pupil_section(page, "le grand de 4e").get_by_text("Non, ne pas l’ajouter", exact=True).click()
    page.get_by_text("Ouvrir un dossier", exact=True).click()
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url("**/dossiers/*/")
    assert_accessible(page)
    case = Case.objects.get(reports=report)
    assert set(case.involvements.values_list("person__first_name", "person__last_name", "role")) == {
        ("Maëlys", "Lefebvre", "victim"),
        ("Noah", "Girard", "alleged_author"),
    }
    assert Person.objects.filter(last_name__iexact="lefebvre").count() == 1  # reused, not duplicated
    assert not Person.objects.filter(first_name__icontains="grand").exists()  # dropped: nothing created

    # 2. Search: the victim's name typed wrong finds the case.
    page.goto("/espace/")
    tab_to(page, "recherche-entete-champ")
    page.keyboard.type("maelis lefebre")
    page.keyboard.press("Enter")
    page.wait_for_url("**/espace/recherche/?q=*")
    assert_accessible(page)
    assert "Élève : Maëlys Lefebvre (victime)" in page.locator("main").inner_text()
    page.get_by_role("link", name=case.reference).click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/")

    # 3. This morning's emergency meeting by phone, recorded after the fact.
    page.goto("/cellule/reunions/")
    assert_accessible(page)
    page.get_by_role("link", name="Enregistrer une réunion déjà tenue").click()
    page.wait_for_url("**/reunions/deja-tenue/")
    assert_accessible(page)
    earlier = timezone.localtime() - timedelta(hours=3)
    page.locator("label[for=id_mode_1]").click()  # by phone; DSFR radios are styled through their label
    page.get_by_label("Date à laquelle elle a eu lieu").fill(earlier.date().isoformat())
    page.get_by_label("Heure de début").fill(earlier.strftime("%H:%M"))
    page.locator("input[name=members] + label").nth(0).click()
    page.locator("input[name=members] + label").nth(1).click()
    page.get_by_role("button", name="Enregistrer la réunion").click()
    page.wait_for_url("**/reunions/*/")
    assert "Réunion enregistrée comme tenue" in page.locator("main").inner_text()
    assert_accessible(page)
    meeting = Meeting.objects.get(mode=Meeting.Mode.PHONE)
    assert meeting.status == Meeting.Status.HELD
    assert abs(meeting.starts_at - earlier.replace(second=0, microsecond=0)) < timedelta(minutes=1)

    # 4. The attendance, corrected after the fact: one of them had excused herself after all.
    first, second = meeting.invitations.order_by("pk")
    assert {first.attendance, second.attendance} == {Invitation.Attendance.PRESENT}
    page.get_by_text("Relever les présences").click()
    page.locator(f"label[for=id_presence_{second.pk}_2]").click()  # « Excusée », « Excusé » or « Excusé(e) »
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les présences").click()
    assert_accessible(page)
    second.refresh_from_db()
    assert second.attendance == Invitation.Attendance.EXCUSED
    # Said of the person, agreeing with her civility (the demo's accounts give theirs).
    word = {"mme": "Excusée", "m": "Excusé"}.get(second.membership.user.civility, "Excusé(e)")
    assert f"{second.membership.user.get_full_name()}\t{second.membership.organisation.name}\t{word}\n" in (
        page.locator("#titre-invitations + .fr-table").inner_text()
    )

    # 5. The minutes on the case discussed.
    page.get_by_label("Référence du dossier").fill(case.reference)
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter ce dossier").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(rf"À rédiger.*{case.reference}")).click()
    page.wait_for_url("**/points/*/")
    assert_accessible(page)
    page.get_by_role("textbox", name=re.compile(r"^\s*Compte rendu")).fill(
        "Réunion téléphonique d'urgence : la principale reçoit Noah et ses parents demain, "
        "Maëlys change de place en classe dès aujourd'hui."
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer le compte rendu").click()
    assert_accessible(page)
    item = meeting.items.get(case=case)
    assert item.minutes_at is not None
    assert "Maëlys change de place" in item.minutes
    page.goto(f"/cellule/reunions/{meeting.public_id}/")
    assert "Compte rendu rédigé" in page.locator("main").inner_text()
    assert_accessible(page)
