"""Logs: one JSON line per request with its route, status and duration — and never what a child wrote,
a name, a receipt code or an address, even when a request fails."""

import io
import json
import logging

import pytest
from django.http import HttpResponseServerError
from django.urls import reverse
from django.utils.log import log_response

from halte.core.logs import JsonFormatter, RequestRedactionFilter
from tests.reports.helpers import fill_until_finish, post_step
from tests.reports.test_public_journey import receipt_code

STORY = "Théo et Maëlys Dubreuil-Kowalski me poussent dans l'escalier du bâtiment C depuis la Toussaint."
VICTIM = "Anaïs"
AUTHOR = "Dubreuil-Kowalski"
ADDRESS = "203.0.113.58"
FORWARDED = "198.51.100.41"
IPV6 = "2001:db8::7"


@pytest.fixture
def log_lines():
    """Every line written by the loggers Halte configures, formatted as production writes them.

    Levels are the most talkative production allows: LOG_LEVEL=DEBUG for Halte's own loggers, every
    request line, and Django's request and security lines down to DEBUG (the filter must hold).
    Django's other loggers stay at the INFO the settings fix for them.
    """
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestRedactionFilter())
    handler.setLevel(logging.DEBUG)
    saved = []
    for logger in (logging.getLogger(), logging.getLogger("django")):
        saved.append((logger, logger.level))
        logger.addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    for name in ("halte", "halte.request", "django.request", "django.security"):
        saved.append((logging.getLogger(name), logging.getLogger(name).level))
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger, level in saved:
        logger.setLevel(level)
        logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def test_a_report_leaves_no_trace_of_its_content_in_the_logs(client, people, log_lines):
    extra = {"REMOTE_ADDR": ADDRESS, "HTTP_X_FORWARDED_FOR": f"{FORWARDED}, {IPV6}"}
    fill_until_finish(client, description=STORY, named=True, **extra)
    pupils = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0"}
    pupils.update({"form-MAX_NUM_FORMS": "4", "form-0-first_name": VICTIM, "form-0-role": "victim"})
    post_step(client, "eleves", pupils, **extra)
    code = receipt_code(post_step(client, "envoyer", {"files": []}, **extra))
    digits = code.replace(" ", "")
    # The reporter comes back with the code, answers, mistypes it, and a page does not exist.
    client.post(reverse("reports:mailbox_open"), {"code": code}, **extra)
    client.post(reverse("reports:mailbox"), {"body": f"{VICTIM} a encore pleuré"}, **extra)
    client.post(reverse("reports:mailbox_open"), {"code": digits[:-1] + "0"}, **extra)
    client.get(f"/suivi/{digits}/", **extra)

    lines = log_lines()
    requests = [line for line in lines if line["logger"] == "halte.request"]
    assert len(requests) >= 8
    assert {"method", "route", "status", "duration_ms"} <= set(requests[0])
    assert ("POST", "reports:step", 302) in {(r["method"], r["route"], r["status"]) for r in requests}
    assert any(r["status"] == 404 and r["route"] == "-" for r in requests)
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for secret in (
        "escalier",
        "Théo",
        "Maëlys",
        AUTHOR,
        VICTIM,
        "Léa Martin",
        "lea.parent@exemple.fr",
        "0600000000",
        digits,
        code,
        digits[:-1] + "0",
        ADDRESS,
        FORWARDED,
        IPV6,
        "/suivi/",
        "/signaler/",
    ):
        assert secret not in text, secret


def test_an_error_line_names_the_route_not_the_path(rf, log_lines):
    request = rf.get("/suivi/12345678901234567890/", REMOTE_ADDR=ADDRESS)
    log_response("Internal Server Error: %s", request.path, response=HttpResponseServerError(), request=request)
    [line] = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["level"] == "ERROR"
    assert line["route"] == "-"
    assert "12345678901234567890" not in json.dumps(line)
    assert ADDRESS not in json.dumps(line)


def test_each_request_is_one_line_with_route_status_and_duration(client, db, log_lines):
    assert client.get(reverse("www:legal_notice")).status_code == 200
    [line] = [line for line in log_lines() if line["logger"] == "halte.request"]
    assert (line["method"], line["route"], line["status"]) == ("GET", "www:legal_notice", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"


def test_a_path_keeps_no_query_string_in_a_log_line():
    """gunicorn's own « Error handling request GET /suivi/?code=…&nom=… » quoted a name."""
    from halte.core import redact

    assert redact.mask("Error handling request GET /suivi/?code=1234&nom=Quincampoix") == (
        "Error handling request GET /suivi/?[masqué]"
    )
    assert redact.mask("Qui es-tu ? Rien d’autre.") == "Qui es-tu ? Rien d’autre."
