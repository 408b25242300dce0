"""The edges of the intake API, through real HTTP requests: a body over the limit, a wrong content
type, bad JSON, wrong types, unknown fields, addresses and methods that do not exist, a server error.
Every answer is JSON and French, under DEBUG or not; nothing is ever an English default or a 500."""

import json
import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from halte.reports import api as reports_api
from halte.reports.models import Report
from tests.reports.test_api import URL, body, post

# Words of pydantic's, ninja's and Django's English messages.
ENGLISH = re.compile(
    r"\b(Input|should|Field required|Extra inputs|valid|must|Value error|Unauthorized|Forbidden|Not Found|"
    r"Method not allowed|Cannot parse|exceeded|Request|Server Error|be a|or)\b"
)


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def assert_french_json(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    answer = response.json()
    details = answer["detail"] if isinstance(answer["detail"], list) else [{"msg": answer["detail"]}]
    for detail in details:
        assert detail["msg"], answer
        assert not ENGLISH.search(detail["msg"]), detail["msg"]
    return answer


# --- A body over the limit ---------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_body_over_the_limit_gets_a_french_json_413(client, raw_key, settings, debug):
    settings.DEBUG = debug
    too_big = json.dumps(body(description="Ils me harcèlent. " * 200_000))
    assert len(too_big.encode()) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = client.post(URL, too_big, content_type="application/json", HTTP_X_API_KEY=raw_key)

    answer = assert_french_json(response, 413)
    assert answer["detail"] == "Le corps de la requête dépasse la taille maximale acceptée (2,5\xa0Mio)."
    assert not Report.objects.exists()


def test_the_limit_is_the_configured_one(client, raw_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, body(description="Elle reçoit des insultes. " * 50), raw_key)

    answer = assert_french_json(response, 413)
    assert "1000\xa0octets" in answer["detail"]
    # Just under the limit goes through.
    assert post(client, body(description="Elle reçoit des insultes."), raw_key).status_code == 201


def test_a_multipart_body_over_the_limit_is_a_413_too(client, raw_key):
    response = client.post(
        URL,
        {"description": "x" * 3_000_000, "reporter_kind": "parent"},
        HTTP_X_API_KEY=raw_key,
    )
    assert_french_json(response, 413)


def test_a_body_over_the_limit_without_a_key_is_refused_for_the_key(client, db):
    response = client.post(URL, "x" * 3_000_000, content_type="application/json")
    assert_french_json(response, 401)


# --- Content type and JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", "text/json"]
)
def test_a_body_not_declared_as_json_gets_a_french_415(client, raw_key, content_type):
    response = client.post(URL, json.dumps(body()), content_type=content_type, HTTP_X_API_KEY=raw_key)

    answer = assert_french_json(response, 415)
    assert "Content-Type: application/json" in answer["detail"]
    assert not Report.objects.exists()


def test_a_multipart_body_gets_a_french_415(client, raw_key):
    response = client.post(URL, body(pupils=[]), HTTP_X_API_KEY=raw_key)
    assert_french_json(response, 415)


def test_json_with_a_charset_or_a_json_suffix_is_accepted(client, raw_key):
    for content_type in ["application/json; charset=utf-8", "application/vnd.halte+json", "Application/JSON"]:
        response = client.post(URL, json.dumps(body()), content_type=content_type, HTTP_X_API_KEY=raw_key)
        assert response.status_code == 201, (content_type, response.content)


@pytest.mark.parametrize(
    "raw",
    [
        b"{pas du json",
        b'{"reporter_kind": "parent",}',
        b'{"description": "\xe9t\xe9"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser's stack
        b"\xef\xbb\xbf\xef\xbb\xbf{}",
    ],
    ids=["truncated", "trailing comma", "latin-1 bytes", "deeply nested", "double byte order mark"],
)
def test_bad_json_gets_a_french_400(client, raw_key, raw):
    response = client.post(URL, raw, content_type="application/json", HTTP_X_API_KEY=raw_key)

    answer = assert_french_json(response, 400)
    assert answer["detail"] == "Le corps de la requête n’est pas un JSON valide."


@pytest.mark.parametrize("raw", ["[]", "null", '"un signalement"', "42", "true"])
def test_json_that_is_not_an_object_gets_a_french_422(client, raw_key, raw):
    response = client.post(URL, raw, content_type="application/json", HTTP_X_API_KEY=raw_key)

    answer = assert_french_json(response, 422)
    assert [e["msg"] for e in answer["detail"]] == ["Un objet JSON est attendu."]


def test_an_empty_body_says_the_payload_is_missing(client, raw_key):
    response = client.post(URL, b"", content_type="application/json", HTTP_X_API_KEY=raw_key)

    answer = assert_french_json(response, 422)
    assert answer["detail"][0]["msg"] == "Champ obligatoire."


# --- Field errors ---------------------------------------------------------------------------------------


def test_unknown_fields_are_refused_in_french_at_every_level(client, raw_key):
    response = post(
        client, body(temoin="Léa", pupils=[{"first_name": "Inès", "role": "victim", "classe": "4e A"}]), raw_key
    )

    answer = assert_french_json(response, 422)
    refused = {tuple(e["loc"][2:]): (e["type"], e["msg"]) for e in answer["detail"]}
    assert refused == {
        ("temoin",): ("extra_forbidden", "Champ inconnu."),
        ("pupils", 0, "classe"): ("extra_forbidden", "Champ inconnu."),
    }


