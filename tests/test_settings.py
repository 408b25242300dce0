"""Production settings refuse to start without what production needs, and pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "a-production-secret-that-is-long-enough-0123456789-abcdefghijklmnop"
PRODUCTION = {
    "HALTE_ENV": "production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "halte.example.gouv.fr",
    "DATABASE_URL": "postgres://halte@localhost/halte",
    "SITE_URL": "https://halte.example.gouv.fr",
    "DEFAULT_FROM_EMAIL": "Halte <ne-pas-repondre@halte.example.gouv.fr>",
    "HALTE_EVIDENCE_KEYS": "2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "HALTE_RECEIPT_KEYS": "r2026:a-receipt-secret-that-is-long-enough-0123456789",
    "HALTE_CUSTODY_SIGNING_KEY": "c2lnbmF0dXJlLWNoZWNrLWRlcGxveS1vbmx5LTAxMjM=",
    "HALTE_CLAMD_URL": "unix:///run/clamav/clamd.ctl",
}


def run_django(env_overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and not k.startswith(("DATABASE_URL", "HALTE_EVIDENCE_KEYS", "HALTE_RECEIPT_KEYS"))
        and k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "PORT"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "halte.settings"
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS"),
        ("DATABASE_URL", "DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_without(missing, message):
    result = run_django({**PRODUCTION, missing: None}, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_refuses_a_short_secret_and_sqlite():
    assert run_django({**PRODUCTION, "SECRET_KEY": "short"}, "check").returncode != 0
    result = run_django({**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/halte.sqlite3"}, "check")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_production_refuses_debug():
    result = run_django({**PRODUCTION, "DEBUG": "true"}, "check")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_passes_the_deployment_checklist_without_warning():
    result = run_django(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(GOOD_SECRET + "\n", encoding="utf-8")
    result = run_django({**PRODUCTION, "SECRET_KEY": None, "SECRET_KEY_FILE": str(secret_file)}, "check", "--deploy")
    assert result.returncode == 0, result.stderr


def test_production_refuses_demo_data():
    result = run_django(PRODUCTION, "load_demo")
    assert result.returncode != 0
    assert "production" in result.stderr


def test_development_defaults_are_french_and_paris(settings):
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_TZ
