"""Generated documents: each PDF is really built (WeasyPrint), its text read back (pypdf) and checked for
its sections and data, and for what it must never carry (compartments its author does not read,
judicial content outside the art. 40 report, other cases of a meeting)."""

import hashlib
import os
import time
from datetime import timedelta

import pytest
from django.utils import dateformat, timezone

from halte.access.documents import can_generate
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.models import Action, Case, Event
from halte.directory.cells import cell_for, departement_of
from halte.documents import actions, content, storage
from halte.documents.content import ConvocationDetails
from halte.documents.models import Document
from halte.interventions import families
from halte.interventions import measures as intervention_measures
from halte.interventions.models import Measure, ParentsInformation
from halte.meetings.models import Meeting
from halte.reports import vault
from tests.interventions.factories import link, restrict

from .conftest import (
    AUTHOR_FAMILY,
    CORE_MARK,
    CORE_MEASURE,
    DECISION_A,
    DECISION_B,
    DECISION_JUDICIAL,
    HEALTH_MARK,
    IDENTITY_MARK,
    JUDICIAL_MARK,
    JUDICIAL_MEASURE,
    MINUTES_A,
    MINUTES_B,
    PARENTS_REASON,
    SANCTION,
    VICTIM_FAMILY,
    VICTIM_WORDS_SPOKEN,
    WITNESS_WORDS,
    compact,
    contains,
    pdf_text,
)


def make(case, actor, kind, **kwargs):
    document = actions.generate(case=case, actor=actor, kind=kind, **kwargs)
    data = storage.read(document)
    return document, data


def assert_present(data, *needles):
    found = contains(data, *needles)
    assert all(found.values()), [needle for needle, ok in found.items() if not ok]


def assert_absent(data, *needles):
    found = contains(data, *needles)
    assert not any(found.values()), [needle for needle, ok in found.items() if ok]


def assert_letterhead(data, document, settings):
    """Every document: service and operator, the confidentiality mention, the case, the date, the author."""
    author = document.generated_by.user.get_full_name()
    day = dateformat.format(timezone.localtime(document.generated_at), "j F Y")
    cell = cell_for(departement_of(document.case, document.generated_by))
    assert_absent(data, f"cellule {settings.HALTE['SERVICE_NAME']}")  # the cell, never the software
    assert_present(
        data,
        cell.name,
        settings.HALTE["OPERATOR_NAME"],
        "Document confidentiel — données d’un mineur",
        document.case.reference,
        day,
        author,
        "Page 1 sur",
    )


# --- Signalement au procureur (art. 40) -----------------------------------------------------------


def test_art40_report_has_every_section_and_the_childs_words_verbatim(filled, world, people, settings):
    document, data = make(world.case_a, people.coordinator, "art40")
    assert_letterhead(data, document, settings)
    assert_present(
        data,
        "Signalement au procureur de la République (article 40 du code de procédure pénale)",
        "1. Les faits",
        CORE_MARK,
        "À la cantine",  # places from the report
        "Snapchat",
        "2. Personnes concernées",
        "MARTIN Léa",
        "04/03/2012",
        "DURAND Kévin",
        "4eC",
        "Collège B",  # the alleged author's class and school
        "PETIT Inès",
        "3. Paroles de l’enfant, rapportées mot pour mot",
        f"« {VICTIM_WORDS_SPOKEN.replace('« ', '“').replace(' »', '”')} »",
        "4. Contexte familial",
        VICTIM_FAMILY,
        AUTHOR_FAMILY,
        "5. Mesures prises",
        CORE_MEASURE,
        "Pièces jointes",
        filled.evidence.original_name,
        filled.evidence.sha256,
        "text/plain",
        "n’a pas à apporter la preuve des faits",
        "ne mène pas d’enquête",
        "Signature",
    )
    # The coordinator reads neither the health nor the judicial compartment; she reads who reported.
    assert_absent(data, HEALTH_MARK, JUDICIAL_MARK, JUDICIAL_MEASURE, "Volet judiciaire")
    assert_present(data, "Personne qui a signalé les faits", IDENTITY_MARK)
    assert_absent(data, WITNESS_WORDS)  # the child's words are the victim's
    assert document.compartments == ["core", "reporter_identity"]
    assert document.kind == "art40" and document.title.endswith(world.case_a.reference)