def test_choices_are_listed_in_french(client, raw_key):
    answer = assert_french_json(post(client, body(reporter_kind="voisin"), raw_key), 422)

    assert answer["detail"][0]["msg"] == (
        "Valeur non reconnue. Valeurs possibles : 'victim', 'parent', 'witness', 'school_staff' ou 'other'."
    )


WRONG_VALUES = [
    {},
    [],
    [{}],
    None,
    True,
    -1,
    1.5,
    10**30,
    "x" * 30_000,
    "",
    "\x00",
    "2026-13-45T25:61:00",
    "1999-12-31T23:00:00+00:00",
    "2026-01-01T10:00:00",
    float("inf"),
]


@pytest.mark.parametrize("field", sorted(reports_api.ReportIn.model_fields))
def test_every_field_with_every_wrong_type_gets_french_messages(client, raw_key, field):
    for value in WRONG_VALUES:
        data = json.dumps(body(**{field: value}))
        response = client.post(URL, data, content_type="application/json", HTTP_X_API_KEY=raw_key)
        assert response.status_code in (201, 400, 422), (field, value, response.content[:300])
        if response.status_code != 201:
            assert_french_json(response, response.status_code)


def test_a_pupil_with_every_wrong_type_gets_french_messages(client, raw_key):
    for key in sorted(reports_api.PupilIn.model_fields):
        for value in WRONG_VALUES:
            pupil = {"first_name": "Inès", "role": "victim", key: value}
            response = post(client, body(pupils=[pupil]), raw_key)
            if response.status_code != 201:
                assert_french_json(response, 422)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@hypothesis_settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.dictionaries(st.sampled_from([*sorted(reports_api.ReportIn.model_fields), "autre"]), json_values))
def test_no_body_whatever_gets_an_english_message(raw_key, changes):
    response = Client().post(URL, json.dumps(body(**changes)), content_type="application/json", HTTP_X_API_KEY=raw_key)

    assert response.status_code in (201, 422), response.content[:300]
    if response.status_code == 422:
        assert_french_json(response, 422)


def test_a_malformed_idempotency_key_is_explained_in_french(client, raw_key):
    response = post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY="clé avec espaces")

    answer = assert_french_json(response, 422)
    assert answer["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert answer["detail"][0]["msg"].startswith("Clé d’idempotence invalide")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_API_KEY": "inconnue"},
        {"HTTP_AUTHORIZATION": "Bearer inconnue"},
        {"HTTP_AUTHORIZATION": "Basic eA=="},
    ],
)
def test_a_bad_api_key_gets_a_french_401(client, db, headers):
    response = client.post(URL, json.dumps(body()), content_type="application/json", **headers)

    assert assert_french_json(response, 401) == {"detail": "Clé d’API absente, inconnue ou révoquée."}


# --- Outside an operation ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nulle-part", "/api/v1/reports/pas-un-uuid", "/api/v2/reports", "/api/"])
def test_an_unknown_api_address_gets_a_french_json_404(client, db, path):
    answer = assert_french_json(client.get(path), 404)
    assert answer["detail"].startswith("Introuvable")


def test_a_wrong_method_gets_a_french_json_405(client, raw_key):
    response = client.put(URL, json.dumps(body()), content_type="application/json", HTTP_X_API_KEY=raw_key)

    answer = assert_french_json(response, 405)
    assert answer["detail"].startswith("Méthode PUT non acceptée")
    assert "POST" in response["Allow"]


def test_a_server_error_in_an_operation_is_french_json(client, raw_key, monkeypatch):
    """Fault injection: the database layer fails in the middle of an intake."""

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(reports_api, "submit_report", broken)
    client.raise_request_exception = False

    response = post(client, body(), raw_key)

    answer = assert_french_json(response, 500)
    assert "disk" not in answer["detail"]


def test_the_public_pages_keep_their_html_error_pages(client, db):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- A malformed report identifier ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        "pas-un-uuid",
        "42",
        "00000000-0000-0000-0000-00000000000g",  # one letter outside hexadecimal
        "00000000-0000-0000-0000-0000000000000",  # one digit too many
        "%00",
        "%C3%A9t%C3%A9",
        "..%2F..%2Fetc%2Fpasswd",
        "x" * 300,
        "00000000-0000-0000-0000-000000000000/",  # a trailing slash is no redirect to an HTML page
    ],
)
@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("debug", [False, True])
def test_a_malformed_report_id_gets_the_documented_json_404(client, raw_key, settings, tail, with_key, debug):
    """``GET /api/v1/reports/<id>`` documents a 404 as ``{"detail": "…"}``: a malformed identifier gets
    that answer too, even from a browser asking for HTML and whether DEBUG shows Django's page or not."""
    settings.DEBUG = debug
    headers = {"HTTP_X_API_KEY": raw_key} if with_key else {}

    response = client.get(f"{URL.rstrip('/')}/{tail}", HTTP_ACCEPT="text/html,application/xhtml+xml", **headers)

    answer = assert_french_json(response, 404)
    assert set(answer) == {"detail"}
    assert isinstance(answer["detail"], str)
    assert answer["detail"].startswith("Introuvable")
    assert b"<html" not in response.content.lower()
