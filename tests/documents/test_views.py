"""Document pages through HTTP: the forms that generate, the download (exact bytes, headers, journal),
tamper detection on download, and the case panel."""

import hashlib
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.models import Case
from halte.core.submission import new_token
from halte.directory.models import Partner
from halte.documents.models import Document

from .conftest import CORE_MARK, contains, stored_document


def generate_url(case, kind):
    return reverse("documents:generate", args=[case.public_id, kind])


def download_url(document):
    return reverse("documents:download", args=[document.case.public_id, document.public_id])


def test_school_staff_convene_a_family_of_their_school_s_case(client, login, people, world, filled):
    login(client, people.school_a_staff)
    url = generate_url(world.case_a, "convocation")
    page = client.get(url)
    assert page.status_code == 200
    assert "Sophie Martin — mère de Léa Martin" in page.content.decode()  # the recipients offered
    on = timezone.localdate() + timedelta(days=5)
    while on.weekday() >= 5:  # a weekend asks for a confirmation (test_ready_to_send)
        on += timedelta(days=1)
    response = client.post(
        url,
        {
            "recipient": str(filled.guardian_link.public_id),
            "submission_token": new_token(),
            "on": on.isoformat(),
            "at": "09:15",
            "place": "Collège A, bureau de la CPE",
            "purpose": "Faire le point\x00 ensemble",
            "contact": "Mme Roux, CPE",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[world.case_a.public_id]) + "#titre-documents"
    document = Document.objects.get()
    assert document.kind == "convocation" and document.recipient == filled.guardian
    assert document.generated_by == people.school_a_staff
    followed = client.get(response.url).content.decode()
    assert "Document généré" in followed
    assert download_url(document) in followed


def test_a_past_date_is_refused_in_french_and_nothing_is_generated(client, login, people, world, filled):
    login(client, people.coordinator)
    response = client.post(
        generate_url(world.case_a, "convocation"),
        {
            "recipient": str(filled.guardian_link.public_id),
            "submission_token": new_token(),
            "on": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "at": "09:15",
            "place": "Collège A",
            "purpose": "Faire le point",
            "contact": "Mme Roux",
        },
    )
    assert response.status_code == 400
    assert "Choisissez une date à venir." in response.content.decode()
    assert not Document.objects.exists()


def test_a_refusal_of_the_case_is_shown_on_the_form(client, login, people, world):
    login(client, people.coordinator)
    response = client.post(generate_url(world.case_a, "closure_letter"), {"submission_token": new_token()})
    assert response.status_code == 400
    assert "n’est pas clos" in response.content.decode()
    assert not Document.objects.exists()


def test_the_form_page_is_journaled_as_a_read_of_the_case(client, login, people, world):
    login(client, people.social_worker)
    assert client.get(generate_url(world.case_a, "ip")).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.CASE_READ, membership=people.social_worker)
    assert event.target_id == str(world.case_a.public_id)
    assert event.detail == {"page": "document_form", "kind": "ip", "compartments": ["core", "health"]}


def test_minutes_through_http(client, login, people, world, filled):
    login(client, people.coordinator)
    url = generate_url(world.case_a, "minutes")
    assert filled.meeting.title in client.get(url).content.decode()
    response = client.post(url, {"meeting": str(filled.meeting.public_id), "submission_token": new_token()})
    assert response.status_code == 302
    assert Document.objects.get().meeting == filled.meeting


def test_an_unknown_kind_is_not_found(client, login, people, world):
    login(client, people.coordinator)
    assert client.get(generate_url(world.case_a, "lettre_anonyme")).status_code == 404


def test_download_serves_the_exact_bytes_whose_hash_is_stored(client, login, people, world, filled):
    login(client, people.coordinator)
    parquet = Partner.objects.create(
        departement=people.coordinator.organisation.departement,
        kind="parquet",
        name="Tribunal judiciaire d’Amiens",
        address="14 rue Robert de Luzarches\n80027 Amiens Cedex 1",
    )
    client.post(
        generate_url(world.case_a, "art40"), {"partner": str(parquet.public_id), "submission_token": new_token()}
    )
    document = Document.objects.get()
    response = client.get(download_url(document))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"].split(", ")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="signalement-procureur-HS-2026-000001-')
    assert disposition.endswith('.pdf"') and disposition.isascii()
    assert hashlib.sha256(response.content).hexdigest() == document.sha256
    assert len(response.content) == document.size
    assert contains(response.content, CORE_MARK)[CORE_MARK]
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_DOWNLOADED)
    assert event.membership == people.coordinator
    assert event.target_id == str(world.case_a.public_id)
    assert event.detail["document"] == str(document.public_id)
    assert event.detail["delivered"] is True


def test_a_tampered_document_is_refused_and_journaled(client, login, people, world, settings):
    document = stored_document(world.case_a, people.coordinator)
    path = settings.MEDIA_ROOT / document.path
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x80
    path.write_bytes(bytes(blob))
    login(client, people.coordinator)
    response = client.get(download_url(document))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Ce document ne peut pas être ouvert" in page and "altéré" in page
    assert not response.content.startswith(b"%PDF")
    assert not AuditEvent.objects.filter(action=AuditAction.DOCUMENT_DOWNLOADED).exists()
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_UNREADABLE)
    assert event.detail["delivered"] is False and event.detail["tampered"] is True