def test_art40_never_carries_the_judicial_part_it_is_addressed_to(filled, world, people):
    """The art. 40 report goes to the parquet: its authors (coordination, social worker) do not read
    the judicial compartment, so the report cannot carry the parquet's own facts back to it."""
    for author in (people.coordinator, people.social_worker):
        document, data = make(world.case_a, author, "art40")
        assert "judicial" not in document.compartments
        assert_absent(data, JUDICIAL_MARK, JUDICIAL_MEASURE, "Volet judiciaire")
    assert not can_generate(people.magistrate, world.case_a, "art40")


# --- Information préoccupante ----------------------------------------------------------------------


def test_information_preoccupante_has_identity_parents_account_and_parents_informed(filled, world, people, settings):
    document, data = make(world.case_a, people.coordinator, "ip")
    assert_letterhead(data, document, settings)
    assert_present(
        data,
        "Information préoccupante",
        "1. Identité de l’enfant",
        "Martin",
        "Léa",
        "04/03/2012",
        "3 rue des Lilas, 80000 Amiens",
        "Collège A",
        "5eB",
        "2. Parents et représentants légaux",
        "Représentants légaux de Léa Martin",
        "MARTIN Sophie",
        "Mère",
        "3. Récit",
        CORE_MARK,
        f"« {VICTIM_WORDS_SPOKEN.replace('« ', '“').replace(' »', '”')} »",
        "4. Contexte",
        VICTIM_FAMILY,
        "5. Information des parents",
        "Parents informés : non",
        PARENTS_REASON,
    )
    # The alleged author's family is not the child's: neither its guardian nor its contacts.
    assert_absent(data, "DURAND Marc", AUTHOR_FAMILY, JUDICIAL_MARK, IDENTITY_MARK)


def test_information_preoccupante_lists_each_child_s_guardians_with_authority_address_and_phone(filled, world, people):
    from halte.cases.models import Person

    father = Person.objects.create(
        kind="adult", first_name="Paul", last_name="Martin", address="12 rue Jean Jaurès, 80100 Abbeville"
    )
    father.phone = "06 11 22 33 44"
    father.save()
    link(filled.victim, father, "father", parental_authority=False)
    _document, data = make(world.case_a, people.coordinator, "ip")
    assert_present(
        data,
        "Représentants légaux de Léa Martin",
        "MARTIN Sophie",
        "Mère",
        "MARTIN Paul",
        "Père",
        "12 rue Jean Jaurès, 80100 Abbeville",
        "06 11 22 33 44",
    )
    assert_absent(data, "DURAND Marc", "06 98 76 54 32")  # the alleged author's father is not this child's


def test_information_preoccupante_says_when_the_parents_were_informed(filled, world, people):
    informed_at = timezone.now() - timedelta(days=2)
    ParentsInformation.objects.filter(case=world.case_a).update(status="informed", informed_at=informed_at, reason="")
    _document, data = make(world.case_a, people.coordinator, "ip")
    assert_present(data, "Parents informés : oui", dateformat.format(timezone.localtime(informed_at), "j F Y"))
    assert_absent(data, PARENTS_REASON, "Parents informés : non")


def test_no_health_note_in_an_ip_generated_without_the_health_compartment(filled, world, people):
    document, data = make(world.case_a, people.coordinator, "ip")
    assert_absent(data, HEALTH_MARK, "Éléments de santé")
    assert document.compartments == ["core"]


def test_the_social_worker_s_ip_carries_the_health_notes(filled, world, people):
    document, data = make(world.case_a, people.social_worker, "ip")
    assert_present(data, "6. Éléments de santé et d’accompagnement", HEALTH_MARK, CORE_MARK)
    assert_absent(data, JUDICIAL_MARK, JUDICIAL_MEASURE)
    assert document.compartments == ["core", "health"]


def test_an_ip_needs_the_child(world, people):
    with pytest.raises(actions.DocumentRefused, match="victime"):
        actions.generate(case=world.case_a, actor=people.coordinator, kind="ip")
    assert not Document.objects.exists()


# --- Convocation -------------------------------------------------------------------------------------


