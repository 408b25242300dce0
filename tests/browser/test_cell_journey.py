"""The cell at work, in a real browser: a report becomes a P2 case, the cell meets and decides, the school
does its part, the follow-ups and the closure are recorded, and a new report about the same pupil
proposes reopening the case. axe finds nothing on any page visited, whoever visits it.

Time travel is done in the database (the meeting is moved to the past so that its minutes can be written;
the case's opening and checkpoints are moved back a month so that J+7 and J+30 are due), never by sleeping.
"""

import base64
import re
from datetime import time, timedelta

import pytest
from django.core import mail
from django.db.models import F
from django.utils import timezone
from django_otp.oath import totp

from halte.accounts.models import Membership
from halte.cases import actions as case_actions
from halte.cases.enums import ActionStatus, ClosureOutcome, State
from halte.cases.models import Action, Case, FollowUp, Person
from halte.cases.severity import criteria_from_report
from halte.demo.loader import account_sheet, load_demo
from halte.directory.models import School
from halte.documents.actions import generate
from halte.documents.models import DocumentKind
from halte.interventions import families, interviews, measures, mpp
from halte.interventions.models import FamilyContact, Interview, MeasureCategory, MeasureKind
from halte.meetings.models import Invitation, Meeting
from halte.reports.actions import PupilData, ReportData, submit_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHOOL_UAI = "0800020M"  # Collège Amiral Lejeune, where the demo CPE works
SCHOOL_ORGANISATION = "Collège Amiral Lejeune"
DEPARTEMENT = "Conseil départemental de la Somme"
SCHOOL_DECISION = "Désigner un adulte référent et organiser la vigilance de l'équipe"
DEPARTEMENT_DECISION = "Proposer un accompagnement à la famille"
JUDICIAL_TEXT = "Stage de sensibilisation ordonné par le parquet, audience le 12 du mois prochain."


@pytest.fixture(autouse=True)
def _storage_in_tmp(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS", raising=False)
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)


# axe skips what is hidden: every closed <details> (the forms of the case page, of « Nos actions »…) is
# opened for the check, then closed again so that the journey goes on with the page as the user left it.
OPEN_DISCLOSURES = """() => {
    const closed = document.querySelectorAll('details:not([open])');
    closed.forEach(d => { d.open = true; d.dataset.axeOpened = '1'; });
    return closed.length;
}"""
CLOSE_DISCLOSURES = """() => document.querySelectorAll('details[data-axe-opened]').forEach(d => {
    d.open = false; delete d.dataset.axeOpened;
})"""


@pytest.fixture
def accessible(assert_accessible):
    """axe finds nothing on the page, including inside its closed disclosures."""

    def check(page):
        assert_accessible(page)
        if not page.evaluate(OPEN_DISCLOSURES):
            return  # nothing was closed: the page just checked is the whole page
        try:
            assert_accessible(page)
        finally:
            page.evaluate(CLOSE_DISCLOSURES)

    return check


@pytest.fixture
def open_as(browser, live_server):
    """One browser context per demo account, logged in once and kept: a TOTP code is never replayed.
    Each page reports console errors (CSP, scripts) and missing assets, as the shared `page` fixture does."""
    contexts, errors = [], []

    def open_page(email_prefix: str):
        context = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
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
        log_in(page, email_prefix)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == []


def log_in(page, email_prefix: str) -> None:
    account = next(a for a in account_sheet() if a["email"].startswith(f"{email_prefix}@"))
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique").fill(account["email"])
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(base64.b32decode(account['totp_secret'])):06d}")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/espace/")


def report_about(author_first: str, author_last: str, *, victim: tuple[str, str], description: str):
    """A phone report to the cell about a pupil threatened daily, online too, for months: P2."""
    return submit_report(
        data=ReportData(
            channel="phone",
            reporter_kind="parent",
            description=description,
            school=School.objects.get(uai=SCHOOL_UAI),
            forms=["threats", "cyber"],
            platforms=["snapchat"],
            frequency="daily",
            since="months",
            pupils=[
                PupilData(first_name=victim[0], last_name=victim[1], role="victim"),
                PupilData(first_name=author_first, last_name=author_last, role="alleged_author"),
            ],
        ),
        actor=None,
    ).report


