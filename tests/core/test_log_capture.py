"""Every log record of every logger, at DEBUG, while a child and a partner platform report, the child
comes back with the receipt code, and the database fails mid-submission: no line written carries the
child's name, the narrative, the reporter's name, email or phone, the receipt code or an IP address.

Records are taken where every logger hands them over (``Logger.handle``), whichever logger and level,
then written the two ways production can write them (LOG_FORMAT=json or plain, through the request
redaction filter), exactly as the console handler would.
"""

import json
import logging

import pytest
from django.db import DataError
from django.urls import reverse

from halte.core.logs import JsonFormatter, PlainFormatter, RequestRedactionFilter
from halte.reports import actions
from halte.reports import api as reports_api
from tests.reports.helpers import post_step
from tests.reports.test_public_journey import receipt_code

CHILD_FIRST = "Zéphyrine"
CHILD_LAST = "Quillebœuf"
AUTHOR_FIRST = "Anatole"
AUTHOR_LAST = "Vermandois"
NARRATIVE = "Ils enferment Zéphyrine dans le local des tortues-marmelade derrière la cantine chaque mardi."
NARRATIVE_WORD = "tortues-marmelade"
REPORTER = "Octavien Brisebarre"
EMAIL = "octavien.brisebarre@courriel-parent.fr"
PHONE = "0712345678"
API_NARRATIVE = "Signalé au 3018 : on traite Philomène de girafe-écarlate dans le bus scolaire."
API_WORDS = ("Philomène", "girafe-écarlate")
API_EMAIL = "tante.philomene@courriel-famille.fr"
REMOTE = "192.0.2.213"
FORWARDED = "198.51.100.177"
IPV6 = "2001:db8:beef::42"
CLIENT = {"REMOTE_ADDR": REMOTE, "HTTP_X_FORWARDED_FOR": f"{FORWARDED}, {IPV6}"}


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