def test_information_preoccupante_says_the_parents_were_informed_before_the_cell_decided_not_to_inform_them(
    filled, world, people
):
    """Told on a day, then the cell's exception: the IP says both, truthfully — never « non »."""
    informed_at = timezone.now() - timedelta(days=5)
    ParentsInformation.objects.filter(case=world.case_a).update(informed_at=informed_at)
    _document, data = make(world.case_a, people.coordinator, "ip")
    assert_present(
        data,
        "Parents informés : oui",
        dateformat.format(timezone.localtime(informed_at), "j F Y"),
        "la cellule a décidé de ne plus les informer",
        PARENTS_REASON,
    )
    assert_absent(data, "Parents informés : non")


def convocation_details(days=3, pupil=None):
    return ConvocationDetails(
        on=timezone.localdate() + timedelta(days=days),
        at=timezone.localtime().time().replace(hour=14, minute=30, second=0, microsecond=0),
        place="Collège A, bureau de la CPE",
        purpose="Faire le point sur la situation de Léa à l’école",
        contact="Mme Roux, CPE, 03 22 00 00 00",
        pupil=pupil,
    )


def test_convocation_says_when_where_why_and_whom_to_contact_and_nothing_judicial(filled, world, people, settings):
    details = convocation_details(pupil=filled.victim)
    document, data = make(
        world.case_a, people.school_a_staff, "convocation", recipient=filled.guardian, convocation=details
    )
    assert_letterhead(data, document, settings)
    assert_present(
        data,
        "Convocation",
        "Sophie MARTIN",
        "3 rue des Lilas",
        "Objet : situation de Léa Martin, élève de l’établissement Collège A",
        "Madame,",
        "En votre qualité de mère et représentante légale de Léa",
        dateformat.format(details.on, "l j F Y"),
        "14:30",
        details.place,
        details.purpose,
        "Qui contacter",
        details.contact,
    )
    assert_absent(data, JUDICIAL_MARK, JUDICIAL_MEASURE, HEALTH_MARK, "procureur", "judiciaire", "parquet")
    assert_absent(data, "Bonjour", "avec votre enfant")
    assert document.recipient == filled.guardian
    assert document.compartments == ["core"]


@pytest.mark.parametrize("who", ["pupil", "guardian_of_another_pupil", "no_parental_authority"])
def test_a_convocation_is_never_addressed_to_a_pupil_nor_outside_parental_authority(filled, world, people, who):
    recipient, pupil = filled.guardian, filled.victim
    if who == "pupil":
        recipient = filled.victim
    elif who == "guardian_of_another_pupil":
        pupil = filled.author
    else:
        filled.guardian_link.parental_authority = False
        filled.guardian_link.save()
    with pytest.raises(actions.DocumentRefused, match="représentant légal"):
        actions.generate(
            case=world.case_a,
            actor=people.coordinator,
            kind="convocation",
            recipient=recipient,
            convocation=convocation_details(pupil=pupil),
        )
    assert not Document.objects.exists()


def test_a_convocation_to_a_family_under_ne_pas_informer_is_refused(filled, world, people):
    restrict(world.case_a, people.magistrate, filled.author, "Enquête.")
    with pytest.raises(actions.DocumentRefused, match="ne pas informer"):
        actions.generate(
            case=world.case_a,
            actor=people.coordinator,
            kind="convocation",
            recipient=filled.author_guardian,
            convocation=convocation_details(pupil=filled.author),
        )
    assert not Document.objects.exists()
    # The other family is not concerned.
    make(
        world.case_a,
        people.coordinator,
        "convocation",
        recipient=filled.guardian,
        convocation=convocation_details(pupil=filled.victim),
    )


def test_the_cells_child_interest_exception_refuses_a_convocation_until_lifted(filled, world, people):
    families.document_exception(
        case=world.case_a, actor=people.coordinator, pupil=filled.author, reason="Violences au domicile."
    )

    def convoke():
        return make(
            world.case_a,
            people.school_a_staff,
            "convocation",
            recipient=filled.author_guardian,
            convocation=convocation_details(pupil=filled.author),
        )

    with pytest.raises(actions.DocumentRefused, match="intérêt de l’enfant"):
        convoke()
    assert not Document.objects.exists()
    families.lift_exception(case=world.case_a, actor=people.coordinator, pupil=filled.author, reason="Danger écarté.")
    document, _data = convoke()
    assert document.recipient == filled.author_guardian


