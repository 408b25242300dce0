"""The antivirus scan of evidence over clamd's INSTREAM protocol, against real sockets: a small clamd
written for the tests (tests/reports/clamd_server.py) and, when the machine has it, ClamAV's own
daemon with a one-line local signature for the EICAR test string."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from halte.audit.models import Action, AuditEvent
from halte.reports import antivirus
from halte.reports.checks import antivirus_configured
from halte.reports.enums import ScanStatus

from .clamd_server import EICAR, FakeClamd
from .test_staff import make_report


@pytest.fixture
def clamd(settings):
    daemon = FakeClamd.tcp()
    settings.HALTE_CLAMD_URL = daemon.url
    yield daemon
    daemon.stop()


def eicar_upload(name="capture.txt"):
    return SimpleUploadedFile(name, EICAR + b"\n", content_type="text/plain")


def test_the_eicar_test_file_is_flagged_quarantined_and_never_served(client, people, login, clamd):
    clean = SimpleUploadedFile("message.txt", "Il m’a encore insultée ce matin.\n".encode())
    report = make_report(files=[eicar_upload(), clean])
    infected = report.evidence.get(original_name="capture.txt")
    assert (infected.scan_status, infected.scan_signature) == (ScanStatus.INFECTED, "Eicar-Signature")
    assert infected.scanned_at is not None
    assert report.evidence.get(original_name="message.txt").scan_status == ScanStatus.CLEAN
    assert clamd.streams == [EICAR + b"\n", "Il m’a encore insultée ce matin.\n".encode()]

    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "Virus détecté : Eicar-Signature" in page
    assert "non analysés par un antivirus" not in page
    original = reverse("reports:evidence_original", args=[report.public_id, infected.public_id])
    assert original not in page  # no link to it

    response = client.get(original)
    assert response.status_code == 403
    assert EICAR not in response.content
    assert "quarantaine" in response.content.decode()
    refused = AuditEvent.objects.get(action=Action.EVIDENCE_REFUSED)
    assert refused.detail["evidence"] == str(infected.public_id)
    assert not AuditEvent.objects.filter(action=Action.EVIDENCE_DOWNLOADED).exists()


def test_a_unix_socket_daemon_is_spoken_to_as_well(settings):
    daemon = FakeClamd.unix()
    try:
        settings.HALTE_CLAMD_URL = daemon.url
        assert antivirus.scan(EICAR) == antivirus.ScanResult(ScanStatus.INFECTED, "Eicar-Signature")
        settings.HALTE_CLAMD_URL = daemon.url.removeprefix("unix://")  # a bare path
        assert antivirus.scan(b"bonjour") == antivirus.ScanResult(ScanStatus.CLEAN)
    finally:
        daemon.stop()


def test_a_file_larger_than_one_chunk_reaches_the_daemon_whole(clamd):
    data = b"A" * (3 * antivirus.CHUNK_BYTES + 17) + EICAR
    assert antivirus.scan(data).status == ScanStatus.INFECTED
    assert clamd.streams == [data]


@pytest.mark.parametrize(
    "reply",
    [b"INSTREAM size limit exceeded. ERROR", b"stream: OK FOUND? no", b"", b"stream: " + b"x" * 300 + b" FOUND"],
)
def test_an_answer_that_is_neither_ok_nor_found_is_a_failed_scan(clamd, reply):
    clamd.reply = reply
    assert antivirus.scan(b"bonjour").status == ScanStatus.FAILED


def test_a_daemon_that_is_down_never_loses_a_report_and_is_retried_later(client, people, login, settings, clamd):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.HALTE_CLAMD_URL = f"tcp://127.0.0.1:{closed}"
    report = make_report(files=[eicar_upload()])
    evidence = report.evidence.get()
    assert evidence.scan_status == ScanStatus.FAILED
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "Analyse antivirus impossible" in page

    settings.HALTE_CLAMD_URL = clamd.url
    call_command("scan_evidence", stdout=(out := _Buffer()))
    assert "1 avec virus" in out.text
    evidence.refresh_from_db()
    assert (evidence.scan_status, evidence.scan_signature) == (ScanStatus.INFECTED, "Eicar-Signature")
    call_command("scan_evidence", stdout=_Buffer())  # idempotent: nothing left to scan
    assert len(clamd.streams) == 1


def test_a_daemon_that_never_answers_times_out(settings):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.HALTE_CLAMD_URL = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        settings.HALTE_CLAMD_TIMEOUT = 0.5
        started = time.monotonic()
        assert antivirus.scan(b"bonjour").status == ScanStatus.FAILED
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("url", ["http://clamav:3310", "tcp://", "clamav:3310", "tcp://clamav:99999"])
def test_a_wrong_daemon_address_is_refused_clearly(settings, url):
    from django.core.exceptions import ImproperlyConfigured

    settings.HALTE_CLAMD_URL = url
    with pytest.raises(ImproperlyConfigured, match="HALTE_CLAMD_URL"):
        antivirus.configured_daemon()


def test_production_without_a_daemon_warns_at_deploy_check(settings):
    settings.PRODUCTION = True
    settings.HALTE_CLAMD_URL = ""
    assert [message.id for message in antivirus_configured(None)] == ["halte_reports.W001"]
    settings.HALTE_CLAMD_URL = "tcp://clamav.interne:3310"
    assert antivirus_configured(None) == []
    settings.PRODUCTION = False
    settings.HALTE_CLAMD_URL = ""
    assert antivirus_configured(None) == []


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.fixture
def real_clamd(tmp_path, settings):
    """ClamAV's daemon, with one local signature: the EICAR test string (no download needed)."""
    executable = shutil.which("clamd")
    if executable is None:
        pytest.skip("clamd is not installed")
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "halte-test.ndb").write_text(f"Eicar-Signature:0:*:{EICAR.hex()}\n")
    path = tmp_path / "clamd.ctl"
    config = tmp_path / "clamd.conf"
    config.write_text(
        f"LocalSocket {path}\nDatabaseDirectory {tmp_path / 'db'}\nForeground yes\n"
        f"TemporaryDirectory {tmp_path}\nLogFile {tmp_path / 'clamd.log'}\n"
    )
    process = subprocess.Popen(  # noqa: S603 - our own arguments
        [executable, f"--config-file={config}"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while not Path(path).exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("clamd did not start: " + (tmp_path / "clamd.log").read_text(errors="replace")[-500:])
            time.sleep(0.1)
        settings.HALTE_CLAMD_URL = f"unix://{path}"
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_clamav_itself_finds_the_eicar_file_in_evidence(db, real_clamd):
    report = make_report(files=[eicar_upload()])
    evidence = report.evidence.get()
    assert evidence.scan_status == ScanStatus.INFECTED
    assert evidence.scan_signature.startswith("Eicar-Signature")  # ClamAV adds ".UNOFFICIAL" to local ones
    assert antivirus.scan("Rien à signaler.\n".encode()).status == ScanStatus.CLEAN
