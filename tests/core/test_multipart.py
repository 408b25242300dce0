"""A file is never lost because of its name: raw multipart bodies, as a phone, an old Windows program
or a hostile script would send them, through real HTTP requests to the mailbox, the public form and
staff intake. Each file must come out as an evidence row whose vault file exists and decrypts."""

import pytest
from django.test import Client
from django.urls import reverse

from halte.core import blobs, multipart
from halte.core.submission import new_token
from halte.reports import enums, vault
from halte.reports.actions import PupilData, ReportData, submit_report
from halte.reports.models import Evidence, Message, Report
from tests.reports.helpers import fill_until_finish

BOUNDARY = b"----HalteTestBoundary7MA4YWxkTrZu0gW"
CONTENT = "Il m’a écrit « t’es nul personne t’aime » hier soir à 23 h.\n".encode()


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def raw_body(fields: dict[str, str], files: list[tuple[bytes, bytes]], field_name: bytes = b"files") -> bytes:
    """A multipart/form-data body written byte by byte: file names go in exactly as given."""
    parts = []
    for name, value in fields.items():
        parts.append(
            b"--" + BOUNDARY + b"\r\n"
            b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + value.encode() + b"\r\n"
        )
    for filename, content in files:
        parts.append(
            b"--" + BOUNDARY + b"\r\n"
            b'Content-Disposition: form-data; name="' + field_name + b'"; filename="' + filename + b'"\r\n'
            b"Content-Type: text/plain\r\n\r\n" + content + b"\r\n"
        )
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


def post_raw(client: Client, url: str, body: bytes):
    return client.post(url, body, content_type=f"multipart/form-data; boundary={BOUNDARY.decode()}")


def a_report_with_its_code() -> tuple[Report, str]:
    data = ReportData(
        channel=enums.Channel.PUBLIC_FORM,
        reporter_kind=enums.ReporterKind.VICTIM,
        description="On se moque de moi sur le groupe de la classe.",
        school_text="Collège du bourg",
        pupils=[PupilData(first_name="Noah", role=enums.PupilRole.VICTIM)],
    )
    submission = submit_report(data=data, actor=None, with_receipt=True)
    assert submission.receipt_code
    return submission.report, submission.receipt_code


@pytest.fixture
def mailbox(db):
    report, code = a_report_with_its_code()
    browser = Client()
    assert browser.post(reverse("reports:mailbox_open"), {"code": code}).status_code == 302
    return report, browser


def assert_kept(evidence: Evidence, name: str, content: bytes = CONTENT) -> None:
    assert evidence.original_name == name
    assert evidence.content_type == "text/plain"
    assert blobs.exists(evidence.original_path)
    assert vault.read_original(evidence) == content


NAMES = [
    pytest.param(b"\xe9t\xe9 \xe0 la plage.txt", "été à la plage.txt", id="latin-1, not utf-8"),
    pytest.param(b"r\xe9sum\xe9 \x93copie\x94.txt", "résumé “copie”.txt", id="windows-1252"),
    pytest.param(b"\xff\xfe\x81\x8d.txt", "ÿþ.txt", id="bytes valid in no charset"),
    pytest.param(b"\xc3\x28\xa0\xa1.txt", "Ã(¡.txt", id="broken utf-8 sequence"),
    pytest.param(b"..", "fichier", id="dot-dot"),
    pytest.param(b".", "fichier", id="dot"),
    pytest.param(b"/", "fichier", id="slash"),
    pytest.param(b"captures/", "fichier", id="a folder"),
    pytest.param(b"&#46;&#46;", "fichier", id="escaped dot-dot"),
    pytest.param(b"", "fichier", id="empty name, some content"),
    pytest.param(b"\x01\x02\x1b", "fichier", id="control characters only"),
    pytest.param(b"capture\x00\x1b[31m\x7f.txt", "capture[31m.txt", id="control characters"),
    pytest.param(b"../../etc/passwd.txt", "passwd.txt", id="relative path"),
    pytest.param("C:\\Users\\Léa\\Bureau\\insultes.txt".encode(), "insultes.txt", id="windows path"),
    pytest.param(b"/var/www/halte/media/vault/x.txt", "x.txt", id="absolute path"),
    pytest.param(("é" * 300 + ".txt").encode(), "é" * 251 + ".txt", id="very long"),
    pytest.param("\u202etxt.exe".encode(), "txt.exe", id="right-to-left override"),
]


