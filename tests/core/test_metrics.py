"""Prometheus metrics at /exploitation/metriques: the monitoring token only, and figures that follow
what happens (a request served, a delivery that fails, a case that changes state)."""

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from halte.delivery.models import Job
from tests.cases.conftest import make_case
from tests.delivery.test_queue import notify_coordinator, run_ready

TOKEN = "jeton-de-supervision-0123456789-abcdefghijklmnop"
URL = "/exploitation/metriques"


@pytest.fixture
def token(settings):
    settings.HALTE_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token=TOKEN) -> dict[tuple[str, tuple], float]:
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- Who may read them ----------------------------------------------------------------------------


def test_the_url_is_the_one_documented():
    assert reverse("www:metrics") == URL


@pytest.mark.django_db
def test_without_a_configured_token_the_page_does_not_exist(client, settings):
    settings.HALTE_METRICS_TOKEN = ""
    assert client.get(URL).status_code == 404
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("", 401),
        ("Bearer", 401),
        ("Bearer    ", 401),
        (f"Basic {TOKEN}", 401),
        (TOKEN, 401),
        ("Bearer mauvais-jeton", 403),
        (f"Bearer {TOKEN[:-1]}", 403),
        (f"Bearer {TOKEN}x", 403),
        (f"Bearer {TOKEN.upper()}", 403),
        ("Bearer jeton-éè-\udcff", 403),
    ],
    ids=[
        "none",
        "empty",
        "scheme-only",
        "blank",
        "basic",
        "no-scheme",
        "wrong",
        "prefix",
        "longer",
        "case",
        "non-ascii",
    ],
)
def test_a_missing_or_wrong_token_is_refused(client, token, header, status):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get(URL, **extra)
    assert response.status_code == status
    assert b"halte_" not in response.content
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_the_token_in_the_query_string_is_not_enough(client, token):
    assert client.get(URL, {"token": TOKEN, "access_token": TOKEN}).status_code == 401


def test_a_staff_session_is_no_substitute_for_the_token(client, people, login, token):
    login(client, people.admin)
    assert client.get(URL).status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_only_reading_is_allowed(client, token):
    assert client.post(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
def test_the_token_is_compared_in_constant_time(client, token, monkeypatch):
    import hmac

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    client.get(URL, HTTP_AUTHORIZATION="Bearer faux")
    assert calls == [(b"faux", TOKEN.encode())]


def test_a_short_token_refuses_to_start(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HALTE_", "DJANGO_"))}
    env.update({"HALTE_METRICS_TOKEN": "court", "DJANGO_SETTINGS_MODULE": "halte.settings"})
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "HALTE_METRICS_TOKEN (ou HALTE_METRICS_TOKEN_FILE) doit compter au moins 32 caractères" in result.stderr


# --- What they say --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_latency_is_counted_by_route_name_and_status(client, token):
    before = scrape(client)
    assert client.get(reverse("www:legal_notice")).status_code == 200
    assert client.get("/suivi/12345678901234567890/").status_code == 404
    client.generic("BREW", reverse("www:home"))
    after = scrape(client)
    count = "halte_http_request_duration_seconds_count"
    labels = {"route": "www:legal_notice", "method": "GET", "status": "200"}
    assert value(after, count, **labels) == value(before, count, **labels) + 1
    assert value(after, "halte_http_request_duration_seconds_bucket", le="+Inf", **labels) == value(
        after, count, **labels
    )
    assert (
        value(after, count, route="-", method="GET", status="404")
        == value(before, count, route="-", method="GET", status="404") + 1
    )
    assert any(name == count and ("method", "OTHER") in labels for name, labels in after)
    text = "\n".join(str(key) for key in after)
    assert "12345678901234567890" not in text  # route names, never paths
    assert "BREW" not in text  # a method a client invents is not a new series


def test_a_failed_delivery_shows_in_the_queue_figures(client, people, token, settings):
    from tests.delivery.conftest import use_smtp
    from tests.delivery.smtp import free_port

    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False, "MAX_ATTEMPTS": 1, "BACKOFF": [0]}
    before = scrape(client)
    assert value(before, "halte_deliveries_failed") == 0
    notify_coordinator(people)
    waiting = scrape(client)
    assert value(waiting, "halte_jobs_ready") >= 1
    assert value(waiting, "halte_jobs", state="queued") >= 1
    Job.objects.update(run_after=Job.objects.get().run_after.replace(year=2020))
    assert value(scrape(client), "halte_jobs_oldest_ready_age_seconds") > 3600 * 24 * 300

    use_smtp(settings, free_port())  # nobody listens: the delivery fails
    assert run_ready() == [Job.Status.FAILED]
    after = scrape(client)
    assert value(after, "halte_deliveries_failed") == 1
    assert value(after, "halte_jobs", state="failed") == 1
    assert value(after, "halte_jobs_ready") == 0
    assert value(after, "halte_jobs_oldest_ready_age_seconds") == 0


@pytest.mark.django_db
def test_the_periodic_pass_and_the_worker_age(client, token):
    from halte.delivery.models import beat

    never = scrape(client)
    assert value(never, "halte_periodic_pass_age_seconds") == float("inf")
    assert value(never, "halte_worker_poll_age_seconds") == float("inf")
    beat("tick")
    assert 0 <= value(scrape(client), "halte_periodic_pass_age_seconds") < 60


def test_cases_are_counted_by_state(client, people, token):
    before = scrape(client)
    assert value(before, "halte_cases", state="closed") == 0
    case = make_case("HS-2026-000901", people.school_a_staff.school, people.education_referent)
    during = scrape(client)
    assert (
        value(during, "halte_cases", state="in_intervention")
        == value(before, "halte_cases", state="in_intervention") + 1
    )
    case.start_monitoring(actor=people.coordinator)
    after = scrape(client)
    assert value(after, "halte_cases", state="in_intervention") == value(before, "halte_cases", state="in_intervention")
    assert value(after, "halte_cases", state="monitoring") == value(before, "halte_cases", state="monitoring") + 1
    assert {state for (name, labels), _ in after.items() if name == "halte_cases" for _key, state in labels} >= {
        "new",
        "triaged",
        "in_intervention",
        "monitoring",
        "closed",
        "reopened",
        "redirected",
    }


@pytest.mark.django_db
def test_a_database_fault_answers_503_not_500(client, token, monkeypatch):
    from django.db import OperationalError

    from halte.core import metrics

    def broken():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(metrics, "exposition", broken)
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 503