def test_an_instruction_on_another_case_refuses_the_convocation_in_neutral_words(filled, world, people):
    """The author's family is under « ne pas informer » on school B's case: no convocation from case A,
    and the refusal says neither why nor where."""
    from halte.cases.models import Involvement

    Involvement.objects.create(case=world.case_b, person=filled.author, role="victim")
    restriction = restrict(world.case_b, people.magistrate, filled.author, "Perquisition prévue.")
    with pytest.raises(actions.DocumentRefused) as refused:
        actions.generate(
            case=world.case_a,
            actor=people.school_a_staff,
            kind="convocation",
            recipient=filled.author_guardian,
            convocation=convocation_details(pupil=filled.author),
        )
    message = str(refused.value)
    assert "tant que cette consigne n’est pas levée" in message
    assert "Perquisition" not in message and world.case_b.reference not in message
    assert not Document.objects.exists()
    families.lift_restriction(case=world.case_b, actor=people.magistrate, restriction=restriction, reason="Fait.")
    make(
        world.case_a,
        people.school_a_staff,
        "convocation",
        recipient=filled.author_guardian,
        convocation=convocation_details(pupil=filled.author),
    )


def test_a_convocation_goes_only_to_someone_of_the_case(filled, world, people):
    from halte.cases.models import Person

    stranger = Person.objects.create(kind="adult", first_name="Jean", last_name="Inconnu")
    with pytest.raises(actions.DocumentRefused):
        actions.generate(
            case=world.case_a,
            actor=people.coordinator,
            kind="convocation",
            recipient=stranger,
            convocation=convocation_details(pupil=filled.victim),
        )


# --- Minutes --------------------------------------------------------------------------------------


def test_minutes_carry_this_case_only(filled, world, people, settings):
    document, data = make(world.case_a, people.coordinator, "minutes", meeting=filled.meeting)
    assert_letterhead(data, document, settings)
    assert_present(
        data,
        "Compte rendu de réunion de la cellule",
        filled.meeting.title,
        filled.meeting.place,
        "Participants",
        "DSDEN de la Somme",
        "Parquet d'Amiens",
        "Présence",
        "A pris part",
        "Excusé(e)",  # the magistrate gave no civility: the inclusive word
        MINUTES_A,
        DECISION_A,
        "Collège A",  # owner organisation of the decision
        dateformat.format(timezone.localtime(Action.objects.get(title=DECISION_A).due_at), "d/m/Y"),
    )
    assert_absent(data, MINUTES_B, DECISION_B, world.case_b.reference)
    # A decision of the judicial compartment stays out of the minutes, even for who reads it.
    _document, by_magistrate = make(world.case_a, people.magistrate, "minutes", meeting=filled.meeting)
    assert_absent(by_magistrate, DECISION_JUDICIAL, MINUTES_B, DECISION_B)
    assert document.meeting == filled.meeting and document.compartments == ["core"]
    assert_absent(data, "Absence excusée")


def test_minutes_say_each_attendance_agreeing_with_the_person(filled, world, people):
    from halte.accounts.models import Civility

    people.magistrate.user.civility = Civility.MADAME
    people.magistrate.user.save(update_fields=["civility"])
    _document, data = make(world.case_a, people.coordinator, "minutes", meeting=filled.meeting)
    assert_present(data, "Excusée")
    assert_absent(data, "Excusé(e)")


@pytest.mark.parametrize(("mode", "said"), [("phone", "Par téléphone"), ("video", "En visioconférence")])
def test_minutes_of_a_meeting_held_at_a_distance_say_how_instead_of_a_blank_place(filled, world, people, mode, said):
    Meeting.objects.filter(pk=filled.meeting.pk).update(mode=mode, place="")
    filled.meeting.refresh_from_db()
    _document, data = make(world.case_a, people.coordinator, "minutes", meeting=filled.meeting)
    assert_present(data, "Lieu", said)


