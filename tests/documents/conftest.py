"""Fixtures of the documents tests: the `world` of tests/cases (case A of school A with a health and a
judicial note, case B of school B, cases shared with the police), case A filled with what documents
are made of, isolated storage, and helpers to read the text of a PDF."""

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from halte.cases.models import Action, Guardianship, Involvement, Person
from halte.documents import storage
from halte.documents.models import Document
from halte.interventions.models import FamilyContact, Interview, Measure, ParentsInformation
from halte.meetings.models import AgendaItem, Decision, Invitation, Meeting
from halte.reports import vault

from ..cases.conftest import CORE_MARK, HEALTH_MARK, IDENTITY_MARK, JUDICIAL_MARK, world

__all__ = ["CORE_MARK", "HEALTH_MARK", "IDENTITY_MARK", "JUDICIAL_MARK", "world"]

# What only one compartment, one family or one case holds: a document shows it or must not.
VICTIM_WORDS_SPOKEN = "Ils m’ont appelé « la baleine » devant toute la classe"
WITNESS_WORDS = "PAROLE-DU-TEMOIN"
VICTIM_FAMILY = "CONTEXTE-FAMILLE-VICTIME"
AUTHOR_FAMILY = "CONTEXTE-FAMILLE-AUTEUR"
PARENTS_REASON = "MOTIF-PARENTS-NON-INFORMES"
CORE_MEASURE = "MESURE-PROTECTION-DETAIL"
SANCTION = "SANCTION-DE-L-AUTEUR"
JUDICIAL_MEASURE = "MESURE-JUDICIAIRE-DETAIL"
MINUTES_A = "COMPTE-RENDU-DOSSIER-A"
MINUTES_B = "COMPTE-RENDU-DOSSIER-B"
DECISION_A = "DECISION-DOSSIER-A"
DECISION_B = "DECISION-DOSSIER-B"
DECISION_JUDICIAL = "DECISION-JUDICIAIRE-A"
EVIDENCE_BYTES = "Capture : « t’es nul », reçu sur Snapchat.\n".encode()


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.PRODUCTION = False
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS", raising=False)
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)


def compact(text: str) -> str:
    """Text without any whitespace: a PDF breaks lines wherever it likes, even inside a long word."""
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def contains(data_or_text, *needles: str) -> dict[str, bool]:
    text = compact(pdf_text(data_or_text) if isinstance(data_or_text, bytes) else data_or_text)
    return {needle: compact(needle) in text for needle in needles}


@dataclass
class Filled:
    victim: Person
    author: Person
    witness: Person
    guardian: Person
    author_guardian: Person
    evidence: object
    meeting: Meeting
    # The guardians' links to their children (cases.Guardianship), with parental authority.
    guardian_link: Guardianship | None = None
    author_guardian_link: Guardianship | None = None


