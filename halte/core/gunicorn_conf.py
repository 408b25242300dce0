"""Gunicorn's configuration for Halte: `gunicorn -c python:halte.core.gunicorn_conf halte.wsgi`.

``scripts/prod serve`` starts it this way. Before any worker is forked, the master runs every
system check, deployment checks and database included (``halte.core.checks``), and verifies that no
migration is pending (``halte.core.startup``): on any error it prints the French messages and exits
with status 1, so a misconfigured server never starts (systemd shows the message in
``journalctl -u halte-web``).

Settings come from the environment: ``HALTE_BIND`` (default ``127.0.0.1:8000``, behind the
reverse proxy), ``WEB_CONCURRENCY`` (workers, read by gunicorn itself; default 2 × cores + 1),
``HALTE_WEB_THREADS``, ``HALTE_WEB_TIMEOUT``. There is no access log: the application writes one
JSON line per request itself, without the client's address (``halte.core.logs``).

Metrics: gunicorn's worker processes each count their requests for the latency histogram
(``halte.core.metrics``) in files of ``PROMETHEUS_MULTIPROC_DIR`` (by default ``HALTE_VAR_DIR/metrics``),
which the master empties when it starts; a scrape adds them up, and a worker that exits is marked dead.
"""

import multiprocessing
import os
import sys
from pathlib import Path

bind = os.environ.get("HALTE_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("HALTE_WEB_THREADS", "1"))
timeout = int(os.environ.get("HALTE_WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Uploads of evidence can be slow on a phone network; the reverse proxy buffers them anyway.
keepalive = 5
# Gunicorn's access log would carry each client's IP address: never.
accesslog = None
errorlog = "-"
# A worker restarted now and then caps any slow leak.
max_requests = 2000
max_requests_jitter = 200
proc_name = "halte-web"
# Gunicorn's runtime control socket is not used, and would be created in the (read-only) home.
control_socket_disable = True
# Gunicorn's own lines (start, workers, timeouts) in the same JSON as the application's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "halte.core.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        # No access log is configured (accesslog = None); should one be, it stays silent.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
wsgi_app = "halte.wsgi:application"

# Set before Django (and prometheus_client) is imported by the checks below or by any worker.
METRICS_DIR = Path(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    or Path(os.environ.get("HALTE_VAR_DIR") or Path(__file__).resolve().parents[2] / "var") / "metrics"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)


def reset_metrics_dir() -> None:
    """A fresh server starts counting from zero: the files of a former run are removed."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for leftover in METRICS_DIR.glob("*.db"):
        leftover.unlink(missing_ok=True)


def on_starting(server) -> None:
    try:
        reset_metrics_dir()
    except OSError as error:
        print(
            f"Halte refuse de démarrer en production :\n  - dossier des métriques {METRICS_DIR} inutilisable : "
            f"{error.strerror} (réglez PROMETHEUS_MULTIPROC_DIR ou HALTE_VAR_DIR).",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(1)
    from halte.core import startup

    if not startup.report(*startup.problems(migrations=True)):
        sys.exit(1)


def child_exit(server, worker) -> None:
    """A worker gone: its live gauges no longer count (its counters and histograms still do)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(METRICS_DIR))
