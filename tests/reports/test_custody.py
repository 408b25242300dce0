"""The parquet's custody pack: originals, a manifest with every digest and every access from the journal,
signed with Ed25519 so that any change shows; made by the magistrate only, journaled."""

import base64
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from halte.audit.models import Action, AuditEvent
from halte.reports import custody, vault
from halte.reports.enums import ScanStatus
from halte.reports.models import Report
from tests.conftest import CAST

from ..cases.conftest import world
from .clamd_server import EICAR, FakeClamd
from .test_active_content import pdf_with_javascript

__all__ = ["world"]

PHOTO_TEXT = "Capture : « t’es qu’une baleine », reçu sur Snapchat le 3 mars.\n".encode()


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.PRODUCTION = False
    settings.HALTE_CLAMD_URL = ""
    for name in ("HALTE_EVIDENCE_KEYS", "HALTE_EVIDENCE_KEYS_FILE", custody.KEY_ENV, custody.KEY_FILE_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def filed(world):
    report = Report.objects.get(case=world.case_a)
    text = vault.store(report=report, upload=SimpleUploadedFile("capture.txt", PHOTO_TEXT))
    pdf = vault.store(report=report, upload=SimpleUploadedFile("plainte.pdf", pdf_with_javascript()))
    return world.case_a, [text, pdf]


def url(case):
    return reverse("reports:custody_pack", args=[case.public_id])


def download(client, login, membership, case):
    client.logout()
    login(client, membership)
    return client.get(url(case))


def write(tmp_path, data: bytes, name="scelle.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rewrite(data: bytes, change) -> bytes:
    """The same ZIP with one member changed by ``change(name, bytes) -> bytes``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def flip_one_byte(data: bytes, at: int = 0) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_the_pack_holds_the_originals_and_a_manifest_that_verifies(client, login, people, filed, tmp_path):
    case, (text, pdf) = filed
    response = download(client, login, people.magistrate, case)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="scelle-HS-2026-000001-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        manifest = json.loads(archive.read(custody.MANIFEST))
        files = {entry["original_name"]: entry for entry in manifest["files"]}
        assert archive.read(files["capture.txt"]["path"]) == PHOTO_TEXT
        assert archive.read(files["plainte.pdf"]["path"]) == pdf_with_javascript()
        readable = archive.read(custody.READABLE).decode()
    assert files["capture.txt"]["sha256_at_capture"] == hashlib.sha256(PHOTO_TEXT).hexdigest() == text.sha256
    assert files["capture.txt"]["sha256_now"] == text.sha256 and files["capture.txt"]["verified"] is True
    assert files["plainte.pdf"]["active_content"] == ["pdf_javascript", "pdf_automatic_action"]
    assert "Attention : Ce PDF contient du JavaScript." in readable
    assert text.sha256 in readable

    result = custody.verify_pack(response.content, custody.trusted_keys())
    assert result.ok, result.problems
    out = io.StringIO()
    call_command("verify_custody_pack", str(write(tmp_path, response.content)), stdout=out)
    assert "Scellé conforme" in out.getvalue()

    event = AuditEvent.objects.get(action=Action.CUSTODY_PACK_EXPORTED)
    assert event.membership == people.magistrate
    assert event.target_id == str(case.public_id)
    signed = zipfile.ZipFile(io.BytesIO(response.content)).read(custody.MANIFEST)
    assert event.detail["manifest_sha256"] == hashlib.sha256(signed).hexdigest()
    assert set(event.detail["evidence_ids"]) == {str(text.public_id), str(pdf.public_id)}


def test_every_access_from_the_journal_is_in_the_next_pack(client, login, people, filed):
    case, (text, _pdf) = filed
    report = text.report
    client.logout()
    login(client, people.coordinator)
    assert client.get(reverse("reports:evidence_original", args=[report.public_id, text.public_id])).status_code == 200
    first = download(client, login, people.magistrate, case)
    second = download(client, login, people.magistrate, case)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(second.content)).read(custody.MANIFEST))
    accesses = next(e for e in manifest["files"] if e["evidence"] == str(text.public_id))["accesses"]
    assert [access["action"] for access in accesses] == [Action.EVIDENCE_DOWNLOADED, Action.CUSTODY_PACK_EXPORTED]
    assert accesses[0]["by"] == people.coordinator.user.get_full_name()
    assert accesses[0]["copy"] == "original"
    first_manifest = zipfile.ZipFile(io.BytesIO(first.content)).read(custody.MANIFEST)
    exported = AuditEvent.objects.filter(action=Action.CUSTODY_PACK_EXPORTED).order_by("at", "id").first()
    assert accesses[1]["event"] == exported.pk
    assert exported.detail["manifest_sha256"] == hashlib.sha256(first_manifest).hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda name, data: flip_one_byte(data) if name.startswith("pieces/") else data, id="file"),
        pytest.param(lambda name, data: flip_one_byte(data, 40) if name == custody.MANIFEST else data, id="manifest"),
        pytest.param(lambda name, data: data + b"!" if name == custody.READABLE else data, id="readable"),
        pytest.param(lambda name, data: data[:-1] if name.startswith("pieces/") else data, id="truncated-file"),
    ],
)
def test_changing_one_byte_anywhere_fails_verification(client, login, people, filed, tmp_path, change):
    case, _items = filed
    original = download(client, login, people.magistrate, case).content
    tampered = rewrite(original, change)
    assert not custody.verify_pack(tampered, custody.trusted_keys()).ok
    with pytest.raises(CommandError, match="NON conforme"):
        call_command("verify_custody_pack", str(write(tmp_path, tampered)), stdout=io.StringIO(), stderr=io.StringIO())


def test_a_pack_re_signed_with_another_key_or_with_a_file_added_fails(client, login, people, filed):
    case, _items = filed
    original = download(client, login, people.magistrate, case).content
    forger = Ed25519PrivateKey.generate()
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        manifest = json.loads(archive.read(custody.MANIFEST))
    entry = manifest["files"][0]
    entry["sha256_at_capture"] = hashlib.sha256(b"autre chose").hexdigest()
    forged_manifest = json.dumps(manifest).encode()
    from cryptography.hazmat.primitives import serialization

    public = forger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def forge(name, data):
        if name == custody.MANIFEST:
            return forged_manifest
        if name == custody.SIGNATURE:
            return base64.b64encode(forger.sign(forged_manifest))
        if name == custody.PUBLIC_KEY:
            return public
        if name == entry["path"]:
            return b"autre chose"
        return data

    result = custody.verify_pack(rewrite(original, forge), custody.trusted_keys())
    assert any("clé inconnue" in problem for problem in result.problems)

    added = io.BytesIO(original)
    with zipfile.ZipFile(added, "a") as archive:
        archive.writestr("pieces/99-ajout.txt", "pièce glissée après coup".encode())
    result = custody.verify_pack(added.getvalue(), custody.trusted_keys())
    assert any("ajoutés" in problem for problem in result.problems)


def test_quarantined_and_altered_files_are_listed_not_packed(client, login, people, filed, settings):
    case, (text, _pdf) = filed
    daemon = FakeClamd.tcp()
    try:
        settings.HALTE_CLAMD_URL = daemon.url
        infected = vault.store(report=text.report, upload=SimpleUploadedFile("virus.txt", EICAR))
    finally:
        daemon.stop()
    assert infected.scan_status == ScanStatus.INFECTED
    stored = Path(settings.MEDIA_ROOT) / text.original_path
    stored.write_bytes(flip_one_byte(stored.read_bytes(), -1))
    pack = download(client, login, people.magistrate, case).content
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        manifest = json.loads(archive.read(custody.MANIFEST))
        names = archive.namelist()
        assert not any(EICAR in archive.read(name) for name in names)
    files = {entry["original_name"]: entry for entry in manifest["files"]}
    assert files["virus.txt"]["withheld"] == "quarantine" and files["virus.txt"]["path"] is None
    assert files["virus.txt"]["antivirus"] == {"status": "infected", "signature": "Eicar-Signature"}
    assert files["capture.txt"]["withheld"] == "altered" and files["capture.txt"]["verified"] is False
    assert custody.verify_pack(pack, custody.trusted_keys()).ok  # the pack itself is intact


def test_a_file_whose_key_is_absent_or_different_is_withheld_as_such_not_as_altered(
    client, login, people, world, monkeypatch
):
    """A restore without the right key file must not make the pack say the evidence was altered."""
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"k1:{base64.b64encode(os.urandom(32)).decode()}")
    report = Report.objects.get(case=world.case_a)
    vault.store(report=report, upload=SimpleUploadedFile("capture.txt", PHOTO_TEXT))
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"k1:{base64.b64encode(os.urandom(32)).decode()}")  # same id, other key
    pack = download(client, login, people.magistrate, world.case_a).content
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        manifest = json.loads(archive.read(custody.MANIFEST))
        readable = archive.read(custody.READABLE).decode()
    (entry,) = manifest["files"]
    assert entry["withheld"] == "key_unavailable" and entry["key_id"] == "k1" and entry["path"] is None
    assert "clé de chiffrement « k1 » absente ou différente" in readable
    assert "empreinte de saisie" not in readable  # the wording of an altered file
    assert custody.verify_pack(pack, custody.trusted_keys()).ok


# Everyone on the case of school A (shared with the police for its judicial part) and on school B's case.
EXPECTED = {name: {"case_a": 404, "case_b": 404} for name in CAST}
EXPECTED["magistrate"] = {"case_a": 200, "case_b": 200}
for name in ("analyst", "dpo", "admin"):  # no case content at all: the page rule refuses first
    EXPECTED[name] = {"case_a": 403, "case_b": 403}


@pytest.mark.parametrize("case_name", ["case_a", "case_b"])
def test_custody_pack_access_matrix(client, login, people, world, filed, case_name):
    case = getattr(world, case_name)
    seen = {name: download(client, login, getattr(people, name), case).status_code for name in CAST}
    assert seen == {name: EXPECTED[name][case_name] for name in CAST}
    exports = AuditEvent.objects.filter(action=Action.CUSTODY_PACK_EXPORTED)
    assert [event.membership for event in exports] == [people.magistrate]


def test_the_case_page_offers_the_pack_to_the_magistrate_only(client, login, people, filed):
    case, _items = filed
    page = url(case)
    client.logout()
    login(client, people.magistrate)
    shown = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert page in shown and "Ce PDF contient du JavaScript." in shown
    assert "fichiers non analysés par un antivirus" in shown
    client.logout()
    login(client, people.coordinator)
    assert page not in client.get(reverse("cases:detail", args=[case.public_id])).content.decode()


def test_production_refuses_to_sign_without_a_configured_key(settings, monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from halte.reports.checks import custody_key_configured

    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match=custody.KEY_ENV):
        custody.signing_key()
    assert [message.id for message in custody_key_configured(None)] == ["halte_reports.E002"]
    seed = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    raw = seed.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    monkeypatch.setenv(custody.KEY_ENV, base64.b64encode(raw).decode())
    assert custody.fingerprint(custody.signing_key().public_key()) == custody.fingerprint(seed.public_key())
    assert custody_key_configured(None) == []
    monkeypatch.setenv(custody.KEY_ENV, "pas-une-cle")
    assert [message.id for message in custody_key_configured(None)] == ["halte_reports.E002"]