@pytest.fixture
def filled(world, people) -> Filled:
    """Case A with people, words, family contacts, parents' information, measures in core and judicial,
    a piece of evidence, and a meeting that also examined case B."""
    case = world.case_a
    school_a = people.school_a_staff.school
    school_b = people.school_b_staff.school
    coordinator = people.coordinator
    now = timezone.now()

    def person(role, **fields):
        created = Person.objects.create(**fields)
        Involvement.objects.create(case=case, person=created, role=role)
        return created

    victim = person(
        "victim",
        kind="pupil",
        first_name="Léa",
        last_name="Martin",
        birth_date=date(2012, 3, 4),
        address="3 rue des Lilas, 80000 Amiens",
        school=school_a,
        class_name="5eB",
    )
    author = person(
        "alleged_author", kind="pupil", first_name="Kévin", last_name="Durand", school=school_b, class_name="4eC"
    )
    witness = person("witness", kind="pupil", first_name="Inès", last_name="Petit", school=school_a, class_name="5eB")
    guardian = person(
        "guardian", kind="adult", first_name="Sophie", last_name="Martin", address="3 rue des Lilas, 80000 Amiens"
    )
    author_guardian = person(
        "guardian",
        kind="adult",
        first_name="Marc",
        last_name="Durand",
        address="8 allée des Tilleuls, 80090 Amiens",
        phone="06 98 76 54 32",
    )
    guardian_link = Guardianship.objects.create(child=victim, guardian=guardian, relationship="mother")
    author_guardian_link = Guardianship.objects.create(child=author, guardian=author_guardian, relationship="father")

    report = case.reports.get()
    report.forms = ["verbal", "cyber"]
    report.places = ["canteen", "online"]
    report.platforms = ["snapchat"]
    report.save()
    evidence = vault.store(
        report=report, upload=SimpleUploadedFile("capture-snap.txt", EVIDENCE_BYTES, content_type="text/plain")
    )

    Interview.objects.create(
        case=case,
        person=victim,
        kind="victim",
        held_at=now - timedelta(days=3),
        conducted_by=people.social_worker,
        words=VICTIM_WORDS_SPOKEN,
        summary="Synthèse de l’entretien.",
    )
    Interview.objects.create(
        case=case,
        person=witness,
        kind="witness",
        held_at=now - timedelta(days=2),
        conducted_by=coordinator,
        words=WITNESS_WORDS,
    )
    FamilyContact.objects.create(
        case=case,
        family="victim",
        person=guardian,
        at=now - timedelta(days=4),
        channel="phone",
        made_by=coordinator,
        summary=VICTIM_FAMILY,
    )
    FamilyContact.objects.create(
        case=case,
        family="author",
        person=author_guardian,
        at=now - timedelta(days=1),
        channel="meeting",
        made_by=coordinator,
        summary=AUTHOR_FAMILY,
    )
    ParentsInformation.objects.create(
        case=case, family="victim", status="exception", reason=PARENTS_REASON, recorded_by=people.social_worker
    )
    today = timezone.localdate()
    Measure.objects.create(
        case=case,
        category="protective",
        kind="adult_referent",
        person=victim,
        description=CORE_MEASURE,
        starts_on=today - timedelta(days=5),
        created_by=coordinator,
    )
    Measure.objects.create(
        case=case,
        category="disciplinary",
        kind="warning",
        person=author,
        description=SANCTION,
        starts_on=today - timedelta(days=4),
        created_by=coordinator,
    )
    Measure.objects.create(
        case=case,
        category="judicial",
        kind="awareness_course",
        compartment="judicial",
        person=author,
        description=JUDICIAL_MEASURE,
        starts_on=today - timedelta(days=3),
        created_by=people.magistrate,
    )

    meeting = Meeting.objects.create(
        title="Cellule de novembre",
        starts_at=now - timedelta(days=1),
        place="DSDEN, salle 2",
        organiser=coordinator,
        status="held",
    )
    Invitation.objects.create(meeting=meeting, membership=coordinator, attendance="present")
    Invitation.objects.create(meeting=meeting, membership=people.magistrate, attendance="excused")
    item_a = AgendaItem.objects.create(meeting=meeting, case=case, reason="new_urgent", minutes=MINUTES_A, position=1)
    item_b = AgendaItem.objects.create(
        meeting=meeting, case=world.case_b, reason="overdue", minutes=MINUTES_B, position=2
    )
    due = now + timedelta(days=7)
    for item, title, compartment in (
        (item_a, DECISION_A, "core"),
        (item_a, DECISION_JUDICIAL, "judicial"),
        (item_b, DECISION_B, "core"),
    ):
        action = Action.objects.create(
            case=item.case,
            title=title,
            compartment=compartment,
            owner_organisation=people.school_a_staff.organisation,
            due_at=due,
            created_by=coordinator,
        )
        Decision.objects.create(item=item, action=action)
    return Filled(
        victim=victim,
        author=author,
        witness=witness,
        guardian=guardian,
        author_guardian=author_guardian,
        evidence=evidence,
        meeting=meeting,
        guardian_link=guardian_link,
        author_guardian_link=author_guardian_link,
    )


def stored_document(case, author, *, kind="art40", compartments=("core",), data=b"%PDF-1.7\nun document\n"):
    """A document row with a real encrypted file, without going through WeasyPrint (access tests)."""
    import uuid

    public_id = uuid.uuid4()
    stored = storage.store(data, public_id=public_id)
    return Document.objects.create(
        public_id=public_id,
        case=case,
        kind=kind,
        title=f"Document {kind} {'-'.join(compartments)}",
        compartments=list(compartments),
        path=stored.path,
        key_id=stored.key_id,
        sha256=stored.sha256,
        size=stored.size,
        generated_by=author,
    )