@pytest.mark.parametrize(("raw_name", "kept_name"), NAMES)
def test_a_file_sent_to_the_mailbox_is_kept_whatever_its_name(mailbox, raw_name, kept_name):
    report, browser = mailbox

    response = post_raw(
        browser, reverse("reports:mailbox"), raw_body({"body": "Voilà la capture."}, [(raw_name, CONTENT)])
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    message = Message.objects.get(report=report)
    assert_kept(message.evidence.get(), kept_name)


def test_several_badly_named_files_are_all_kept(mailbox):
    report, browser = mailbox
    files = [
        (b"..", b"premier\n"),
        (b"\xe9.txt", b"deuxi\xc3\xa8me\n"),
        (b"", b"troisi\xc3\xa8me\n"),
        (b"/", b"quatre\n"),
    ]

    response = post_raw(browser, reverse("reports:mailbox"), raw_body({"body": "Quatre captures."}, files))

    assert response.status_code == 302
    kept = list(Message.objects.get(report=report).evidence.order_by("id"))
    assert [e.original_name for e in kept] == ["fichier", "é.txt", "fichier", "fichier"]
    for evidence, (_name, content) in zip(kept, files, strict=True):
        assert_kept(evidence, evidence.original_name, content)


def test_an_empty_file_input_is_still_no_file(mailbox):
    """What a browser sends for a file input left empty: an empty name and no bytes."""
    report, browser = mailbox

    response = post_raw(browser, reverse("reports:mailbox"), raw_body({"body": "Sans pièce."}, [(b"", b"")]))

    assert response.status_code == 302
    assert Message.objects.get(report=report).body == "Sans pièce."
    assert not Evidence.objects.exists()


def test_the_public_form_keeps_a_file_named_dot_dot_with_its_report(client, people):
    fill_until_finish(client)
    body = raw_body({}, [(b"..", CONTENT), (b"\xe9cran.txt", CONTENT)])

    response = post_raw(client, reverse("reports:step", args=["envoyer"]), body)

    assert response.status_code == 200
    assert "code-de-suivi" in response.content.decode()
    report = Report.objects.get()
    names = sorted(e.original_name for e in report.evidence.all())
    assert names == ["fichier", "écran.txt"]
    for evidence in report.evidence.all():
        assert_kept(evidence, evidence.original_name)


def test_staff_intake_keeps_a_file_whose_name_is_not_utf8(client, login, people):
    login(client, people.coordinator)
    fields = {
        "channel": "phone",
        "received_at": "2026-11-30T10:15",
        "reporter_kind": "parent",
        "is_anonymous": "on",
        "school": "0800022P",
        "description": "La mère appelle : sa fille reçoit des messages insultants.",
        "submission_token": new_token(),
    }

    response = post_raw(client, reverse("reports:staff_new"), raw_body(fields, [(b"capture d'\xe9cran.txt", CONTENT)]))

    assert response.status_code == 302, response.context["form"].errors
    assert_kept(Report.objects.get().evidence.get(), "capture d'écran.txt")


# --- The transcoder alone, whatever the network's chunking -------------------------------------------


@pytest.mark.parametrize("read_bytes", [1, 2, 3, 5, 8, 13, 64, 65536])
def test_headers_are_transcoded_whatever_the_chunk_size(monkeypatch, read_bytes):
    import io

    monkeypatch.setattr(multipart, "READ_BYTES", read_bytes)
    content = b"--" + BOUNDARY[:-1] + b"\xe9\r\n\r\n\xff binary \r\n-- not a boundary\r\n"
    body = raw_body({"body": "é"}, [(b"\xe9.txt", content), (b"", b"x"), (b"", b"")])

    out = multipart.HeaderTranscoder(io.BytesIO(body), BOUNDARY).read()

    expected = raw_body({"body": "é"}, [("é.txt".encode(), content), (b"fichier", b"x"), (b"", b"")])
    assert out == expected


def test_a_body_larger_than_any_report_is_refused_before_it_is_read(mailbox, settings):
    report, browser = mailbox
    settings.HALTE_MAX_UPLOAD_BYTES = 10_000
    big = raw_body({"body": "Trop gros."}, [(b"video.txt", b"x" * 20_000)])

    response = post_raw(browser, reverse("reports:mailbox"), big)

    # The public pages' French "too big" page (the API answers a JSON 413: tests/api).
    assert response.status_code == 400
    assert "Ce que tu as envoyé est trop lourd" in response.content.decode()
    assert "photos ou des vidéos" in response.content.decode()  # the likely cause is named, not only the text
    assert not Message.objects.filter(report=report).exists()
