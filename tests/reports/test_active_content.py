"""Active content in evidence: found at capture from the bytes, however it is hidden, and shown next to
the file on the staff page; originals only ever leave as attachments that no browser renders."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from halte.reports import vault
from halte.reports.inspection import Finding, find_active_content
from halte.reports.models import Evidence

from .test_staff import make_report

BENIGN_TEXT = (
    "Il m’a écrit : « on se retrouve à 17h devant le portail, t’as intérêt à venir ».\n"
    "Puis : « onze personnes ont vu la vidéo, script de merde lol » — <3 à toi.\n"
)


def hand_pdf(*objects: bytes) -> bytes:
    body = b"\n".join(objects)
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def real_pdf(*, javascript: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if javascript:
        action = {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(javascript)}
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(action)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_of(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def windows_program() -> bytes:
    header = bytearray(b"MZ" + b"\0" * 0x7E)
    struct.pack_into("<I", header, 0x3C, 0x80)
    return bytes(header) + b"PE\0\0" + b"\0" * 64


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (real_pdf(), []),
        (real_pdf(javascript="app.alert('coucou');"), [Finding.PDF_JAVASCRIPT, Finding.PDF_AUTOMATIC_ACTION]),
        (
            hand_pdf(b"1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj"),
            [Finding.PDF_JAVASCRIPT, Finding.PDF_AUTOMATIC_ACTION],
        ),
        # Names written with #xx escapes are the same names.
        (
            hand_pdf(b"1 0 obj << /Type /Catalog /Open#41ction << /S /J#61vaScript /J#53 (x) >> >> endobj"),
            [Finding.PDF_JAVASCRIPT, Finding.PDF_AUTOMATIC_ACTION],
        ),
        # A dictionary hidden in a compressed object stream is read too.
        (
            hand_pdf(
                b"5 0 obj << /Type /ObjStm /Filter /FlateDecode >> stream\n"
                + zlib.compress(b"1 0 obj << /Type /Catalog /AA << /O << /S /Launch /F (cmd.exe) >> >> >> endobj")
                + b"\nendstream endobj"
            ),
            [Finding.PDF_AUTOMATIC_ACTION, Finding.PDF_LAUNCH],
        ),
        (
            hand_pdf(
                b"1 0 obj << /Names << /EmbeddedFiles 2 0 R >> >> endobj 2 0 obj << /Type /EmbeddedFile >> endobj"
            ),
            [Finding.PDF_EMBEDDED_FILE],
        ),
        (hand_pdf(b"1 0 obj << /AcroForm << /XFA 3 0 R >> >> endobj"), [Finding.PDF_XFA]),
        # A name that only starts like one is not it.
        (hand_pdf(b"1 0 obj << /JSON (x) /AAA 1 /Launcher 2 >> endobj"), []),
        (zip_of({"[Content_Types].xml": b"<Types/>", "word/vbaProject.bin": b"\0" * 16}), [Finding.OFFICE_MACROS]),
        (zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}), []),
        (
            zip_of({"mimetype": b"application/vnd.oasis.opendocument.text", "Basic/Standard/Module1.xml": b"x"}),
            [Finding.OFFICE_MACROS],
        ),
        # A polyglot: a PDF with an archive of macros appended is still a PDF for the vault.
        (real_pdf() + zip_of({"xl/vbaProject.bin": b"\0" * 16}), [Finding.OFFICE_MACROS]),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 200 + "_VBA_PROJECT".encode("utf-16-le"),
            [Finding.OFFICE_MACROS],
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 200 + "WordDocument".encode("utf-16-le"), []),
        (b"<!doctype html><p>salut</p><script>fetch('/x')</script>", [Finding.MARKUP_SCRIPT]),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', [Finding.MARKUP_SCRIPT]),
        (b'<a href=" javascript:alert(1)">clique</a>', [Finding.MARKUP_SCRIPT]),
        (BENIGN_TEXT.encode(), []),
        (b"#!/bin/sh\nrm -rf ~\n", [Finding.EXECUTABLE]),
        (windows_program(), [Finding.EXECUTABLE]),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 60, [Finding.EXECUTABLE]),
        ("MZ m’a encore insultée hier soir, elle dit que personne ne m’aime.\n".encode() * 3, []),
    ],
)
def test_active_content_is_found_however_it_is_written(data, expected):
    assert find_active_content(data) == expected


def test_a_decompression_bomb_in_a_pdf_stream_stops_at_the_budget(monkeypatch):
    from halte.reports import inspection

    monkeypatch.setattr(inspection, "INFLATE_BUDGET", 1024 * 1024)
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)  # 64 MiB of zeros in ~64 KiB
    data = hand_pdf(b"4 0 obj << /Filter /FlateDecode >> stream\n" + bomb + b"\nendstream endobj") + (b"/JS " * 2)
    assert find_active_content(data) == [Finding.PDF_JAVASCRIPT]


@pytest.fixture(autouse=True)
def _no_antivirus(settings):
    settings.HALTE_CLAMD_URL = ""


def pdf_with_javascript() -> bytes:
    return hand_pdf(
        b"1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >> endobj",
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj",
        b"3 0 obj << /S /JavaScript /JS (app.launchURL('https://exemple.invalid/')) >> endobj",
    )


def test_the_staff_page_says_what_a_pdf_would_do_and_that_nothing_was_scanned(client, people, login):
    upload = SimpleUploadedFile("capture.pdf", pdf_with_javascript(), content_type="application/pdf")
    benign = SimpleUploadedFile("message.txt", BENIGN_TEXT.encode(), content_type="text/plain")
    report = make_report(files=[upload, benign])
    flagged = report.evidence.get(original_name="capture.pdf")
    assert flagged.active_content == [Finding.PDF_JAVASCRIPT, Finding.PDF_AUTOMATIC_ACTION]
    assert report.evidence.get(original_name="message.txt").active_content == []
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "Ce PDF contient du JavaScript." in page
    assert "Ce PDF contient des actions automatiques" in page
    assert page.count("fr-alert--warning") == 1  # the text file carries no alert
    assert "fichiers non analysés par un antivirus" in page


def test_an_original_with_active_content_is_only_ever_an_attachment(client, people, login):
    data = pdf_with_javascript()
    report = make_report(files=[SimpleUploadedFile("capture.pdf", data, content_type="application/pdf")])
    evidence = report.evidence.get()
    login(client, people.coordinator)
    response = client.get(reverse("reports:evidence_original", args=[report.public_id, evidence.public_id]))
    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    # A PDF has no display copy: nothing of it is ever rendered by Halte.
    display = client.get(reverse("reports:evidence_display", args=[report.public_id, evidence.public_id]))
    assert display.status_code == 404


def test_evidence_stored_before_inspection_is_inspected_on_first_view(client, people, login):
    report = make_report(files=[SimpleUploadedFile("capture.pdf", pdf_with_javascript())])
    Evidence.objects.filter(report=report).update(active_content=None)  # as rows from before the migration
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "Ce PDF contient du JavaScript." in page
    assert report.evidence.get().active_content == [Finding.PDF_JAVASCRIPT, Finding.PDF_AUTOMATIC_ACTION]


def test_a_file_that_cannot_be_read_back_says_it_was_not_checked(client, people, login, settings):
    from pathlib import Path

    report = make_report(files=[SimpleUploadedFile("capture.pdf", pdf_with_javascript())])
    evidence = report.evidence.get()
    Evidence.objects.filter(pk=evidence.pk).update(active_content=None)
    (Path(settings.MEDIA_ROOT) / evidence.original_path).unlink()
    evidence.refresh_from_db()
    vault.inspect_pending([evidence])
    assert evidence.active_content is None
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "Contenu actif non vérifié" in page
