"""The production readiness checks (halte.core.checks), judged one by one in process."""

import base64
from datetime import timedelta

import pytest
from django.core import checks as django_checks
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from halte.core import checks

KEY = base64.b64encode(bytes(range(32))).decode()


def ids(messages):
    return [message.id for message in messages]


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.SITE_URL = "https://halte.exemple.gouv.fr"
    settings.ALLOWED_HOSTS = ["halte.exemple.gouv.fr"]
    settings.DEFAULT_FROM_EMAIL = "Halte <ne-pas-repondre@halte.exemple.gouv.fr>"
    return settings


def test_a_complete_configuration_passes(production, monkeypatch):
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{KEY}")
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    assert checks.check_site_url() == []
    assert checks.check_evidence_keyring() == []
    assert checks.check_sender() == []


@pytest.mark.parametrize(
    ("site_url", "said"),
    [
        ("", "n’est pas renseignée"),
        ("http://halte.exemple.gouv.fr", "https://"),
        ("halte.exemple.gouv.fr", "https://"),
        ("https://", "https://"),
        ("https://halte.exemple.gouv.fr/halte", "ni chemin"),
        ("https://halte.exemple.gouv.fr/?a=1", "ni chemin"),
        ("https://127.0.0.1:8000", "ALLOWED_HOSTS"),
        ("https://autre.exemple.gouv.fr", "ALLOWED_HOSTS"),
    ],
)
def test_site_url_must_be_the_public_https_address(production, site_url, said):
    production.SITE_URL = site_url
    [error] = checks.check_site_url()
    assert error.id == "halte.E001"
    assert error.is_serious()
    assert said in error.msg


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        (None, "obligatoire en production"),
        ("", "obligatoire en production"),
        ("2026", "identifiant:clé_en_base64"),
        ("2026:pas-du-base64!", "base64"),
        (f"2026:{base64.b64encode(bytes(16)).decode()}", "32 octets"),
        (f"2026:{KEY},2026:{KEY}", "deux fois"),
        (f"clé-é:{KEY}", "n’est pas valable"),
    ],
)
def test_a_missing_or_malformed_keyring_refuses_production(production, monkeypatch, keys, said):
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    if keys is None:
        monkeypatch.delenv("HALTE_EVIDENCE_KEYS", raising=False)
    else:
        monkeypatch.setenv("HALTE_EVIDENCE_KEYS", keys)
    [error] = checks.check_evidence_keyring()
    assert error.id == "halte.E002"
    assert said in error.msg
    assert KEY not in error.msg  # a key is never printed


def test_an_unreadable_key_file_refuses_production(production, monkeypatch, tmp_path):
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS_FILE", str(tmp_path / "absent.keys"))
    [error] = checks.check_evidence_keyring()
    assert error.id == "halte.E002"
    assert "impossible de lire" in error.msg


@pytest.mark.parametrize(
    "sender",
    [
        "",
        "Halte",
        "Halte <ne-pas-repondre@halte.localhost>",
        "ne-pas-repondre@example.com",
        "Halte <halte@serveur.local>",
        "halte@localhost",
        "Halte <halte@cellule.test>",
    ],
)
def test_the_sender_must_be_a_real_address(production, sender):
    production.DEFAULT_FROM_EMAIL = sender
    [error] = checks.check_sender()
    assert error.id == "halte.E003"
    assert "DEFAULT_FROM_EMAIL" in error.msg


def test_the_checks_are_part_of_check_deploy():
    deployment_checks = django_checks.registry.registry.get_checks(include_deployment_checks=True)
    for check in (checks.check_site_url, checks.check_evidence_keyring, checks.check_sender):
        assert check in deployment_checks
        assert check not in django_checks.registry.registry.get_checks(include_deployment_checks=False)


# --- Signs of life of the worker and of the periodic pass ---------------------------------------
def _task(path, status, *, enqueued, finished=None):
    task = DBTaskResult.objects.create(
        status=status,
        finished_at=finished,
        args_kwargs={"args": [], "kwargs": {}},
        priority=0,
        task_path=path,
        queue_name="default",
        backend_name="default",
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=enqueued)  # set on insert otherwise
    return task


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_a_fresh_installation_is_warned_not_refused(database_queue):
    messages = checks.check_background_work(databases=["default"])
    assert ids(messages) == ["halte.W001", "halte.W002"]
    assert not any(message.is_serious() for message in messages)


@pytest.mark.django_db
def test_a_task_waiting_for_long_means_the_worker_is_dead(database_queue):
    now = timezone.now()
    _task("halte.notifications.tasks.send_email", "SUCCESSFUL", enqueued=now - timedelta(days=2), finished=now)
    _task("halte.cases.tasks.tick_task", "SUCCESSFUL", enqueued=now, finished=now - timedelta(minutes=1))
    assert checks.check_background_work(databases=["default"]) == []
    _task("halte.notifications.tasks.send_email", "READY", enqueued=now - timedelta(minutes=25))
    [warning] = checks.check_background_work(databases=["default"])
    assert warning.id == "halte.W001"
    assert "25 minutes" in warning.msg


@pytest.mark.django_db
def test_a_silent_periodic_pass_is_reported(database_queue):
    now = timezone.now()
    _task("halte.notifications.tasks.send_email", "SUCCESSFUL", enqueued=now, finished=now)
    _task("halte.cases.tasks.tick_task", "SUCCESSFUL", enqueued=now, finished=now - timedelta(hours=3))
    [warning] = checks.check_background_work(databases=["default"])
    assert warning.id == "halte.W002"
    assert "minuteur semble arrêté" in warning.msg


def test_background_checks_need_a_database_and_the_database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert checks.check_background_work(databases=None) == []
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert checks.check_background_work(databases=["default"]) == []


@pytest.mark.django_db
def test_heartbeats_are_read_when_the_project_records_them(database_queue, monkeypatch):
    """A stand-in for the delivery queue's ``last_beat``: the checks read heartbeats where they exist."""
    import sys
    import types

    now = timezone.now()
    beats = {"worker": now - timedelta(seconds=20), "tick": now - timedelta(seconds=40)}
    stand_in = types.ModuleType("halte.delivery.queue")
    stand_in.last_beat = beats.get  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "halte.delivery.queue", stand_in)
    assert checks.check_background_work(databases=["default"]) == []
    beats["worker"] = now - timedelta(hours=2)
    beats["tick"] = now - timedelta(hours=1)
    assert ids(checks.check_background_work(databases=["default"])) == ["halte.W001", "halte.W002"]
