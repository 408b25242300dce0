"""Error tracking, for real: the Sentry SDK sends its envelopes to a collector started here, while a
report full of a child's name, a narrative, a reporter's email and a receipt code fails in a view.
The errors arrive; none of those strings, nor the client's address, nor a cookie is in any byte."""

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse

from halte.core import sentry
from halte.reports import actions
from halte.reports import api as reports_api
from tests.core.test_log_capture import (
    API_EMAIL,
    API_WORDS,
    CLIENT,
    EMAIL,
    NARRATIVE,
    PHONE,
    REMOTE,
    REPORTER,
    api_body,
    report_through_the_form,
    secrets_of,
)

ROOT = Path(__file__).resolve().parents[2]


class Collector:
    """A minimal Sentry ingestion endpoint: keeps every envelope it receives, decompressed."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        self.paths: list[str] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                received.envelopes.append(body)
                received.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "0"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def dsn(self) -> str:
        return f"http://cle-publique-de-test@127.0.0.1:{self.server.server_address[1]}/42"

    def events(self) -> list[dict]:
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector():
    server = Collector()
    sentry.start(server.dsn, environment="essai", release="halte@essai")
    yield server
    client = sentry_sdk.get_client()
    client.close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)
    server.close()


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


class StorageOutage(RuntimeError):
    pass


def fail_with_everything(*args, **kwargs):
    """A failure deep in a view, whose locals hold the report, which logs on its way out, and whose
    message quotes what it was handling (a careless message: it must not travel either)."""
    data = kwargs.get("data")  # noqa: F841 - a local variable full of the report
    logging.getLogger("halte.reports").info("Préparation du signalement de %s (%s)", REPORTER, EMAIL)
    logging.getLogger("halte.reports").error("Échec pour %s : %s", REPORTER, NARRATIVE)
    raise StorageOutage(f"Stockage indisponible pour {EMAIL} depuis {REMOTE}\nrécit : {NARRATIVE}")


def test_errors_reach_sentry_without_a_child_a_story_a_code_or_an_address(
    client, people, raw_key, collector, monkeypatch
):
    # A report is sent and opened with its code: the code is now in the session and the form posts.
    code = report_through_the_form(client)
    client.raise_request_exception = False
    monkeypatch.setattr(actions, "find_by_receipt", lambda typed: fail_with_everything(code=typed))
    assert client.post(reverse("reports:mailbox_open"), {"code": code}, **CLIENT).status_code == 500
    monkeypatch.undo()
    # A second report fails while it is being saved, through the form and through the API.
    monkeypatch.setattr(actions, "submit_report", fail_with_everything)
    monkeypatch.setattr(reports_api, "submit_report", fail_with_everything)
    client.cookies.clear()
    with pytest.raises(AssertionError):
        report_through_the_form(client)
    # The API call goes through Django's WSGI handler itself, as under gunicorn: the SDK's WSGI
    # middleware then adds what it knows of the request (URL, query string, environment).
    headers = {**CLIENT, "HTTP_X_API_KEY": raw_key, "HTTP_COOKIE": f"suivi={code.replace(' ', '')}"}
    environ = (
        RequestFactory()
        .post(f"/api/v1/reports?email={API_EMAIL}", json.dumps(api_body()), content_type="application/json", **headers)
        .environ
    )
    statuses = []
    # As Django's test client does: the test's connection (and its transaction) stays open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        b"".join(WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses and statuses[0].startswith("500"), statuses
    assert sentry_sdk.flush(timeout=10) is None

    events = collector.events()
    assert collector.paths and all(path.startswith("/api/42/envelope") for path in collector.paths)
    failures = [
        e for e in events if any(v.get("type") == "StorageOutage" for v in e.get("exception", {}).get("values", []))
    ]
    assert len(failures) >= 3, [e.get("exception") for e in events]  # mailbox, form, API
    one = failures[0]
    assert one["environment"] == "essai" and one["release"] == "halte@essai"
    frames = one["exception"]["values"][-1]["stacktrace"]["frames"]
    assert any(frame["function"] == "fail_with_everything" for frame in frames)  # where it failed
    assert all("vars" not in frame for frame in frames)
    assert one["exception"]["values"][-1]["value"] == "Stockage indisponible pour [masqué] depuis [masqué]"
    assert [e["request"] for e in failures if e["request"]] == [{"method": "POST"}]  # the WSGI one, method only
    assert {e.get("transaction") for e in failures} >= {"/api/v1/reports"}
    logged = [e for e in events if e.get("logentry")]
    assert {e["logentry"]["message"] for e in logged} >= {"Échec pour %s : %s"}  # the template, not the values

    everything = b"\n".join(collector.envelopes).decode()
    # Whatever json.dumps did to accents, look for both spellings.
    everything += "\n" + json.dumps(
        [json.loads(line) for line in everything.splitlines() if line.startswith("{")], ensure_ascii=False
    )
    forbidden = [
        *secrets_of(code),
        NARRATIVE[:30],
        PHONE,
        *API_WORDS,
        "http://testserver",  # no URL of the request (a host, a path, a query string)
        "courriel-famille",
        "courriel-parent",
        "query_string",
        "X-Forwarded-For",
        "REMOTE_ADDR",
        "sessionid",
        "suivi=",
        client.cookies["sessionid"].value if "sessionid" in client.cookies else "no-session-cookie",
        raw_key,
        "Préparation du signalement de Octavien",
    ]
    for secret in forbidden:
        assert secret not in everything, secret
    assert "Préparation du signalement de %s (%s)" in everything  # breadcrumbs keep their templates


def test_the_settings_start_sentry_only_when_a_dsn_is_given(tmp_path):
    code = (
        "import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client();"
        "d = c.options.get('data_collection') or {};"
        "print(c.is_active(), d.get('user_info'), d.get('stack_frame_variables'), d.get('http_bodies') == [],"
        " d.get('cookies', {}).get('mode'), c.options.get('max_request_body_size'), c.options.get('environment'))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HALTE_", "DJANGO_", "SENTRY_"))}
    base["DJANGO_SETTINGS_MODULE"] = "halte.settings"

    def run(**extra):
        result = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", code], cwd=ROOT, env={**base, **extra}, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert run()[0] == "False"
    dsn_file = tmp_path / "dsn"
    dsn_file.write_text("http://cle@127.0.0.1:9/1\n")
    assert run(SENTRY_DSN_FILE=str(dsn_file), SENTRY_ENVIRONMENT="recette") == [
        "True",
        "False",
        "False",
        "True",
        "off",
        "never",
        "recette",
    ]


def test_the_allowlist_drops_what_an_integration_might_add():
    """Fields the SDK or a future integration could fill: only the allowlisted ones go out."""
    record = logging.LogRecord("halte.x", logging.INFO, __file__, 1, "Ouvert par %s", (EMAIL,), None)
    event = {
        "event_id": "0" * 32,
        "level": "error",
        "user": {"id": 7, "email": EMAIL, "ip_address": REMOTE},
        "request": {"method": "POST", "url": "https://h/suivi/", "data": {"code": "1"}, "env": {"REMOTE_ADDR": REMOTE}},
        "extra": {"sys.argv": ["manage.py", "shell", "-c", NARRATIVE], "route": "reports:step"},
        "contexts": {"runtime": {"name": "CPython"}, "response": {"body": NARRATIVE}},
        "tags": {"client": REMOTE},
        "spans": [{"description": NARRATIVE}],
        "breadcrumbs": {
            "values": [
                {"type": "default", "category": "query", "message": f"INSERT … '{NARRATIVE}'"},
                {"type": "http", "category": "httplib", "data": {"url": f"https://x/?email={EMAIL}", "method": "GET"}},
                {"type": "log", "category": "halte.x", "message": f"Ouvert par {EMAIL}"},
            ]
        },
        "exception": {
            "values": [
                {
                    "type": "DataError",
                    "value": f"ligne refusée\nDETAIL:  Failing row contains ({NARRATIVE})",
                    "stacktrace": {"frames": [{"function": "save", "lineno": 3, "vars": {"story": NARRATIVE}}]},
                }
            ]
        },
    }
    kept = sentry.scrub_event(event, {})
    assert kept["request"] == {"method": "POST"}
    assert "user" not in kept and "spans" not in kept
    assert kept["extra"] == {"route": "reports:step"}
    assert kept["contexts"] == {"runtime": {"name": "CPython"}}
    assert kept["tags"] == {"client": "[masqué]"}
    assert kept["exception"]["values"][0]["value"] == "ligne refusée"
    assert kept["exception"]["values"][0]["stacktrace"]["frames"] == [{"function": "save", "lineno": 3}]
    assert [c["category"] for c in kept["breadcrumbs"]["values"]] == ["httplib", "halte.x"]
    assert kept["breadcrumbs"]["values"][0]["data"] == {"method": "GET"}
    assert sentry.scrub_breadcrumb({"type": "log", "category": "halte.x", "message": "x"}, {"log_record": record}) == {
        "type": "log",
        "category": "halte.x",
        "message": "Ouvert par %s",
    }
    assert sentry.scrub_breadcrumb({"category": "query", "message": "SELECT"}, {}) is None
    text = json.dumps(kept, ensure_ascii=False)
    for secret in (EMAIL, REMOTE, NARRATIVE[:20], "Failing row", "sys.argv"):
        assert secret not in text
