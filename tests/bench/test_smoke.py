"""`make bench` end to end on a small population, goals not enforced: so that the benchmark never rots.

The real command in a subprocess (its own database, created and dropped, production settings,
gunicorn serving the intake): every benchmark of the table must have been measured.
"""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.bench

ROWS = [
    "chargement",
    "tick (rien de dû)",
    "/dossiers/ (coordination)",
    "/dossiers/?overdue=on",
    "/dossiers/ (établissement)",
    "/signalements/",
    "/echeances/",
    "/actions/",
    "dossier à 500 lignes de suivi",
    "/pilotage/ (première requête)",
    "suggest_people",
    "POST /api/v1/reports (4 clients, gunicorn 2 workers)",
    "POST /api/v1/reports, latence",
]


def _server_url(name: str) -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the benchmark measures PostgreSQL: run with DATABASE_URL=postgres://…")
    return f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"


def test_the_benchmark_runs_end_to_end(transactional_db):
    name = f"halte_bench_smoke_{os.getpid()}"
    url = _server_url(name)
    # This process's test database, migrated and empty, is copied rather than migrated again (the
    # copy needs nobody connected to it).
    template = connections["default"].settings_dict["NAME"]
    connections.close_all()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_", "HALTE_", "DATABASE_URL"))}
    result = subprocess.run(  # noqa: S603 - our own module
        [
            *(sys.executable, "-m", "halte.bench", "--cases", "1000", "--runs", "2", "--intake-seconds", "1"),
            *("--clients", "4", "--workers", "2", "--no-enforce", "--database-url", url),
            *("--template", template),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    for row in ROWS:
        line = next((line for line in table.splitlines() if line.startswith(f"| {row}")), None)
        assert line is not None, f"{row} missing from:\n{table}"
        value = line.split("|")[2].strip()
        assert value != "—", f"{row} not measured:\n{table}"
        assert " — " not in line.split("|")[-2], f"{row} had failed requests:\n{line}"
    assert "Données : 1001 dossiers" in table
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin) as connection:
        assert connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None