def test_a_document_opened_with_a_different_key_says_the_key_is_wrong_not_that_it_was_altered(
    client, login, people, world, settings, monkeypatch
):
    """A restore without the right key file: the page names the key, the journal does not say tampered."""
    import base64
    import os

    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"k1:{base64.b64encode(os.urandom(32)).decode()}")
    document = stored_document(world.case_a, people.coordinator)
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"k1:{base64.b64encode(os.urandom(32)).decode()}")  # same id, other key
    login(client, people.coordinator)
    response = client.get(download_url(document))
    assert response.status_code == 409
    page = response.content.decode()
    assert "La clé de chiffrement « k1 » est absente ou différente" in page
    assert "altéré" not in page
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_UNREADABLE)
    assert event.detail["tampered"] is False and event.detail["key_unavailable"] is True
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"k2:{base64.b64encode(os.urandom(32)).decode()}")  # id gone
    page = client.get(download_url(document)).content.decode()
    assert "La clé de chiffrement « k1 » est absente ou différente" in page


def test_a_missing_document_file_is_refused_and_journaled(client, login, people, world, settings):
    document = stored_document(world.case_a, people.coordinator)
    (settings.MEDIA_ROOT / document.path).unlink()
    login(client, people.coordinator)
    response = client.get(download_url(document))
    assert response.status_code == 409
    assert "introuvable" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_UNREADABLE)
    assert event.detail["delivered"] is False and event.detail["tampered"] is False


def test_a_document_of_another_case_is_not_found_through_this_one(client, login, people, world):
    document = stored_document(world.case_b, people.coordinator)
    login(client, people.coordinator)
    url = reverse("documents:download", args=[world.case_a.public_id, document.public_id])
    assert client.get(url).status_code == 404


# --- The case panel ---------------------------------------------------------------------------------


def test_the_panel_lists_readable_documents_with_their_hash_and_offers_what_may_be_generated(
    client, login, people, world
):
    core = stored_document(world.case_a, people.coordinator, kind="convocation", compartments=("core",))
    judicial = stored_document(world.case_a, people.magistrate, compartments=("core", "judicial"))
    art40 = stored_document(world.case_a, people.coordinator, compartments=("core",))  # core facts only
    login(client, people.coordinator)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert 'id="titre-documents"' in page
    assert download_url(core) in page and core.title in page
    assert download_url(art40) in page  # who wrote it (who may write one) reads it
    assert f'title="{core.sha256}"' in page and core.sha256[:12] in page
    assert download_url(judicial) not in page and judicial.title not in page
    for kind in ("art40", "ip", "convocation", "minutes", "closure_letter"):
        assert generate_url(world.case_a, kind) in page

    client.logout()
    login(client, people.magistrate)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert download_url(core) in page and download_url(judicial) in page
    assert download_url(art40) in page  # addressed to the parquet: she reads it…
    assert generate_url(world.case_a, "art40") not in page  # …and is not offered to write it to herself
    assert generate_url(world.case_a, "ip") not in page
    assert generate_url(world.case_a, "convocation") not in page

    client.logout()
    login(client, people.school_a_staff)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert download_url(core) in page and download_url(judicial) not in page
    assert download_url(art40) not in page and art40.title not in page  # a school never learns of it
    assert generate_url(world.case_a, "convocation") in page
    assert generate_url(world.case_a, "art40") not in page


def test_the_panel_is_absent_for_who_can_neither_read_nor_generate(client, login, people, world):
    stored_document(world.case_a, people.coordinator)
    login(client, people.police)  # reads only the judicial compartment of case A
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert 'id="titre-documents"' not in page


def test_the_panel_costs_the_same_queries_for_one_document_or_many(client, login, people, world):
    login(client, people.coordinator)
    url = reverse("cases:detail", args=[world.case_a.public_id])
    stored_document(world.case_a, people.coordinator)
    client.get(url)  # warm up sessions and caches
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for author in (people.magistrate, people.social_worker, people.education_referent):
        stored_document(world.case_a, author)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert page.count("Télécharger") == 4
    assert len(many) == len(one)


def test_a_case_closed_then_offers_the_closure_letter_form(client, login, people, world):
    Case.objects.filter(pk=world.case_a.pk).update(state="closed", closure_outcome="stopped", closed_at=timezone.now())
    login(client, people.coordinator)
    response = client.post(
        generate_url(world.case_a, "closure_letter"), {"recipient": "", "submission_token": new_token()}
    )
    assert response.status_code == 302
    assert Document.objects.get().kind == "closure_letter"


def test_a_convocation_to_a_restricted_family_is_refused_even_forged(client, login, people, world, filled):
    from halte.interventions import families

    families.set_restriction(case=world.case_a, actor=people.magistrate, pupil=filled.author, reason="Enquête.")
    login(client, people.school_a_staff)
    url = generate_url(world.case_a, "convocation")
    page = client.get(url).content.decode()
    assert "Consigne « ne pas informer »" in page  # the warning, before anything is typed
    assert "Enquête." not in page  # the reason is the judicial side's
    assert "consigne « ne pas informer » : pas de convocation" in page
    forged = {
        "recipient": str(filled.author_guardian_link.public_id),
        "submission_token": new_token(),
        "on": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "at": "09:15",
        "place": "Collège A",
        "purpose": "Faire le point",
        "contact": "Mme Roux",
    }
    response = client.post(url, forged)
    assert response.status_code == 400
    assert "aucune convocation ne peut lui être adressée" in response.content.decode()
    assert not Document.objects.exists()
    # A pupil is never offered nor accepted as the addressee.
    pupil = client.post(url, {**forged, "recipient": str(filled.author.public_id), "submission_token": new_token()})
    assert "Choisissez le destinataire." in pupil.content.decode()
    assert not Document.objects.exists()