def test_minutes_need_the_case_on_the_agenda(filled, world, people):
    with pytest.raises(actions.DocumentRefused, match="ordre du jour"):
        actions.generate(case=world.revoked, actor=people.coordinator, kind="minutes", meeting=filled.meeting)


# --- Closure letter ----------------------------------------------------------------------------------


def close(case, *, do_not_disclose=False, watch_days=60):
    Case.objects.filter(pk=case.pk).update(
        state="closed",
        closure_outcome="stopped",
        closed_at=timezone.now(),
        watch_until=timezone.localdate() + timedelta(days=watch_days),
        do_not_disclose_to_family=do_not_disclose,
    )
    case.refresh_from_db()
    return case


JUSTICE_WORDS = ("plainte", "procureur", "judiciaire", "enquête", "parquet", "justice", "police", "gendarmerie")


@pytest.mark.parametrize("do_not_disclose", [False, True])
def test_closure_letter_never_carries_judicial_content_even_from_a_magistrate(
    filled, world, people, settings, do_not_disclose
):
    case = close(world.case_a, do_not_disclose=do_not_disclose)
    case.co_workers.add(people.magistrate)  # a magistrate on the case's team may write it
    document, data = make(case, people.magistrate, "closure_letter", recipient=filled.guardian)
    assert_letterhead(data, document, settings)
    assert_present(
        data,
        "Fin du suivi de la situation par la cellule",
        "Sophie Martin",
        "le harcèlement a cessé",
        "Ce qui a été fait pour votre enfant",
        "Adulte référent nommé",
        "Période de veille",
        dateformat.format(case.watch_until, "j F Y"),
        "Si cela recommence",
        "3018",
        "Collège A",
        settings.HALTE["CONTACT_EMAIL"],
    )
    assert_absent(
        data,
        JUDICIAL_MARK,
        JUDICIAL_MEASURE,
        "Stage de sensibilisation",
        HEALTH_MARK,
        SANCTION,
        "Avertissement",  # another pupil's sanction is not the family's business
        CORE_MEASURE,  # free-text details of a measure never reach a family
        "Parquet d'Amiens",
        "Magistrat",
    )
    assert document.compartments == ["core"]
    if do_not_disclose:
        assert_absent(data, *JUSTICE_WORDS)
    else:
        assert_present(data, "porter plainte")


def test_closure_letter_waits_for_the_closure(world, people):
    with pytest.raises(actions.DocumentRefused, match="pas clos"):
        actions.generate(case=world.case_a, actor=people.coordinator, kind="closure_letter")


def test_closure_letter_goes_to_the_victim_s_side_only(filled, world, people):
    case = close(world.case_a)
    with pytest.raises(actions.DocumentRefused):
        actions.generate(case=case, actor=people.coordinator, kind="closure_letter", recipient=filled.author_guardian)
    _document, data = make(case, people.coordinator, "closure_letter")
    assert_present(data, "Aux parents de Léa")


# --- Storage, hash, journal, timeline -------------------------------------------------------------


def test_the_pdf_is_stored_encrypted_with_the_hash_of_the_plain_pdf(filled, world, people, settings):
    document, data = make(world.case_a, people.coordinator, "art40")
    on_disk = (settings.MEDIA_ROOT / document.path).read_bytes()
    assert data.startswith(b"%PDF-")
    assert not on_disk.startswith(b"%PDF-")
    assert compact(CORE_MARK).encode() not in on_disk
    assert document.path.startswith(f"documents/{timezone.localdate():%Y}/")
    assert hashlib.sha256(data).hexdigest() == document.sha256
    assert document.size == len(data)
    assert document.key_id == vault.keyring()[0]


def test_generation_is_journaled_and_noted_on_the_timeline(filled, world, people):
    document, _data = make(world.case_a, people.coordinator, "art40")
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_GENERATED)
    assert event.membership == people.coordinator
    assert event.target_type == "cases.case" and event.target_id == str(world.case_a.public_id)
    assert event.detail["document"] == str(document.public_id)
    assert event.detail["sha256"] == document.sha256
    assert event.detail["compartments"] == ["core", "reporter_identity"]  # the coordinator reads who reported
    line = Event.objects.get(case=world.case_a, kind="document_generated")
    assert (
        line.compartment == "judicial" and line.actor == people.coordinator
    )  # an art. 40 report reveals the judicial track
    assert document.title in line.text


