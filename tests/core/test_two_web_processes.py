"""More than one machine: two production web servers (scripts/prod serve, gunicorn) that share only
the PostgreSQL database and a bucket of a real S3-compatible server (moto, tests/s3.py). Each has a
folder of its own, as two machines would.

A coordinator logs in through one, enters a report with a file through the other, and reads the
report and downloads the file through the first again: sessions, one-time tokens, throttles and the
evidence all live in shared stores. The bucket holds only ciphertext, and neither machine's folder
holds any file.
"""

import http.client
import io
import re
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import global_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, PngImagePlugin

from halte.reports.models import Evidence, Report
from tests.factories import TEST_PASSWORD

from .test_serving import HOST, ROOT, _postgres_server, _url, production_env

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]

MARKER = f"plain-evidence-marker-{uuid.uuid4().hex}".encode()


def evidence_png() -> bytes:
    """A real PNG whose bytes carry a marker that ciphertext could only hold by accident."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKER.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


class Browser:
    """One person's browser, behind the load balancer: each request goes to the server named, with
    the public host and https (terminated by the balancer), and the same cookies whichever it is."""

    def __init__(self, servers: dict[str, int]):
        self.servers = servers
        self.cookies: dict[str, str] = {}

    def request(self, server: str, method: str, path: str, body: bytes = b"", content_type: str = ""):
        connection = http.client.HTTPConnection("127.0.0.1", self.servers[server], timeout=60)
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        if method == "POST":
            headers.update({"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"})
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return response, content

    def get(self, server: str, path: str):
        return self.request(server, "GET", path)

    def post(self, server: str, path: str, fields: dict, files: dict | None = None):
        boundary = f"----halte{uuid.uuid4().hex}"
        parts: list[bytes] = []
        for name, values in fields.items():
            for value in values if isinstance(values, list) else [values]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                )
        for name, (filename, content_type, data) in (files or {}).items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            )
            parts.append(head.encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(server, "POST", path, body, f"multipart/form-data; boundary={boundary}")


def hidden(page: bytes, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="{name}"', page.decode())
    assert found, f"no {name} in the page"
    return found.group(1) or found.group(2)


def wait_for(server: subprocess.Popen, port: int, deadline: float) -> None:
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"a web server stopped: {server.stderr.read() if server.stderr else ''}")
            if time.monotonic() > deadline:
                pytest.fail("a web server did not start")
            time.sleep(0.3)


@pytest.fixture
def two_machines(tmp_path, s3_server, object_store):
    """Two production servers, each with its own var folder, one database, one bucket."""
    database = _postgres_server()
    machines = {name: tmp_path / name for name in ("a", "b")}
    common = {
        "DATABASE_URL": _url(database, database["NAME"]),
        "HALTE_STORAGE_URL": s3_server.url(object_store.bucket, "halte"),
        "HALTE_CLAMD_URL": "",  # no antivirus here: files are kept unscanned, and say so
        "WEB_CONCURRENCY": "2",
    }
    environments = {name: production_env(folder, **common) for name, folder in machines.items()}
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env={
            **environments["a"],
            "HALTE_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "tests.core.static_uncompressed_settings",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    machines["b"].mkdir()
    (machines["b"] / "static").symlink_to(machines["a"] / "static")  # the same release on both
    servers = {
        name: subprocess.Popen(  # noqa: S603 - our own script
            [str(ROOT / "scripts" / "prod"), "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, env in environments.items()
    }
    ports = {name: int(env["HALTE_BIND"].rsplit(":", 1)[1]) for name, env in environments.items()}
    try:
        deadline = time.monotonic() + 90
        for name, server in servers.items():
            wait_for(server, ports[name], deadline)
        yield ports, machines
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            try:
                _, errors = server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                _, errors = server.communicate(timeout=30)
            print(errors[-5000:])  # shown by pytest when the test fails


def test_a_report_entered_through_one_server_is_read_with_its_evidence_through_the_other(
    people, two_machines, s3_server, object_store, settings
):
    ports, machines = two_machines
    coordinator = people.coordinator.user
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the servers' own, not the tests' fast one
    coordinator.set_password(TEST_PASSWORD)
    coordinator.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=coordinator, name="Téléphone", confirmed=True)
    browser = Browser(ports)

    # Password on A, second factor on B: the half-open session is in the shared database.
    _, page = browser.get("a", reverse("accounts:login"))
    response, page = browser.post(
        "a",
        reverse("accounts:login"),
        {
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "username": coordinator.email,
            "password": TEST_PASSWORD,
        },
    )
    assert response.status == 302, page.decode()[:2000]
    assert response.getheader("Location") == reverse("accounts:otp_verify")
    _, page = browser.get("b", reverse("accounts:otp_verify"))
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    response, page = browser.post(
        "b",
        reverse("accounts:otp_verify"),
        {"csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"), "token": f"{token:06d}"},
    )
    assert response.status == 302, page.decode()[:2000]

    # The report and its file, entered through B.
    photo = evidence_png()
    response, page = browser.get("b", reverse("reports:staff_new"))
    assert response.status == 200, page.decode()[:2000]
    response, page = browser.post(
        "b",
        reverse("reports:staff_new"),
        {
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "submission_token": hidden(page, "submission_token"),
            "channel": "parquet",
            "received_at": "2026-11-20T10:30",
            "reporter_kind": "other",
            "is_anonymous": "on",
            "school": "0800022P",
            "bullying_forms": ["cyber"],
            "platforms": ["snapchat"],
            "description": "Saisine du parquet : photos diffusées, reçue sur la deuxième machine.",
            "parquet_number": "26/123/45",
        },
        files={"files": ("capture.png", "image/png", photo)},
    )
    assert response.status == 302, page.decode()[:3000]
    report = Report.objects.get()
    evidence = Evidence.objects.get(report=report)

    # Read and downloaded through A.
    response, page = browser.get("a", reverse("reports:detail", args=[report.public_id]))
    assert response.status == 200
    assert "reçue sur la deuxième machine" in page.decode()
    original = reverse("reports:evidence_original", args=[report.public_id, evidence.public_id])
    assert original in page.decode()
    response, downloaded = browser.get("a", original)
    assert response.status == 200
    assert downloaded == photo
    # …and through B as well, with the same session.
    assert browser.get("b", original)[1] == photo

    # The bucket holds the sealed files only; no machine keeps a file of its own.
    stored = s3_server.objects(object_store.bucket)
    assert f"halte/{evidence.original_path}" in stored
    assert all(key.startswith(("halte/vault/", "halte/keycheck/")) for key in stored), sorted(stored)
    for key, blob in stored.items():
        assert MARKER not in blob, key
        assert photo[:64] not in blob and photo[-64:] not in blob, key
    for folder in machines.values():
        media = Path(folder) / "media"
        assert not media.exists() or not any(path.is_file() for path in media.rglob("*")), folder
