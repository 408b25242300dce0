"""The production server, run for real: `scripts/prod serve` (gunicorn) in a subprocess.

It refuses to start, with a clear French message and a non-zero status, when SITE_URL, the evidence
keyring or the database is wrong; with a good configuration it serves pages and static files.
"""

import base64
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(bytes(range(32))).decode()
HOST = "halte.exemple.gouv.fr"
SECRET = "a-production-secret-that-is-long-enough-0123456789-abcdefghijklmnop"

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(var_dir: Path, **overrides: str | None) -> dict[str, str]:
    """A clean production environment: nothing of the developer's own settings leaks in."""
    own = ("HALTE_", "DATABASE_URL", "SITE_URL", "DEFAULT_FROM_EMAIL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own) and k not in {"PORT", "DEBUG"}}
    env.update(
        {
            "HALTE_PYTHON": sys.executable,
            "HALTE_VAR_DIR": str(var_dir),
            "SECRET_KEY": SECRET,
            "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
            "SITE_URL": f"https://{HOST}",
            "DEFAULT_FROM_EMAIL": f"Halte <ne-pas-repondre@{HOST}>",
            "HALTE_EVIDENCE_KEYS": f"2026:{KEY}",
            "HALTE_RECEIPT_KEYS": "r2026:a-receipt-secret-that-is-long-enough-0123456789",
            "HALTE_CUSTODY_SIGNING_KEY": "c2lnbmF0dXJlLWNoZWNrLWRlcGxveS1vbmx5LTAxMjM=",
            "HALTE_CLAMD_URL": "unix:///run/clamav/clamd.ctl",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/halte",
            "HALTE_BIND": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "1",
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "scripts" / "prod"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"SITE_URL": None}, "SITE_URL n’est pas renseignée"),
        ({"SITE_URL": f"http://{HOST}"}, "SITE_URL doit être l’adresse publique en https://"),
        ({"HALTE_EVIDENCE_KEYS": None}, "HALTE_EVIDENCE_KEYS (ou HALTE_EVIDENCE_KEYS_FILE) est obligatoire"),
        (
            {"HALTE_EVIDENCE_KEYS": f"2026:{base64.b64encode(bytes(16)).decode()}"},
            "la clé « 2026 » doit faire 32 octets",
        ),
        ({"DEFAULT_FROM_EMAIL": None}, "DEFAULT_FROM_EMAIL doit être une adresse d’expédition réelle"),
        ({"HALTE_STORAGE_URL": "s3://cle:secret@stockage/Mauvais_Nom"}, "HALTE_STORAGE_URL invalide"),
        (
            {"HALTE_STORAGE_URL": f"s3://cle:secret@127.0.0.1:{free_port()}/halte-preuves?tls=false"},
            "[halte.E005] Le stockage objet http://127.0.0.1:",
        ),
    ],
    ids=["no-site-url", "http-site-url", "no-keyring", "short-key", "no-sender", "bad-store", "dead-store"],
)
def test_the_server_refuses_to_start_with_a_wrong_configuration(tmp_path, overrides, said):
    result = serve(production_env(tmp_path, **overrides), "serve")
    assert result.returncode == 1, result.stderr
    assert "Halte refuse de démarrer en production" in result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert KEY not in result.stderr + result.stdout
    assert "Booting worker" not in result.stderr  # refused before any worker is forked


def test_the_server_refuses_an_unreachable_database(tmp_path):
    dead = f"postgres://halte:motdepasse-secret@127.0.0.1:{free_port()}/halte"
    result = serve(production_env(tmp_path, DATABASE_URL=dead), "serve")
    assert result.returncode == 1, result.stderr
    assert "[halte.E004] La base de données « halte »" in result.stderr
    assert "ne répond pas ou refuse la connexion" in result.stderr
    assert "motdepasse-secret" not in result.stderr
    assert "Traceback" not in result.stderr


def _postgres_server() -> dict:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://…")
    return database


def _url(database: dict, name: str) -> str:
    return f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"