def test_the_timeline_line_of_a_judicial_document_sits_in_the_judicial_compartment(filled, world, people):
    make(world.case_a, people.coordinator, "art40")
    make(world.case_a, people.social_worker, "ip")
    assert sorted(Event.objects.filter(kind="document_generated").values_list("compartment", flat=True)) == [
        "health",
        "judicial",
    ]


def test_a_failed_generation_leaves_neither_row_nor_file(filled, world, people, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("halte.documents.actions.record", broken)
    with pytest.raises(RuntimeError):
        actions.generate(case=world.case_a, actor=people.coordinator, kind="art40")
    assert not Document.objects.exists()
    assert not Event.objects.filter(kind="document_generated").exists()
    root = settings.MEDIA_ROOT / "documents"
    assert not [p for p in root.rglob("*") if p.is_file()]


def test_tampering_is_detected(filled, world, people, settings):
    document, _data = make(
        world.case_a,
        people.coordinator,
        "convocation",
        recipient=filled.guardian,
        convocation=convocation_details(pupil=filled.victim),
    )
    path = settings.MEDIA_ROOT / document.path
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(storage.DocumentTampered):
        storage.read(document)


def test_a_hash_that_does_not_match_is_tampering(filled, world, people):
    document, _data = make(world.case_a, people.coordinator, "art40")
    Document.objects.filter(pk=document.pk).update(sha256="0" * 64)
    with pytest.raises(storage.DocumentTampered, match="SHA-256"):
        storage.read(Document.objects.get(pk=document.pk))


def test_a_file_moved_to_another_document_does_not_decrypt(filled, world, people, settings):
    first, _ = make(world.case_a, people.coordinator, "art40")
    second, _ = make(world.case_a, people.coordinator, "art40")
    (settings.MEDIA_ROOT / second.path).write_bytes((settings.MEDIA_ROOT / first.path).read_bytes())
    with pytest.raises(storage.DocumentTampered):
        storage.read(second)


def test_a_path_outside_the_documents_directory_is_refused(world, people, settings):
    from .conftest import stored_document

    document = stored_document(world.case_a, people.coordinator)
    document.path = "vault/../../etc/passwd"
    with pytest.raises(storage.DocumentUnreadable, match="outside"):
        storage.read(document)


def test_purge_orphans_of_the_vault_leaves_documents_alone(filled, world, people, settings):
    document, data = make(world.case_a, people.coordinator, "art40")
    long_ago = time.time() - 3 * 24 * 3600
    for path in settings.MEDIA_ROOT.rglob("*"):
        if path.is_file():
            os.utime(path, (long_ago, long_ago))
    removed = vault.purge_orphans(older_than=timedelta(0))
    assert not any(path.startswith("documents/") for path in removed)
    assert (settings.MEDIA_ROOT / document.path).exists()
    assert storage.read(document) == data
    assert vault.read_original(filled.evidence)  # and the evidence is still referenced and readable


def test_measures_cancelled_are_not_reported(filled, world, people):
    Measure.objects.filter(description=CORE_MEASURE).update(status="cancelled")
    _document, data = make(world.case_a, people.coordinator, "art40")
    assert_absent(data, CORE_MEASURE)
    assert CORE_MARK in pdf_text(data).replace("\n", "")


def closure_letter_measures(case, people) -> list[str]:
    built = content.closure_letter(
        case, author=people.coordinator, readable=frozenset({"core"}), now=timezone.now(), recipient=None
    )
    return [str(row["label"]) for row in built.context["measures"]]


def test_closure_letter_lists_the_protective_measures_in_place(filled, world, people):
    case = close(world.case_a)
    vigilance = Measure.objects.create(
        case=case,
        category="protective",
        kind="staff_vigilance",
        starts_on=timezone.localdate(),
        created_by=people.coordinator,
    )
    listed = closure_letter_measures(case, people)
    assert listed == ["Adulte référent nommé", vigilance.get_kind_display()]  # no sanction, nothing judicial
    Measure.objects.filter(pk=vigilance.pk).update(status="cancelled")
    assert closure_letter_measures(case, people) == ["Adulte référent nommé"]


def test_closure_letter_draws_on_the_interventions_definition_of_family_facing_measures(
    filled, world, people, monkeypatch
):
    """One definition of what a family may be told: narrow it in interventions, the letter follows."""
    case = close(world.case_a)
    defined = intervention_measures.family_facing_measures

    def narrower(of_case):
        return defined(of_case).exclude(kind="adult_referent")

    monkeypatch.setattr(intervention_measures, "family_facing_measures", narrower)
    assert "Adulte référent nommé" not in closure_letter_measures(case, people)


def test_an_alleged_author_s_parent_linked_to_that_pupil_is_never_on_the_victim_s_side(filled, world, people):
    """A guardian added on the alleged author (a Guardianship, no family contact yet) is that child's
    parent: absent from the IP's guardians, and no closure letter may be addressed to them."""
    from halte.interventions.models import FamilyContact

    FamilyContact.objects.filter(person=filled.author_guardian).delete()
    _document, data = make(world.case_a, people.coordinator, "ip")
    assert_present(data, "MARTIN Sophie")
    assert_absent(data, "DURAND Marc", "06 98 76 54 32")
    case = close(world.case_a)
    assert filled.author_guardian.pk not in {person.pk for person, _roles in content.closure_recipients(case)}
    with pytest.raises(actions.DocumentRefused):
        actions.generate(case=case, actor=people.coordinator, kind="closure_letter", recipient=filled.author_guardian)


def test_no_closure_letter_to_a_family_the_parquet_asked_not_to_inform(filled, world, people):
    case = close(world.case_a)
    restrict(case, people.magistrate, filled.victim, "Audition à venir")
    before = Document.objects.count()
    with pytest.raises(actions.DocumentRefused, match="ne pas informer"):
        actions.generate(case=case, actor=people.coordinator, kind="closure_letter", recipient=filled.guardian)
    assert Document.objects.count() == before


def test_a_convocation_to_a_held_guardian_about_another_pupil_is_refused_and_flagged(filled, world, people):
    """Kévin's family is under « ne pas informer »; his father is then linked to Léa too. Convoking him
    about Léa reaches the family the parquet asked not to inform: refused, and flagged in the choices,
    until the instruction is lifted."""
    from halte.documents.forms import ConvocationForm

    restriction = restrict(world.case_a, people.magistrate, filled.author, "Enquête.")
    guardianship = link(filled.victim, filled.author_guardian, "father")

    def convoke():
        return make(
            world.case_a,
            people.coordinator,
            "convocation",
            recipient=filled.author_guardian,
            convocation=convocation_details(pupil=filled.victim),
        )

    with pytest.raises(actions.DocumentRefused, match="ne pas informer"):
        convoke()
    assert not Document.objects.exists()
    labels = dict(ConvocationForm(case=world.case_a).fields["recipient"].choices)
    assert "pas de convocation" in labels[str(guardianship.public_id)]
    families.lift_restriction(case=world.case_a, actor=people.magistrate, restriction=restriction, reason="Fait.")
    labels = dict(ConvocationForm(case=world.case_a).fields["recipient"].choices)
    assert "pas de convocation" not in labels[str(guardianship.public_id)]
    document, _data = convoke()
    assert document.recipient == filled.author_guardian


def test_no_closure_letter_to_a_guardian_whose_other_child_s_family_is_held(filled, world, people):
    from halte.cases.models import Involvement, Person

    brother = Person.objects.create(kind="pupil", first_name="Théo", last_name="Martin")
    link(brother, filled.guardian)
    Involvement.objects.create(case=world.case_b, person=brother, role="victim")
    restriction = restrict(world.case_b, people.magistrate, brother, "Perquisition prévue.")
    case = close(world.case_a)
    with pytest.raises(actions.DocumentRefused, match="tant que cette consigne n’est pas levée") as refused:
        actions.generate(case=case, actor=people.coordinator, kind="closure_letter", recipient=filled.guardian)
    assert "Perquisition" not in str(refused.value)
    assert not Document.objects.filter(kind="closure_letter").exists()
    families.lift_restriction(case=world.case_b, actor=people.magistrate, restriction=restriction, reason="Fait.")
    make(case, people.coordinator, "closure_letter", recipient=filled.guardian)