def field(text: str) -> re.Pattern:
    """A form label, with or without the DSFR « * » marker of required fields."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def pupil_section(page, name: str):
    """The confirmation block of one pupil of the report, on the triage page."""
    return page.locator("section", has=page.get_by_role("heading", name=re.compile(rf"^{re.escape(name)} —")))


def nav(page, label: str) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=label, exact=True).click()


def submit(page, button, confirmation: str) -> None:
    """Send a form, wait for the page it leads to, and read its confirmation (never an error)."""
    with page.expect_navigation():
        button.click()
    assert page.locator(".fr-alert--error").count() == 0, page.locator(".fr-alert--error").all_inner_texts()
    assert confirmation in page.locator(".fr-alert--success").first.inner_text()


def add_person(page, accessible, *, role: str, first_name: str, last_name: str, class_name: str) -> None:
    page.get_by_role("link", name="Ajouter une personne").click()
    page.wait_for_url("**/personnes/")
    accessible(page)
    page.get_by_label("Rôle dans la situation").select_option(label=role)
    page.get_by_label("Type").select_option(label="Élève")
    page.get_by_label(field("Prénom")).fill(first_name)
    page.get_by_label(field("Nom")).fill(last_name)
    page.get_by_label("Classe").fill(class_name)
    submit(page, page.get_by_role("button", name="Ajouter"), "Personne ajoutée au dossier.")
    accessible(page)


def fill_decision(page, number: int, *, title: str, organisation: str, due_on) -> None:
    block = page.locator("fieldset", has=page.get_by_text(f"Nouvelle décision {number}", exact=True))
    block.get_by_label("Décision (action à mener)").fill(title)
    block.get_by_label("Structure responsable").select_option(label=organisation)
    block.get_by_label("Échéance").fill(due_on.isoformat())


def record_follow_up(page, follow_up: FollowUp, *, view: str, wellbeing: int, decision: str) -> None:
    """From the case page, the checkpoint's own page: record it, back where it leads."""
    page.locator(f"a[href$='/suivis/{follow_up.public_id}/']").click()
    page.wait_for_url(f"**/suivis/{follow_up.public_id}/")
    form = page.locator("main form[novalidate]")
    form.get_by_text(view, exact=True).click()  # DSFR radios are styled through their label
    form.get_by_text(str(wellbeing), exact=True).click()
    form.get_by_text(decision, exact=True).click()
    form.get_by_label("Observations").fill(f"Point J+{follow_up.day} fait avec l'élève et sa mère.")
    submit(page, form.get_by_role("button", name="Enregistrer ce point de suivi"), "Point de suivi enregistré.")