@pytest.mark.parametrize(
    "url",
    [
        "pas-une-adresse",
        "postgres://halte:motdepasse-secret@127.0.0.1:pasunport/halte",
        "postgres://halte:motdepasse-secret@127.0.0.1:5432/",
        "postgrs://halte:motdepasse-secret@127.0.0.1:5432/halte",
    ],
    ids=["not-a-url", "bad-port", "no-database-name", "misspelt-scheme"],
)
@pytest.mark.parametrize("step", ["serve", ""])
def test_an_unreadable_database_url_is_refused_in_french(tmp_path, url, step):
    result = serve(production_env(tmp_path, DATABASE_URL=url), *([step] if step else []))
    assert result.returncode == 1, result.stderr
    assert "Halte refuse de démarrer en production" in result.stderr
    assert (
        "DATABASE_URL (ou DATABASE_URL_FILE) est illisible : attendu postgres://" in result.stderr
        or "La production exige PostgreSQL : DATABASE_URL doit commencer par postgres://" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert "motdepasse-secret" not in result.stderr + result.stdout
    assert "application des migrations" not in result.stdout  # stopped before touching anything
    assert "Booting worker" not in result.stderr


def test_an_unreadable_secret_file_is_refused_in_french(tmp_path):
    result = serve(production_env(tmp_path, DATABASE_URL=None, DATABASE_URL_FILE=str(tmp_path / "absent")), "prepare")
    assert result.returncode == 1
    assert f"DATABASE_URL_FILE : le fichier {tmp_path / 'absent'} ne peut pas être lu" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_whole_start_stops_at_the_check(tmp_path):
    """`scripts/prod` alone (prepare, then serve) stops at a wrong configuration, before migrating."""
    result = serve(production_env(tmp_path, SITE_URL=None))
    assert result.returncode == 1
    assert "[halte.E001] SITE_URL n’est pas renseignée" in result.stderr
    assert "application des migrations" not in result.stdout
    assert "Traceback" not in result.stderr


def test_the_server_refuses_a_database_that_does_not_exist(tmp_path):
    url = _url(_postgres_server(), "halte_base_qui_n_existe_pas")
    result = serve(production_env(tmp_path, DATABASE_URL=url), "serve")
    assert result.returncode == 1, result.stderr
    assert "[halte.E004] La base de données « halte_base_qui_n_existe_pas »" in result.stderr
    assert "does not exist" in result.stderr


def test_the_server_refuses_a_database_that_is_not_migrated(tmp_path):
    import psycopg

    database = _postgres_server()
    name = f"halte_empty_{os.getpid()}"
    admin = _url(database, "postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        result = serve(production_env(tmp_path, DATABASE_URL=_url(database, name)), "serve")
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert result.returncode == 1, result.stderr
    assert "migration(s) non appliquée(s) : lancez « scripts/prod prepare »" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_by_hand_runs_the_same_checks(tmp_path):
    """An outside tester's worker, started by hand with the store unreachable, said « démarré »."""
    database = _postgres_server()
    env = production_env(
        tmp_path, DATABASE_URL=_url(database, database["NAME"]), SITE_URL="http://halte.exemple.gouv.fr"
    )
    result = serve(env, "manage", "worker", "--batch")
    assert result.returncode != 0
    assert "le processus de tâches ne démarre pas" in result.stderr
    assert "https://" in result.stderr and "Traceback" not in result.stderr
    assert "démarré" not in result.stdout


@pytest.mark.django_db(transaction=True)
def test_a_machine_without_its_static_files_refuses_to_serve(tmp_path):
    """A second machine started with its own HALTE_VAR_DIR and no collectstatic answered 500 on every page."""
    database = _postgres_server()
    result = serve(production_env(tmp_path, DATABASE_URL=_url(database, database["NAME"])), "serve")
    assert result.returncode == 1, result.stderr
    assert "les fichiers statiques ne sont pas collectés" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_server_refuses_a_database_that_is_not_postgresql(tmp_path):
    result = serve(production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/halte.sqlite3"), "serve")
    assert result.returncode == 1
    assert "La production exige PostgreSQL" in result.stderr


def test_prepare_checks_before_touching_the_database(tmp_path):
    """`scripts/prod prepare` stops at the check: nothing is migrated with a wrong configuration."""
    result = serve(production_env(tmp_path, SITE_URL="http://127.0.0.1:8000"), "prepare")
    assert result.returncode != 0
    assert "halte.E001" in result.stderr
    assert "Halte refuse de démarrer en production" in result.stderr
    assert "Traceback" not in result.stderr
    assert "application des migrations" not in result.stdout


@pytest.mark.parametrize("step", ["prepare", "check"])
def test_prepare_refuses_in_french_what_the_settings_refuse(tmp_path, step):
    """A settings error (not a system check) used to reach the operator as a Python traceback."""
    result = serve(production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/halte.sqlite3"), step)
    assert result.returncode == 1
    assert "ImproperlyConfigured : La production exige PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


def test_scripts_prod_refuses_an_unknown_step(tmp_path):
    result = serve(production_env(tmp_path), "demarrer")
    assert result.returncode == 2
    assert result.stderr.startswith("Usage : scripts/prod [check|prepare|serve|")


def test_site_url_follows_the_development_port():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HALTE_", "SITE_URL", "DJANGO_"))}
    env.update({"PORT": "8080", "DJANGO_SETTINGS_MODULE": "halte.settings"})
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "http://127.0.0.1:8080", result.stderr
    # …and `make run PORT=8080` hands the port to the server it starts.
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8080"],  # noqa: S607 - make from PATH, as the README says
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "PORT=8080 .venv/bin/python manage.py runserver 127.0.0.1:8080" in dry_run.stdout


# --- The real thing -----------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_production_server_serves_pages_and_static_files(tmp_path):
    database = _postgres_server()  # production runs on PostgreSQL
    token = "jeton-de-supervision-0123456789-abcdefghijklmnop"
    env = production_env(
        tmp_path, DATABASE_URL=_url(database, database["NAME"]), WEB_CONCURRENCY="2", HALTE_METRICS_TOKEN=token
    )
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env={**env, "HALTE_ENV": "production", "DJANGO_SETTINGS_MODULE": "tests.core.static_uncompressed_settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collect.returncode == 0, collect.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()

    host, port = env["HALTE_BIND"].split(":")
    server = subprocess.Popen(  # noqa: S603 - our own script
        [str(ROOT / "scripts" / "prod"), "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        home = _get(host, int(port), "/", deadline=time.monotonic() + 60, server=server)
        assert home.status == 200
        page = home.read().decode()
        assert "Halte" in page
        stylesheet = re.search(r'"(/static/dsfr/dist/dsfr/dsfr\.min\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, re.findall(r'"/static/[^"]+"', page)  # the hashed DSFR stylesheet
        css = _get(host, int(port), stylesheet.group(1))
        assert css.status == 200
        assert css.getheader("Content-Type", "").startswith("text/css")
        assert "immutable" in css.getheader("Cache-Control", "")
        assert len(css.read()) > 10_000
        assert _get(host, int(port), "/static/nothing-here.css").status == 404
        # Metrics: the requests of both worker processes, added up (prometheus_client's multiprocess mode).
        for _ in range(7):
            assert _get(host, int(port), "/mentions-legales/").status == 200
        assert _get(host, int(port), "/exploitation/metriques").status == 401
        scraped = _get(host, int(port), "/exploitation/metriques", token=token)
        assert scraped.status == 200
        exposition = scraped.read().decode()
        served_here = re.search(
            r'^halte_http_request_duration_seconds_count\{method="GET",route="www:legal_notice",status="200"\} (\S+)$',
            exposition,
            re.MULTILINE,
        )
        assert served_here and float(served_here.group(1)) == 7.0, exposition[:3000]
        assert re.search(r"^halte_jobs_ready 0\.0$", exposition, re.MULTILINE)
        assert list((tmp_path / "metrics").glob("histogram_*.db"))  # in HALTE_VAR_DIR/metrics
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "127.0.0.1 -" not in errors  # no access log line with the client's address
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    served = [(line["route"], line["status"]) for line in lines if line["logger"] == "halte.request"]
    assert ("www:home", 200) in served  # one JSON line per request, with its route
    assert ("static", 200) in served
    assert ("static", 404) in served
    assert all("127.0.0.1" not in json.dumps(line) for line in lines if line["logger"] == "halte.request")


def _get(host: str, port: int, path: str, *, deadline: float | None = None, server=None, token: str = ""):
    """GET through the reverse proxy's eyes (https already terminated), retrying until the deadline."""
    headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    while True:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            return connection.getresponse()
        except (ConnectionRefusedError, ConnectionResetError):
            connection.close()
            if deadline is None or time.monotonic() > deadline:
                raise
            if server is not None and server.poll() is not None:
                pytest.fail(f"the server stopped: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.3)
