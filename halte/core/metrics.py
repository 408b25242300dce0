"""Prometheus metrics: what an operations team watches, never what a child wrote.

Served at ``/exploitation/metriques`` (``halte.www.views.metrics``) in the text exposition format,
to a scraper holding ``HALTE_METRICS_TOKEN`` (``Authorization: Bearer …``; the access policy's
``@policy.monitoring`` rule decides: 404 when no token is configured, 401 without a token, 403 with a
wrong one).

Two kinds of figures:

* **Request latency**, observed by ``halte.core.logs.RequestLogMiddleware`` in a histogram labelled by
  route name, method and status (route names, never paths: a path can carry a receipt code). Gunicorn
  runs several worker processes and a scrape reaches only one of them, so in production the histogram
  is kept in prometheus_client's *multiprocess mode*: each process writes its counts to a small
  memory-mapped file in ``PROMETHEUS_MULTIPROC_DIR`` (by default ``HALTE_VAR_DIR/metrics``, emptied by
  ``halte.core.gunicorn_conf`` when the server starts) and a scrape adds them up. Counting in the
  database or the cache instead would write a row on every request. Without the variable (development,
  tests, the worker), counts stay in memory.
* **State read from the database at each scrape** (the same for every process, so nothing to add up):
  jobs per state, the queue's depth and the age of its oldest ready job, failed deliveries, the age of
  the last periodic pass and of the worker's last poll, and cases per state. Grouped counts and one
  ``MIN`` on indexed columns: a scrape costs a handful of cheap queries.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# Seconds. Most pages answer in tens of milliseconds; a report with files can take seconds.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUEST_LATENCY = Histogram(
    "halte_http_request_duration_seconds",
    "Durée de traitement des requêtes, par nom de route, méthode et statut.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    # Only the methods Halte answers: anything else a client sends would be a new label value.
    known = method if method in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} else "OTHER"
    REQUEST_LATENCY.labels(route=route, method=known, status=str(status)).observe(seconds)


class DatabaseCollector(Collector):
    """Figures read from the database when the metrics are scraped."""

    def collect(self) -> Iterator[Metric]:
        from django.db.models import Count

        from halte.cases.enums import State
        from halte.cases.models import Case
        from halte.delivery import queue
        from halte.delivery.models import Job

        now = timezone.now()

        jobs = GaugeMetricFamily("halte_jobs", "Tâches de la file, par état.", labels=["state"])
        counts = dict(Job.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in Job.Status:
            jobs.add_metric([status.value], counts.get(status.value, 0))
        yield jobs

        yield GaugeMetricFamily(
            "halte_jobs_ready",
            "Tâches prêtes à partir et pas encore prises (profondeur de la file).",
            value=queue.ready(now).count(),
        )
        oldest = queue.oldest_ready_age(now)
        yield GaugeMetricFamily(
            "halte_jobs_oldest_ready_age_seconds",
            "Attente de la plus ancienne tâche prête, en secondes (0 quand la file est vide).",
            value=0 if oldest is None else max(oldest.total_seconds(), 0.0),
        )
        yield GaugeMetricFamily(
            "halte_deliveries_failed",
            "Envois en échec après tous leurs essais (page des envois en échec).",
            value=counts.get(Job.Status.FAILED.value, 0),
        )

        for name, beat, help_text in (
            ("halte_periodic_pass_age_seconds", "tick", "Âge du dernier passage périodique (manage.py tick)."),
            (
                "halte_worker_poll_age_seconds",
                "worker",
                "Âge de la dernière recherche de travail du processus de tâches.",
            ),
        ):
            last = queue.last_beat(beat)
            # Never seen: +Inf, so that an alert on « age > N » fires on a fresh or dead installation.
            age = float("inf") if last is None else max((now - last).total_seconds(), 0.0)
            yield GaugeMetricFamily(name, f"{help_text} En secondes ; +Inf s'il n'a jamais eu lieu.", value=age)

        cases = GaugeMetricFamily("halte_cases", "Dossiers, par état.", labels=["state"])
        per_state = dict(Case.objects.values_list("state").annotate(n=Count("id")).order_by())
        for state in State:
            cases.add_metric([state.value], per_state.get(state.value, 0))
        yield cases


def exposition() -> bytes:
    """The text exposition of every metric, added up over the server's processes when there are several."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return body + generate_latest(_database_registry())


def _database_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return registry
