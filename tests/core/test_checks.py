"""The production readiness checks (halte.core.checks), judged one by one in process."""

import base64
from datetime import timedelta

import pytest
from django.core import checks as django_checks
from django.utils import timezone

from halte.core import checks
from halte.delivery.models import Job, beat

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
        ("both", "toutes les deux"),
    ],
)
def test_a_missing_or_malformed_keyring_refuses_production(production, monkeypatch, keys, said):
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    if keys == "both":
        monkeypatch.setenv("HALTE_EVIDENCE_KEYS", "pas-une-cle")
        monkeypatch.setenv("HALTE_EVIDENCE_KEYS_FILE", "/etc/halte/evidence.keys")
    elif keys is None:
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
def _job(*, run_after):
    return Job.objects.create(task="notifications.email", title="Notification", run_after=run_after)


@pytest.fixture
def database_queue(settings):
    """A queue emptied by a worker, as in production (not run in the web process)."""
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False}


@pytest.mark.django_db
def test_a_fresh_installation_is_warned_not_refused(database_queue):
    messages = checks.check_background_work(databases=["default"])
    assert ids(messages) == ["halte.W001", "halte.W002"]
    assert not any(message.is_serious() for message in messages)


@pytest.mark.django_db
def test_a_job_waiting_for_long_means_the_worker_is_dead(database_queue):
    now = timezone.now()
    beat("worker", now=now - timedelta(seconds=20))
    beat("tick", now=now - timedelta(minutes=1))
    _job(run_after=now - timedelta(minutes=2))
    assert checks.check_background_work(databases=["default"]) == []
    _job(run_after=now - timedelta(minutes=25))
    [warning] = checks.check_background_work(databases=["default"])
    assert warning.id == "halte.W001"
    assert "25 minutes" in warning.msg


@pytest.mark.django_db
def test_silent_heartbeats_are_reported(database_queue):
    now = timezone.now()
    beat("worker", now=now - timedelta(seconds=20))
    beat("tick", now=now - timedelta(hours=3))
    [warning] = checks.check_background_work(databases=["default"])
    assert warning.id == "halte.W002"
    assert "minuteur semble arrêté" in warning.msg
    beat("worker", now=now - timedelta(hours=2))
    beat("tick", now=now)
    [warning] = checks.check_background_work(databases=["default"])
    assert warning.id == "halte.W001"
    assert "ne donne plus signe de vie" in warning.msg


def test_background_checks_need_a_database_and_a_queue_emptied_by_a_worker(settings):
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False}
    assert checks.check_background_work(databases=None) == []
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": True}
    assert checks.check_background_work(databases=["default"]) == []


# --- The object store (HALTE_STORAGE_URL), against the local S3-compatible server ----------------
def test_no_object_store_nothing_to_check(settings):
    settings.HALTE_STORAGE = None
    assert checks.check_object_store() == []


def test_a_working_object_store_passes_and_leaves_no_probe_behind(settings, object_store, s3_server):
    assert checks.check_object_store() == []
    assert s3_server.objects(object_store.bucket) == {}
    assert "storage" in django_checks.registry.registry.tags_available(deployment_checks=True)


def test_an_object_store_that_does_not_answer_stops_the_start(settings, s3_server):
    from halte.core.storage_url import parse
    from tests.s3 import _free_port

    settings.HALTE_STORAGE = parse(f"s3://cle:motdepasse-secret@127.0.0.1:{_free_port()}/halte-preuves?tls=false")
    [error] = checks.check_object_store()
    assert error.id == "halte.E005"
    assert error.is_serious()
    assert "ne répond pas" in error.msg
    assert "/halte-preuves" in error.msg
    assert "motdepasse-secret" not in error.msg + (error.hint or "")


def test_a_missing_bucket_stops_the_start(settings, s3_server):
    settings.HALTE_STORAGE = s3_server.config("halte-jamais-cree")
    [error] = checks.check_object_store()
    assert error.id == "halte.E005"
    assert "ne contient pas ce compartiment" in error.msg


def test_an_object_store_that_refuses_writes_stops_the_start(settings, object_store, monkeypatch):
    from botocore.exceptions import ClientError

    from halte.core import blobs

    real = blobs.s3_client

    def read_only(*args, **kwargs):
        client = real(*args, **kwargs)

        def refuse(**_kwargs):
            raise ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "Put")

        client.put_object = refuse
        return client

    monkeypatch.setattr(blobs, "s3_client", read_only)
    [error] = checks.check_object_store()
    assert error.id == "halte.E005"
    assert "refuse la clé d’accès ou le secret (AccessDenied) en écrivant" in error.msg


def test_an_object_store_that_ignores_conditional_writes_is_a_warning(settings, object_store, monkeypatch):
    from halte.core import blobs

    real = blobs.s3_client

    def unconditional(*args, **kwargs):
        client = real(*args, **kwargs)
        put = client.put_object

        def put_ignoring_condition(**kwargs):
            kwargs.pop("IfNoneMatch", None)
            return put(**kwargs)

        client.put_object = put_ignoring_condition
        return client

    monkeypatch.setattr(blobs, "s3_client", unconditional)
    [warning] = checks.check_object_store()
    assert warning.id == "halte.W003"
    assert not warning.is_serious()


OTHER_KEY = base64.b64encode(bytes(range(100, 132))).decode()


def test_a_new_key_under_an_old_id_refuses_to_start_and_to_seal(production, monkeypatch, settings, tmp_path, db):
    """A machine whose key file was regenerated under the same id would seal files that every
    correctly configured machine calls altered: it does not start, and it seals nothing."""
    import uuid

    from halte.reports import vault

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{KEY}")
    good = vault.seal(base64.b64decode(KEY), "2026", uuid.uuid4(), "original", b"photo")  # writes the key check
    assert good and checks.check_evidence_keys_match() == []

    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{OTHER_KEY}")
    [error] = checks.check_evidence_keys_match()
    assert error.id == "halte.E006" and "« 2026 »" in error.msg
    assert OTHER_KEY not in error.msg and KEY not in error.msg
    with pytest.raises(vault.EvidenceKeyMismatch):
        vault.seal(base64.b64decode(OTHER_KEY), "2026", uuid.uuid4(), "original", b"photo")
    # A new key added under a new id, in front: fine.
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2027:{OTHER_KEY},2026:{KEY}")
    assert checks.check_evidence_keys_match() == []


def test_a_key_still_used_by_stored_files_must_stay_in_the_keyring(production, monkeypatch, settings, tmp_path, db):
    from halte.reports.actions import PupilData, ReportData, submit_report
    from halte.reports.models import Evidence

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{KEY}")
    from django.core.files.uploadedfile import SimpleUploadedFile

    submit_report(
        data=ReportData(
            channel="phone",
            reporter_kind="parent",
            description="Insultes dans la cour chaque jour.",
            school_text="Collège",
            pupils=[PupilData(first_name="Jade", role="victim")],
        ),
        actor=None,
        with_receipt=True,
        files=[SimpleUploadedFile("mot.txt", b"Tu es nulle", content_type="text/plain")],
    )
    assert Evidence.objects.filter(key_id="2026").exists()
    assert checks.check_evidence_keys_match(databases=["default"]) == []
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2027:{OTHER_KEY}")
    [error] = checks.check_evidence_keys_match(databases=["default"])
    assert error.id == "halte.E006" and "absente du trousseau" in error.msg