def test_cell_meets_decides_follows_up_closes_and_reopens(page, open_as, accessible):
    load_demo()
    report = report_about(
        "Hugo",
        "Petit",
        victim=("Léa", "Martin"),
        description=(
            "La mère de Léa (5e) appelle : depuis la rentrée, Hugo la menace tous les jours à la sortie du "
            "collège et sur Snapchat, où il publie des messages sur elle. Léa ne veut plus y aller."
        ),
    )

    # 1. The coordinator triages the report into a P2 case.
    log_in(page, "coordination")
    accessible(page)
    page.goto(f"/signalements/{report.public_id}/")
    accessible(page)
    page.get_by_role("link", name="Trier ce signalement").click()
    page.wait_for_url("**/trier/")
    accessible(page)
    assert "Priorité proposée : P2" in page.locator("main").inner_text()
    # The report's pupils are proposed as the case's people: the coordinator adds their classes.
    pupil_section(page, "Léa Martin").get_by_label("Classe").fill("5e B")
    pupil_section(page, "Hugo Petit").get_by_label("Classe").fill("5e C")
    page.get_by_text("Ouvrir un dossier", exact=True).click()
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url("**/dossiers/*/")
    accessible(page)
    case = Case.objects.get(reports=report)
    assert case.priority == "P2"
    assert case.state == State.TRIAGED

    # 2. The pupils of the report are the case's people; a witness the mother named is added by hand.
    assert set(case.involvements.values_list("person__last_name", "person__class_name", "role")) == {
        ("Martin", "5e B", "victim"),
        ("Petit", "5e C", "alleged_author"),
    }
    add_person(page, accessible, role="Témoin", first_name="Chloé", last_name="Bernard", class_name="5e B")
    assert case.involvements.count() == 3

    # 3. The cell meets. Tomorrow at 14:00: the form refuses a past date.
    nav(page, "Réunions")
    page.wait_for_url("**/cellule/reunions/")
    accessible(page)
    page.get_by_role("link", name="Programmer une réunion").click()
    page.wait_for_url("**/reunions/nouvelle/")
    accessible(page)
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label(field("Date")).fill(tomorrow.isoformat())
    page.get_by_label("Heure de début").fill("14:00")
    page.get_by_label("Lieu").fill("Tribunal judiciaire d'Amiens, salle 3")
    submit(page, page.get_by_role("button", name="Programmer la réunion"), "Réunion programmée.")
    accessible(page)
    meeting = Meeting.objects.get(place="Tribunal judiciaire d'Amiens, salle 3")
    assert timezone.localtime(meeting.starts_at).time() == time(14, 0)

    proposal = page.locator("form[action$='/ordre-du-jour/proposition/']")
    assert case.reference in proposal.inner_text()
    case_box = proposal.locator("label", has_text=case.reference)
    assert proposal.locator(f"#{case_box.get_attribute('for')}").is_checked()
    submit(
        page,
        page.get_by_role("button", name="Inscrire les dossiers cochés à l’ordre du jour"),
        "inscrit(s) à l’ordre du jour",
    )
    accessible(page)
    assert meeting.items.filter(case=case, reason="new_urgent").exists()

    page.get_by_role("link", name="Inviter", exact=True).click()
    page.wait_for_url("**/invitations/")
    accessible(page)
    submit(page, page.get_by_role("button", name="Envoyer les invitations"), "Invitations envoyées")
    accessible(page)
    invited = Invitation.objects.filter(meeting=meeting)
    assert invited.exists()
    assert not invited.filter(sent_at__isnull=True).exists()
    # Sent after commit through the task queue (immediate in tests), by the live server's thread.
    calendars = [
        (message.to, attachment)
        for message in mail.outbox
        for attachment in message.attachments
        if attachment[0].endswith(".ics")
    ]
    assert {to[0] for to, _ in calendars} == {
        i.membership.user.email for i in invited.select_related("membership__user")
    }
    assert all("METHOD:REQUEST" in ics for _, (_name, ics, _type) in calendars)
    assert all(case.reference not in message.body for message in mail.outbox)

    # Time travel: the meeting started an hour ago, so its minutes can be written.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    page.reload()
    accessible(page)
    page.get_by_role("link", name=re.compile(rf"À rédiger\W+{re.escape(case.reference)}")).click()
    page.wait_for_url("**/points/*/")
    accessible(page)
    page.get_by_role("textbox", name=re.compile("^Compte rendu")).fill(
        "La cellule retient un harcèlement. Le collège protège Léa au quotidien ; le Département accompagne la famille."
    )
    due_on = timezone.localdate() + timedelta(days=7)
    fill_decision(page, 1, title=SCHOOL_DECISION, organisation=SCHOOL_ORGANISATION, due_on=due_on)
    fill_decision(page, 2, title=DEPARTEMENT_DECISION, organisation=DEPARTEMENT, due_on=due_on)
    submit(page, page.get_by_role("button", name="Enregistrer le compte rendu"), "Compte rendu enregistré.")
    accessible(page)
    case.refresh_from_db()
    assert case.cell_meeting_at is not None
    school_action = Action.objects.get(case=case, owner_organisation__name=SCHOOL_ORGANISATION)
    departement_action = Action.objects.get(case=case, owner_organisation__name=DEPARTEMENT)
    assert Action.objects.filter(case=case).count() == 2
    assert school_action.title == SCHOOL_DECISION
    assert timezone.localtime(school_action.due_at).date() == due_on
    page.get_by_role("link", name="Ouvrir le dossier").click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/")
    accessible(page)
    plan = page.locator("section[aria-labelledby='titre-actions']").inner_text()
    assert SCHOOL_DECISION in plan and DEPARTEMENT_DECISION in plan

    # 4. The school's staff completes its action, from « Nos actions ».
    school = open_as("cpe.lejeune")
    accessible(school)
    nav(school, "Nos actions")
    school.wait_for_url("**/actions/")
    accessible(school)
    listed = school.locator("main").inner_text()
    assert SCHOOL_DECISION in listed
    assert DEPARTEMENT_DECISION not in listed
    row = school.locator("tr", has_text=SCHOOL_DECISION)
    row.get_by_role("link", name=SCHOOL_DECISION, exact=True).click()
    school.wait_for_url(f"**/actions/{school_action.public_id}/")
    accessible(school)
    school.get_by_role("link", name="Marquer comme faite").click()
    school.wait_for_url("**/faite/")
    accessible(school)
    school.get_by_label("Ce qui a été fait").fill("Mme Morel est l'adulte référente de Léa ; l'équipe est prévenue.")
    submit(school, school.get_by_role("button", name="Enregistrer : action faite"), "Action enregistrée comme faite.")
    accessible(school)
    school_action.refresh_from_db()
    departement_action.refresh_from_db()
    assert school_action.status == ActionStatus.DONE
    assert school_action.done_by.user.email.startswith("cpe.lejeune@")
    assert departement_action.status == ActionStatus.OPEN
    nav(school, "Nos actions")
    school.wait_for_url("**/actions/")
    school.get_by_role("link", name="Terminées (30 derniers jours)").click()
    school.wait_for_url("**/actions/?status=finished")
    accessible(school)
    assert "Mme Morel est l'adulte référente" in school.locator("main").inner_text()
    school.goto(f"/dossiers/{case.public_id}/")
    accessible(school)

    # 5. Time travel: the case was opened 31 days ago, so J+7 and J+30 are both due.
    shift = timedelta(days=31)
    Case.objects.filter(pk=case.pk).update(opened_at=F("opened_at") - shift)
    FollowUp.objects.filter(case=case).update(due_on=F("due_on") - shift)
    j7, j30 = FollowUp.objects.filter(case=case, day__in=[7, 30]).order_by("day")
    assert j30.due_on <= timezone.localdate()
    page.reload()
    accessible(page)
    record_follow_up(page, j7, view="Mieux", wellbeing=4, decision="Poursuivre")
    accessible(page)
    record_follow_up(page, j30, view="Mieux", wellbeing=5, decision="Proposer la clôture")
    accessible(page)
    j7.refresh_from_db()
    j30.refresh_from_db()
    assert (j7.victim_view, j7.wellbeing, j7.decision) == ("better", 4, "continue")
    assert (j30.victim_view, j30.wellbeing, j30.decision) == ("better", 5, "close")

    # 6. Closure, proposed by the last checkpoint: its form comes next; the default 90-day watch is kept.
    page.wait_for_url(f"**/dossiers/{case.public_id}/etat/close/")
    closure = page.locator("main form[novalidate]")
    closure.get_by_label("Issue du dossier").select_option(label=str(ClosureOutcome.STOPPED.label))
    closure.get_by_label("Motif de la clôture").fill("Léa dit que tout va bien depuis un mois ; plus aucun message.")
    submit(page, closure.get_by_role("button", name="Clore le dossier"), "État du dossier mis à jour.")
    accessible(page)
    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert case.closure_outcome == ClosureOutcome.STOPPED
    assert case.watch_until == timezone.localdate() + timedelta(days=90)
    # The closure stopped the clocks: what was never reached says so, it is not « done ».
    deadlines = page.locator("section[aria-labelledby='titre-delais'] tbody")
    closed_on = f"Non réalisé : dossier clos le {timezone.localdate():%d/%m/%Y}"
    assert closed_on in deadlines.locator("tr", has_text="Point de suivi J+90").inner_text()
    assert closed_on in deadlines.locator("tr", has_text=DEPARTEMENT_DECISION).inner_text()
    assert "Fait le" in deadlines.locator("tr", has_text=SCHOOL_DECISION).inner_text()
    assert "Fait le" in deadlines.locator("tr", has_text="Point de suivi J+30").inner_text()

    # 7. A new report names the same alleged author: triage proposes reopening the closed case.
    again = report_about(
        "Hugo",
        "Petit",
        victim=("Inès", ""),
        description="Un professeur signale qu'Hugo s'en prend maintenant à Inès, en 5e elle aussi, à la cantine.",
    )
    page.goto(f"/signalements/{again.public_id}/trier/")
    accessible(page)
    main = page.locator("main")
    assert "Élèves cités : Inès (Subit le harcèlement), Hugo Petit" in main.inner_text()
    first_callout = main.locator(".fr-callout").first
    assert f"Dossier clos — rouvrir ? ({case.reference})" in first_callout.inner_text()
    assert "petit" in first_callout.inner_text().lower()  # « Noms en commun » (folded names)
    # Hugo's record is proposed for reuse (same name, same school) and already chosen.
    hugo = pupil_section(page, "Hugo Petit")
    assert hugo.get_by_role("radio", name=re.compile(r"^Hugo Petit — 5e C")).is_checked()
    first_callout.get_by_role("button", name="Rattacher et rouvrir").click()
    page.wait_for_url(f"**/dossiers/{case.public_id}/")
    accessible(page)
    case.refresh_from_db()
    assert case.state == State.REOPENED
    assert Person.objects.filter(first_name="Hugo", last_name="Petit").count() == 1
    assert set(case.involvements.values_list("person__first_name", "role")) >= {
        ("Hugo", "alleged_author"),
        ("Inès", "victim"),
    }
    assert set(case.reports.values_list("pk", flat=True)) == {report.pk, again.pk}
    # The checkpoint that proposed closing is older than the reopening: nothing proposes closing now.
    assert "Le dernier point de suivi propose de clore le dossier" not in page.locator("main").inner_text()
    assert case.follow_ups.filter(done_at__isnull=True, due_on=timezone.localdate() + timedelta(days=7)).exists()


