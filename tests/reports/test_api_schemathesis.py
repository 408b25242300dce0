"""Property-based check of the whole JSON API against its own OpenAPI document (schemathesis).

Every operation gets generated requests, valid ones and deliberately invalid ones, sent with a valid
API key through Django's WSGI application. Whatever the input, the answer must not be a server error
and its status must be one the operation documents.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from halte.accounts.models import OrganisationKind
from halte.reports import apikeys
from tests.factories import OrganisationFactory

OPENAPI = "/api/v1/openapi.json"
OPERATIONS = [("POST", "/api/v1/reports"), ("GET", "/api/v1/reports/{report_id}"), ("GET", "/api/v1/schools")]
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
]


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


@pytest.fixture
def wsgi_app(db):
    """Django's real WSGI handler, sharing the test's database transaction.

    After each request the handler closes "old" database connections; in a test that would close the
    connection holding the test transaction. Django's own test client disconnects the same signal
    handler for the same reason; we do it for the duration of the test.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db) -> str:
    partner = OrganisationFactory(name="Plateforme partenaire", kind=OrganisationKind.ASSOCIATION)
    _key, raw = apikeys.create_key(organisation=partner, name="Tests de propriétés")
    return raw


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_the_api_honours_its_openapi_document(wsgi_app, api_key, method, path, mode):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, wsgi_app)
    operation = schema[path][method]
    auth = {"X-Api-Key": api_key}

    # The hypothesis test is built here, inside the pytest test, so that it closes over this test's
    # database and key instead of taking function-scoped fixtures once per generated example.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,  # the same examples on every run: a failure here is never a fluke
        database=None,  # no example database under the project tree; failures print their example anyway
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def check(case):
        case.call_and_validate(headers=auth, checks=[not_a_server_error, status_code_conformance])

    check()


def test_every_documented_operation_is_exercised(wsgi_app):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, wsgi_app)

    documented = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}

    assert documented == set(OPERATIONS)
