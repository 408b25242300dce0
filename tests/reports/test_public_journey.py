"""The public journey through HTTP: steps, atomic save, receipt code, mailbox, no IP kept."""

import logging
import re

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.urls import reverse

from halte.notifications.models import Kind, Notification
from halte.reports import drafts, receipts
from halte.reports.models import Evidence, Message, Report, ReportedPupil

from .helpers import draft_of, fill_until_finish, jpeg_with_gps, post_step

RECEIPT = re.compile(r'id="code-de-suivi">\s*((?:\d{4} ){4}\d{4})\s*<')


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def submit(client, files=(), consent=False, **extra):
    data = {"files": list(files)}
    if consent:
        data["consent_to_contact"] = "on"
    return post_step(client, "envoyer", data, **extra)


def receipt_code(response) -> str:
    match = RECEIPT.search(response.content.decode())
    assert match, response.content.decode()[:3000]
    return match.group(1)


def test_a_child_reports_anonymously_and_gets_a_receipt_code(client, people):
    fill_until_finish(client)
    photo = SimpleUploadedFile("capture.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = submit(client, files=[photo])
    assert response.status_code == 200
    code = receipt_code(response)
    digits = code.replace(" ", "")
    assert len(digits) == 20

    report = Report.objects.get()
    assert report.channel == "public_form"
    assert report.is_anonymous
    assert report.school.uai == "0800020M"
    assert report.forms == ["exclusion", "verbal"]
    assert [(p.first_name, p.role) for p in report.pupils.all()] == [("Léa", "victim"), ("Kevin", "alleged_author")]
    assert report.evidence.count() == 1
    # The code exists nowhere in clear: not in the report, not in the session.
    assert digits not in report.receipt_hash
    assert digits not in str(report.receipt_lookup)
    from django.contrib.sessions.models import Session

    assert all(digits not in str(s.get_decoded()) for s in Session.objects.all())
    # The draft is gone with the submission.
    assert not draft_of(client)


def test_receipt_is_kept_as_a_slow_hash_in_production_settings(client, people, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    fill_until_finish(client)
    code = receipt_code(submit(client))
    report = Report.objects.get()
    assert report.receipt_hash.startswith("pbkdf2_sha256$")
    assert receipts.matches(code.replace(" ", ""), report.receipt_hash)


def test_named_reporter_keeps_contact_details_and_consent(client, people):
    fill_until_finish(client, named=True)
    submit(client, consent=True)
    report = Report.objects.get()
    assert not report.is_anonymous
    assert report.reporter_email == "lea.parent@exemple.fr"
    assert report.consent_to_contact


def test_steps_cannot_be_skipped(client, db):
    client.post(reverse("reports:start"))
    response = client.get(reverse("reports:step", args=["faits"]))
    assert response.status_code == 302
    assert response.url == reverse("reports:step", args=["qui"])


def test_unknown_step_is_a_404(client, db):
    assert client.get(reverse("reports:step", args=["nimporte"])).status_code == 404


def test_school_search_lists_matching_schools(client, people):
    post_step(client, "qui", {"reporter_kind": "parent", "anonymity": "anonymous"})
    response = post_step(client, "etablissement", {"school_query": "collège a", "search": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="0800020M"' in page
    response = post_step(client, "etablissement", {"school_query": "zzzz", "search": "1"})
    assert "Aucune école ne correspond. Essayez un autre mot" in response.content.decode()


def test_school_can_be_typed_when_not_found(client, people):
    post_step(client, "qui", {"reporter_kind": "parent", "anonymity": "anonymous"})
    assert post_step(client, "etablissement", {"school_text": "École du Centre, Rue"}).status_code == 302
    response = post_step(client, "etablissement", {})
    assert "Cherchez l’école et choisissez-la" in response.content.decode()


def test_errors_are_in_plain_french(client, people):
    post_step(client, "qui", {"reporter_kind": "witness", "anonymity": "named"})
    response = post_step(client, "qui", {"reporter_kind": "witness", "anonymity": "named"})
    page = response.content.decode()
    assert "Écris ton nom, ou choisis de rester anonyme." in page
    assert "Donne une adresse électronique ou un numéro de téléphone." in page


def test_worrying_report_alerts_coordinators_by_link_only(client, people, django_capture_on_commit_callbacks):
    fill_until_finish(client, description="Il me dit tous les jours d'aller me suicider. J'ai envie de disparaître.")
    with django_capture_on_commit_callbacks(execute=True):
        submit(client)
    report = Report.objects.get()
    assert report.is_worrying
    assert report.flags == ["self_harm"]
    notification = Notification.objects.get(recipient=people.coordinator.user)
    assert notification.kind == Kind.WORRYING_REPORT
    assert not Notification.objects.filter(recipient=people.police.user).exists()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert reverse("reports:detail", args=[report.public_id]) in body
    assert "suicider" not in body and "Kevin" not in body


def test_everything_or_nothing_when_the_database_fails(client, people, monkeypatch):
    fill_until_finish(client)

    def broken_store(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("halte.reports.vault.store", broken_store)
    photo = SimpleUploadedFile("capture.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = submit(client, files=[photo])
    assert response.status_code == 503
    assert "rien n’a été enregistré : réessaie" in response.content.decode()
    assert Report.objects.count() == 0
    assert ReportedPupil.objects.count() == 0
    assert Evidence.objects.count() == 0
    # The reporter can try again: what they typed is still there.
    assert "faits" in draft_of(client)


def test_a_bad_file_is_refused_with_a_message_and_nothing_saved(client, people):
    fill_until_finish(client)
    fake = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    response = submit(client, files=[fake])
    assert response.status_code == 200
    assert "photo.jpg" in response.content.decode()
    assert Report.objects.count() == 0


def test_hostile_text_is_stored_as_typed_and_shown_escaped(client, people, login):
    hostile = "<script>alert('x')</script> '; DROP TABLE reports_report; -- \x07\x00fin"
    fill_until_finish(client, description=hostile)
    submit(client)
    report = Report.objects.get()
    assert report.description == "<script>alert('x')</script> '; DROP TABLE reports_report; -- fin"
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_too_long_text_gets_a_message_not_an_error(client, people):
    post_step(client, "qui", {"reporter_kind": "victim", "anonymity": "anonymous"})
    post_step(client, "etablissement", {"school": "0800020M"})
    post_step(client, "eleves", {"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"})
    facts = {"since": "days", "frequency": "once"}
    response = post_step(client, "faits", {**facts, "description": "a" * 10_001})
    assert response.status_code == 200
    assert "10" in response.content.decode() and "caractères" in response.content.decode()
    assert "faits" not in draft_of(client)


def test_ten_megabytes_of_text_get_a_french_page_not_an_error(client, people):
    post_step(client, "qui", {"reporter_kind": "victim", "anonymity": "anonymous"})
    post_step(client, "etablissement", {"school": "0800020M"})
    post_step(client, "eleves", {"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"})
    response = post_step(client, "faits", {"description": "a" * 10_000_000})
    assert response.status_code == 400
    assert "Ce que tu as envoyé est trop lourd" in response.content.decode()
    assert Report.objects.count() == 0


def test_no_ip_address_of_a_reporter_is_kept_anywhere(client, people, caplog):
    address = "203.0.113.77"
    forwarded = "198.51.100.23"
    extra = {"REMOTE_ADDR": address, "HTTP_X_FORWARDED_FOR": forwarded, "HTTP_USER_AGENT": "Navigateur-Test/1.0"}
    caplog.set_level(logging.DEBUG)
    fill_until_finish(client, **extra)
    code = receipt_code(submit(client, **extra))
    client.post(reverse("reports:mailbox_open"), {"code": code}, **extra)
    client.post(reverse("reports:mailbox"), {"body": "Bonjour"}, **extra)
    client.post(reverse("reports:mailbox_open"), {"code": "1" * 20}, **extra)

    dump = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            dump.append(repr(row))
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM halte_cache")
        dump.extend(repr(row) for row in cursor.fetchall())
    text = "\n".join(dump)
    assert Message.objects.count() == 1
    for secret in (address, forwarded, "Navigateur-Test"):
        assert secret not in text
        assert secret not in caplog.text


def test_mailbox_shows_status_thread_and_accepts_replies(client, people, login):
    fill_until_finish(client)
    code = receipt_code(submit(client))
    response = client.post(reverse("reports:mailbox_open"), {"code": code.replace(" ", "-")})
    assert response.url == reverse("reports:mailbox")
    page = client.get(reverse("reports:mailbox")).content.decode()
    assert "Reçu" in page
    response = client.post(reverse("reports:mailbox"), {"body": "Ça a recommencé ce matin."})
    assert response.status_code == 302
    assert Message.objects.get().author_kind == "reporter"
    client.post(reverse("reports:mailbox_close"))
    assert client.get(reverse("reports:mailbox")).url == reverse("reports:mailbox_open")


def test_wrong_codes_are_throttled_but_never_the_right_one(client, people):
    fill_until_finish(client)
    code = receipt_code(submit(client))
    for _ in range(10):
        response = client.post(reverse("reports:mailbox_open"), {"code": "9" * 20})
        assert "Ce code ne correspond à aucun signalement" in response.content.decode()
    response = client.post(reverse("reports:mailbox_open"), {"code": "9" * 20})
    assert response.status_code == 429
    assert "Trop d’essais" in response.content.decode()
    # The same browser, after its own typos, still opens its mailbox with the right code.
    assert client.post(reverse("reports:mailbox_open"), {"code": code}).status_code == 302


def test_a_flood_holds_every_wrong_code_but_never_a_right_one(client, people, settings):
    from django.test import Client

    fill_until_finish(client)
    code = receipt_code(submit(client))
    settings.HALTE_RECEIPT_THROTTLE = {"SERVICE_LIMIT": 3}
    for n in range(3):
        Client(REMOTE_ADDR=f"192.0.2.{n}").post(reverse("reports:mailbox_open"), {"code": "8" * 20})
    guesser = Client(REMOTE_ADDR="192.0.2.100")
    assert guesser.post(reverse("reports:mailbox_open"), {"code": "7" * 20}).status_code == 429
    # A child opening the mailbox is not held back by the flood.
    assert Client(REMOTE_ADDR="192.0.2.101").post(reverse("reports:mailbox_open"), {"code": code}).status_code == 302


def test_quick_exit_forgets_the_draft_and_the_mailbox(client, people, settings):
    fill_until_finish(client)
    response = client.get(reverse("reports:quick_exit"))
    assert response.status_code == 302
    assert response.url == settings.HALTE["QUICK_EXIT_URL"]
    assert not draft_of(client)
    # Going back to any step now leaves for the neutral site: nothing of the form is shown again.
    for slug in ["qui", "etablissement", "faits", "envoyer"]:
        assert client.get(reverse("reports:step", args=[slug])).url == settings.HALTE["QUICK_EXIT_URL"]


def test_a_double_click_files_one_report_and_the_code_shown_works(client, people):
    fill_until_finish(client)
    draft = draft_of(client)
    first = receipt_code(submit(client))
    # The second click arrives with the same draft (it was read before the first one finished).
    session = client.session
    drafts.save(session, draft)
    session.save()
    second = receipt_code(submit(client))
    assert Report.objects.count() == 1
    assert first != second
    from django.test import Client

    assert Client().post(reverse("reports:mailbox_open"), {"code": second}).status_code == 302
    assert Client().post(reverse("reports:mailbox_open"), {"code": first}).status_code == 200