# --- Every section of the case page, for each role --------------------------------------------------


def _membership(email_prefix: str) -> Membership:
    return Membership.objects.select_related("user", "organisation").get(user__email__startswith=f"{email_prefix}@")


def _case_with_every_section() -> Case:
    """A P2 case of the demo collège with a measure of each category (a judicial one too), an interview,
    a shared-concern series, a family contact and a generated document, written by the domain functions."""
    coordinator = _membership("coordination")
    magistrate = _membership("magistrat")
    report = report_about(
        "Hugo",
        "Petit",
        victim=("Léa", "Martin"),
        description="Hugo menace Léa tous les jours, au collège et sur Snapchat, depuis la rentrée.",
    )
    case = case_actions.triage_report(
        report=report,
        actor=coordinator,
        decision=case_actions.TriageDecision(
            outcome="open_case", qualification="bullying", criteria=criteria_from_report(report)
        ),
    ).case
    victim = case_actions.add_person(
        case=case, actor=coordinator, role="victim", kind="pupil", first_name="Léa", last_name="Martin"
    )
    author = case_actions.add_person(
        case=case, actor=coordinator, role="alleged_author", kind="pupil", first_name="Hugo", last_name="Petit"
    )
    today = timezone.localdate()
    for category, kind, person, extra in (
        (MeasureCategory.PROTECTIVE, MeasureKind.ADULT_REFERENT, victim.person, {}),
        (MeasureCategory.EDUCATIONAL, MeasureKind.RESTORATIVE, author.person, {}),
        (MeasureCategory.DISCIPLINARY, MeasureKind.WARNING, author.person, {}),
        (
            MeasureCategory.SCHOOL_CHANGE,
            MeasureKind.AUTHOR_SCHOOL_CHANGE,
            author.person,
            {"receiving_school": School.objects.get(uai="0800022P"), "status": "planned"},
        ),
    ):
        measures.record_measure(
            case=case, actor=coordinator, category=category, kind=kind, starts_on=today, person=person, **extra
        )
    measures.record_measure(
        case=case,
        actor=magistrate,
        category=MeasureCategory.JUDICIAL,
        kind=MeasureKind.AWARENESS_COURSE,
        starts_on=today,
        person=author.person,
        description=JUDICIAL_TEXT,
        review_on=today + timedelta(days=30),
    )
    # Interventions are dated within their case: it was opened two days ago, before yesterday's interview.
    Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(days=2))
    case.refresh_from_db()
    yesterday = timezone.now() - timedelta(days=1)
    interviews.record_interview(
        case=case,
        actor=coordinator,
        involvement=victim,
        held_at=yesterday,
        conducted_by=coordinator,
        words="Il m'attend à la sortie et il écrit des choses sur moi.",
    )
    series = mpp.start_series(case=case, actor=coordinator, author=author.person)
    mpp.record_author_meeting(
        series=series,
        actor=coordinator,
        held_at=yesterday,
        conducted_by=coordinator,
        summary="Hugo reconnaît que Léa va mal.",
        proposals_made="Ne plus écrire sur elle.",
    )
    mpp.record_victim_point(
        series=series,
        actor=coordinator,
        victim=victim.person,
        held_at=yesterday + timedelta(hours=2),
        conducted_by=coordinator,
        victim_view=Interview.VictimView.BETTER,
    )
    families.record_family_contact(
        case=case,
        actor=coordinator,
        pupil=victim.person,
        at=yesterday,
        channel=FamilyContact.Channel.PHONE,
        made_by=coordinator,
        summary="La mère de Léa est informée des mesures prises.",
        person=victim.person,
        informed_of_situation=True,
    )
    generate(case=case, actor=coordinator, kind=DocumentKind.ART_40)
    return case