@pytest.fixture
def every_record(monkeypatch):
    """Every record any logger handles, every logger at DEBUG (the most production allows)."""
    records: list[logging.LogRecord] = []
    manager = logging.Logger.manager
    saved = [(logging.root, logging.root.level)]
    logging.root.setLevel(logging.DEBUG)
    for logger in list(manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            saved.append((logger, logger.level))
            logger.setLevel(logging.DEBUG)
    manager._clear_cache()  # type: ignore[attr-defined]
    previously_disabled = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    real_handle = logging.Logger.handle

    def handle(self, record):
        records.append(record)
        return real_handle(self, record)

    monkeypatch.setattr(logging.Logger, "handle", handle)
    yield records
    logging.disable(previously_disabled)
    for logger, level in saved:
        logger.setLevel(level)
    manager._clear_cache()  # type: ignore[attr-defined]


def written(records: list[logging.LogRecord]) -> str:
    """The records as the production console handler writes them, in both formats."""
    lines = []
    for formatter in (JsonFormatter(), PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")):
        for record in records:
            copy = logging.makeLogRecord(record.__dict__)
            if RequestRedactionFilter().filter(copy):
                lines.append(formatter.format(copy))
    return "\n".join(lines)


def secrets_of(code: str) -> list[str]:
    digits = code.replace(" ", "")
    return [
        CHILD_FIRST,
        CHILD_LAST,
        AUTHOR_FIRST,
        AUTHOR_LAST,
        NARRATIVE_WORD,
        "cantine",
        REPORTER,
        "Brisebarre",
        EMAIL,
        PHONE,
        *API_WORDS,
        API_EMAIL,
        code,
        digits,
        digits[:10],
        digits[10:],
        REMOTE,
        FORWARDED,
        IPV6,
        "2001:db8",
    ]


def report_through_the_form(client) -> str:
    who = {
        "reporter_kind": "parent",
        "anonymity": "named",
        "reporter_name": REPORTER,
        "reporter_email": EMAIL,
        "reporter_phone": PHONE,
    }
    assert post_step(client, "qui", who, **CLIENT).status_code == 302
    assert post_step(client, "etablissement", {"school": "0800020M"}, **CLIENT).status_code == 302
    pupils = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "4"}
    pupils.update({"form-0-first_name": CHILD_FIRST, "form-0-last_name": CHILD_LAST, "form-0-role": "victim"})
    pupils.update({"form-1-first_name": AUTHOR_FIRST, "form-1-last_name": AUTHOR_LAST, "form-1-role": "alleged_author"})
    assert post_step(client, "eleves", pupils, **CLIENT).status_code == 302
    facts = {
        "bullying_forms": ["verbal", "exclusion"],
        "since": "months",
        "frequency": "daily",
        "places": ["canteen"],
        "description": NARRATIVE,
    }
    response = post_step(client, "faits", facts, **CLIENT)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert post_step(client, "bien-etre", {"immediate_danger": "no"}, **CLIENT).status_code == 302
    return receipt_code(post_step(client, "envoyer", {"files": []}, **CLIENT))


def api_body() -> dict:
    return {
        "reporter_kind": "parent",
        "is_anonymous": False,
        "reporter_name": REPORTER,
        "reporter_email": API_EMAIL,
        "reporter_phone": PHONE,
        "school_uai": "0800020M",
        "forms": ["verbal"],
        "description": API_NARRATIVE,
        "pupils": [
            {"first_name": API_WORDS[0], "last_name": CHILD_LAST, "role": "victim", "class_name": "5e B"},
            {"first_name": AUTHOR_FIRST, "last_name": AUTHOR_LAST, "role": "alleged_author"},
        ],
    }


def failing_database(*args, **kwargs):
    """What PostgreSQL says when a row breaks a constraint: its second line quotes the whole row."""
    raise DataError(
        'new row for relation "reports_report" violates check constraint "report_story_length"\n'
        f"DETAIL:  Failing row contains (42, {REPORTER}, {EMAIL}, {PHONE}, {NARRATIVE}, {API_NARRATIVE}, {REMOTE})."
    )


def test_no_log_line_carries_a_report_its_code_or_an_address(client, people, raw_key, every_record, monkeypatch):
    # 1. A parent reports through the public form, from a distinctive address.
    code = report_through_the_form(client)
    digits = code.replace(" ", "")
    # 2. …comes back with the receipt code, writes, mistypes the code, tries it in a path.
    assert client.post(reverse("reports:mailbox_open"), {"code": code}, **CLIENT).status_code == 302
    client.post(reverse("reports:mailbox"), {"body": f"{CHILD_FIRST} a encore pleuré à la {NARRATIVE_WORD}"}, **CLIENT)
    client.post(reverse("reports:mailbox_open"), {"code": digits[:-1] + "0"}, **CLIENT)
    client.get(f"/suivi/{digits}/", **CLIENT)
    client.get(f"/signaler/?code={digits}&email={EMAIL}", **CLIENT)
    # 3. A partner platform reports through the API, from the same address.
    headers = {**CLIENT, "HTTP_X_API_KEY": raw_key}
    created = client.post("/api/v1/reports", json.dumps(api_body()), content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    refused = {**api_body(), "reporter_email": f"pas-une-adresse {API_EMAIL}x", "pupils": [{"first_name": ""}]}
    assert (
        client.post("/api/v1/reports", json.dumps(refused), content_type="application/json", **headers).status_code
        == 422
    )
    # 4. The database refuses the row, on both paths: the error is logged with its traceback.
    monkeypatch.setattr(actions, "submit_report", failing_database)
    monkeypatch.setattr(reports_api, "submit_report", failing_database)
    client.raise_request_exception = False
    failed = client.post("/api/v1/reports", json.dumps(api_body()), content_type="application/json", **headers)
    assert failed.status_code == 500, failed.content  # a refused row is not a passing fault: no Retry-After
    client.get(reverse("www:home"), **CLIENT)  # a fresh session, a fresh draft
    client.cookies.clear()
    with pytest.raises(AssertionError):
        report_through_the_form(client)  # the last step answers 503, not a receipt

    # Something was logged, at every level, by several loggers: the capture works.
    levels = {record.levelno for record in every_record}
    names = {record.name for record in every_record}
    assert {logging.INFO, logging.ERROR} <= levels
    assert {"halte.request"} <= names
    assert len(every_record) >= 15
    output = written(every_record)
    assert "Failing row contains" not in output  # the database's DETAIL line is not written
    assert "violates check constraint" in output  # …its first line is
    assert '"route": "reports:step"' in output and '"status": 503' in output
    for secret in secrets_of(code):
        assert secret not in output, secret


# --- The masks, one by one --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "code 1234 5678 9012 3456 7890 tapé",
        "code 12345678901234567890",
        "code 1234-5678-9012-3456-7890 tapé",
        "appel du 07 12 34 56 78",
        "appel du 07.12.34.56.78",
        f"écrit par {EMAIL}",
        "de 203.0.113.9 via le mandataire",
        "de 2001:db8::7 via le mandataire",
        "de ::ffff:192.0.2.1",
    ],
)
def test_a_log_message_is_masked(text):
    record = logging.LogRecord("halte.x", logging.WARNING, __file__, 1, "%s", (text,), None)
    line = json.loads(JsonFormatter().format(record))["message"]
    plain = PlainFormatter("%(message)s").format(logging.makeLogRecord(record.__dict__))
    for output in (line, plain):
        assert "[masqué]" in output
        for piece in ("5678", "56 78", "56.78", "courriel-parent", "203.0.113", "db8", "192.0.2"):
            assert piece not in output


def test_times_counts_and_references_stay_readable():
    record = logging.LogRecord(
        "halte.x", logging.INFO, __file__, 1, "Tick à 14:21:07, 42 envois, dossier HS-2026-000042, pid 12345", (), None
    )
    assert json.loads(JsonFormatter().format(record))["message"] == record.getMessage()


def test_a_chained_database_error_keeps_its_frames_and_first_lines_only():
    try:
        try:
            failing_database()
        except DataError as error:
            raise RuntimeError(f"Enregistrement impossible pour {EMAIL}\nreçu : {NARRATIVE}") from error
    except RuntimeError:
        import sys

        record = logging.LogRecord("halte.x", logging.ERROR, __file__, 1, "échec", (), sys.exc_info())
    for output in (
        json.loads(JsonFormatter().format(record))["exception"],
        PlainFormatter("%(message)s").format(logging.makeLogRecord(record.__dict__)),
    ):
        assert "failing_database" in output  # the frames are there
        assert "django.db.utils.DataError: new row for relation" in output
        assert "RuntimeError: Enregistrement impossible pour [masqué]" in output
        for secret in (NARRATIVE_WORD, REPORTER, EMAIL, PHONE, "Failing row"):
            assert secret not in output, secret
