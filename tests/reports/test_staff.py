"""Staff screens of reports: the queue, the report page, replies, intake, evidence downloads."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.core.submission import new_token
from halte.reports.actions import PupilData, ReportData, submit_report
from halte.reports.models import Report

from .helpers import jpeg_with_gps


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def make_report(actor=None, *, description="Insultes répétées dans la cour.", received_at=None, school=None, **kw):
    files = kw.pop("files", ())
    data = ReportData(
        channel=kw.pop("channel", "public_form" if actor is None else "school"),
        reporter_kind=kw.pop("reporter_kind", "parent"),
        description=description,
        school=school,
        school_text="" if school else "Collège inconnu",
        received_at=received_at,
        pupils=[PupilData(first_name="Jade", role="victim")],
        **kw,
    )
    return submit_report(data=data, actor=actor, with_receipt=actor is None, files=files).report


def test_queue_puts_worrying_reports_first_then_the_oldest(client, people, login):
    now = timezone.now()
    old = make_report(received_at=now - timedelta(days=3))
    new = make_report(received_at=now - timedelta(hours=1))
    worrying = make_report(description="Il parle de se tuer.", received_at=now)
    login(client, people.coordinator)
    page = client.get(reverse("reports:queue")).content.decode()
    positions = [page.index(r.reference) for r in (worrying, old, new)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("count", [2, 12])
def test_queue_query_count_is_constant(client, people, login, django_assert_num_queries, count):
    school = people.school_a_staff.school
    for _ in range(count):
        make_report(school=school)
    login(client, people.coordinator)
    # Session, user, OTP device, membership, session save, count, one page of reports with their schools,
    # the header's unread notifications.
    with django_assert_num_queries(10):
        assert client.get(reverse("reports:queue")).status_code == 200


def test_only_coordinators_see_the_queue(client, people, login):
    for name, membership in people.all().items():
        client.logout()
        login(client, membership)
        expected = 200 if name == "coordinator" else 403
        assert client.get(reverse("reports:queue")).status_code == expected, name


def test_report_page_access(client, people, login):
    a_report = make_report(people.school_a_staff, school=people.school_a_staff.school)
    public_report = make_report()
    url_a = reverse("reports:detail", args=[a_report.public_id])
    url_public = reverse("reports:detail", args=[public_report.public_id])
    expected = {
        "coordinator": (200, 200),
        "school_a_staff": (200, 404),
        "school_b_staff": (404, 404),
    }
    for name, membership in people.all().items():
        client.logout()
        login(client, membership)
        seen = (client.get(url_a).status_code, client.get(url_public).status_code)
        assert seen == expected.get(name, (403, 403)), name


def test_reading_a_report_is_journaled_and_identity_is_coordinator_only(client, people, login):
    data = {"is_anonymous": False, "reporter_name": "Sandrine Petit", "reporter_email": "s.petit@exemple.fr"}
    report = make_report(people.school_a_staff, school=people.school_a_staff.school, **data)
    url = reverse("reports:detail", args=[report.public_id])
    login(client, people.school_a_staff)
    assert "Sandrine Petit" not in client.get(url).content.decode()
    client.logout()
    login(client, people.coordinator)
    assert "Sandrine Petit" in client.get(url).content.decode()
    reads = AuditEvent.objects.filter(action=Action.REPORT_READ, target_id=str(report.public_id))
    assert {e.membership for e in reads} == {people.school_a_staff, people.coordinator}
    identity = AuditEvent.objects.get(action=Action.REPORTER_IDENTITY_READ)
    assert identity.membership == people.coordinator


def test_coordinator_reply_reaches_the_mailbox_and_status_follows(client, people, login):
    from django.test import Client

    data = ReportData(channel="public_form", reporter_kind="victim", description="Ils me frappent.")
    submission = submit_report(data=data, actor=None, with_receipt=True)
    report = submission.report
    login(client, people.coordinator)
    client.post(
        reverse("reports:reply", args=[report.public_id]),
        {"body": "Merci, nous allons t'aider.", "submission_token": new_token()},
    )
    client.post(reverse("reports:take_charge", args=[report.public_id]))
    reporter = Client()
    reporter.post(reverse("reports:mailbox_open"), {"code": submission.receipt_code})
    page = reporter.get(reverse("reports:mailbox")).content.decode()
    assert "Merci, nous allons t&#x27;aider." in page
    assert "Pris en charge" in page
    assert people.coordinator.user.last_name not in page  # the cell answers, not a named person
    assert AuditEvent.objects.filter(action=Action.MESSAGE_SENT).exists()
    assert AuditEvent.objects.filter(action=Action.REPORT_TAKEN_IN_CHARGE).exists()


def test_empty_reply_is_refused_and_nothing_sent(client, people, login):
    report = make_report()
    login(client, people.coordinator)
    client.post(reverse("reports:reply", args=[report.public_id]), {"body": "   ", "submission_token": new_token()})
    assert report.messages.count() == 0


def test_coordinator_types_in_a_parquet_referral_with_references(client, people, login):
    login(client, people.coordinator)
    response = client.post(
        reverse("reports:staff_new"),
        {
            "channel": "parquet",
            "received_at": "2026-11-20T10:30",
            "reporter_kind": "other",
            "is_anonymous": "on",
            "school": "0800022P",
            "bullying_forms": ["cyber"],
            "platforms": ["snapchat"],
            "description": "Saisine du parquet : diffusion de photos sur Snapchat.",
            "parquet_number": "26/123/45",
            "faits_etablissement_id": "FE-2026-778",
            "faits_etablissement_level": "2",
            "submission_token": new_token(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    report = Report.objects.get()
    assert report.channel == "parquet"
    assert report.parquet_number == "26/123/45"
    assert report.faits_etablissement_level == 2
    assert report.created_by == people.coordinator
    assert timezone.localtime(report.received_at).strftime("%d/%m %H:%M") == "20/11 10:30"


def test_school_staff_report_for_their_own_school_only(client, people, login):
    login(client, people.school_a_staff)
    common = {
        "channel": "school",
        "received_at": "2026-11-20T10:30",
        "reporter_kind": "school_staff",
        "reporter_name": "CPE",
        "description": "Un élève isolé et moqué.",
    }
    response = client.post(
        reverse("reports:staff_new"), {**common, "school": "0800022P", "submission_token": new_token()}
    )
    assert response.status_code == 400
    assert Report.objects.count() == 0
    response = client.post(
        reverse("reports:staff_new"), {**common, "school": "0800020M", "submission_token": new_token()}
    )
    assert response.status_code == 302
    assert Report.objects.get().school.uai == "0800020M"


def test_evidence_download_is_coordinator_only_and_journaled(client, people, login):
    photo = jpeg_with_gps()
    upload = SimpleUploadedFile("preuve.jpg", photo, content_type="image/jpeg")
    report = make_report(people.school_a_staff, school=people.school_a_staff.school, files=[upload])
    evidence = report.evidence.get()
    url = reverse("reports:evidence_original", args=[report.public_id, evidence.public_id])
    login(client, people.school_a_staff)
    assert client.get(url).status_code == 403
    client.logout()
    login(client, people.coordinator)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == photo
    assert response["X-Content-SHA256"] == hashlib.sha256(photo).hexdigest()
    event = AuditEvent.objects.get(action=Action.EVIDENCE_DOWNLOADED)
    assert event.detail["sha256"] == evidence.sha256
    preview = client.get(reverse("reports:evidence_display", args=[report.public_id, evidence.public_id]))
    assert preview.status_code == 200
    assert b"TelephoneDeTest" not in preview.content


def test_an_altered_file_is_refused_journaled_and_shown_as_such(client, people, login, settings):
    from pathlib import Path

    upload = SimpleUploadedFile("preuve.jpg", jpeg_with_gps(), content_type="image/jpeg")
    report = make_report(people.school_a_staff, school=people.school_a_staff.school, files=[upload])
    evidence = report.evidence.get()
    stored = Path(settings.MEDIA_ROOT) / evidence.original_path
    blob = bytearray(stored.read_bytes())
    blob[-1] ^= 0x01
    stored.write_bytes(bytes(blob))
    login(client, people.coordinator)
    response = client.get(reverse("reports:evidence_original", args=[report.public_id, evidence.public_id]))
    assert response.status_code == 409
    assert "altéré" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.EVIDENCE_DOWNLOADED).exists()
    assert AuditEvent.objects.get(action=Action.EVIDENCE_UNREADABLE).detail["tampered"] is True


def test_a_wrong_key_is_shown_as_a_key_problem_not_as_tampering(client, people, login, monkeypatch):
    import base64
    import os

    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{base64.b64encode(os.urandom(32)).decode()}")
    upload = SimpleUploadedFile("preuve.jpg", jpeg_with_gps(), content_type="image/jpeg")
    report = make_report(people.school_a_staff, school=people.school_a_staff.school, files=[upload])
    evidence = report.evidence.get()
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{base64.b64encode(os.urandom(32)).decode()}")
    login(client, people.coordinator)
    response = client.get(reverse("reports:evidence_original", args=[report.public_id, evidence.public_id]))
    assert response.status_code == 409
    page = response.content.decode()
    assert "La clé de chiffrement « 2026 » est absente ou différente" in page
    assert "altéré" not in page
    event = AuditEvent.objects.get(action=Action.EVIDENCE_UNREADABLE)
    assert event.detail["tampered"] is False
    assert event.detail["key_unavailable"] is True


def test_staff_pages_are_never_cached(client, people, login):
    report = make_report()
    login(client, people.coordinator)
    response = client.get(reverse("reports:detail", args=[report.public_id]))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_received_date_typo_is_refused_not_stored(client, people, login):
    login(client, people.coordinator)
    data = {
        "channel": "phone",
        "received_at": "0001-01-01T00:00",
        "reporter_kind": "parent",
        "is_anonymous": "on",
        "school": "0800020M",
        "description": "Appel d'un parent.",
        "submission_token": new_token(),
    }
    response = client.post(reverse("reports:staff_new"), data)
    assert response.status_code == 400
    assert "trop ancienne" in response.content.decode()
    assert not Report.objects.exists()
    assert client.get(reverse("reports:queue")).status_code == 200


def test_the_staff_read_who_reported_in_the_third_person(client, people, login):
    """« Je suis un parent ou un proche » is what the parent ticks, not what the coordinator reads."""
    report = make_report(reporter_kind="parent")
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "Un parent ou un proche" in page
    assert "Je suis" not in page
    from halte.reports.forms import ReporterStep

    labels = dict(ReporterStep.base_fields["reporter_kind"].choices)
    assert labels["parent"] == "Je suis un parent ou un proche"
    assert labels["school_staff"] == "Je travaille dans cette école"