def test_case_page_sections_are_accessible_for_each_role(open_as, accessible):
    load_demo()
    case = _case_with_every_section()
    pages = {}
    for account in ("coordination", "magistrat", "assistante.sociale", "cpe.lejeune"):
        page = open_as(account)
        page.goto(f"/dossiers/{case.public_id}/")
        page.get_by_role("heading", name=f"Dossier {case.reference}", level=1).wait_for()
        accessible(page)
        text = page.locator("main").inner_text()
        for heading in ("Mesures", "Documents"):
            assert page.get_by_role("heading", name=heading, exact=True).is_visible(), (account, heading)
        pages[account] = text

    shared_by_all = (
        "Adulte référent nommé",  # a measure of each category but the judicial one
        "Démarche restaurative",
        "Avertissement",
        "Changement d’établissement de l’auteur",
        "Il m'attend à la sortie et il écrit des choses sur moi.",  # the interview, word for word
        "Hugo reconnaît que Léa va mal.",  # the shared-concern series
        "La mère de Léa est informée des mesures prises.",  # the family contact
    )
    for account, text in pages.items():
        for expected in shared_by_all:
            assert expected in text, (account, expected)
    # An art. 40 report reveals the judicial track: its author and the parquet read it, the school never.
    art40 = f"Signalement au procureur de la République (art. 40 CPP) — {case.reference}"
    assert art40 in pages["coordination"]
    assert art40 in pages["magistrat"]
    assert art40 not in pages["cpe.lejeune"]
    # The judicial measure belongs to the judicial compartment: the magistrate reads it, the school never.
    assert JUDICIAL_TEXT in pages["magistrat"]
    assert "Stage de sensibilisation aux risques du harcèlement" in pages["magistrat"]
    for account in ("cpe.lejeune", "coordination", "assistante.sociale"):
        assert JUDICIAL_TEXT not in pages[account], account
        assert "Stage de sensibilisation aux risques du harcèlement" not in pages[account], account
