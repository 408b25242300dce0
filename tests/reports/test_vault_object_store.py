"""The evidence vault on the object store (a real local S3-compatible server): what the vault does
on disk it does the same on the bucket, and the bucket only ever sees ciphertext."""

from datetime import timedelta

import pytest

from halte.core import blobs
from halte.reports import vault

from .test_vault import PNG_BYTES, TEXT_BYTES, b64key, upload


@pytest.fixture(autouse=True)
def _bucket(settings, tmp_path, monkeypatch, object_store):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRODUCTION = False
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{b64key()}")
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)


@pytest.fixture
def report(db):
    from halte.reports.models import Report

    return Report.objects.create(
        reference="SIG-TEST-0101", channel="public_form", reporter_kind="victim", description="On se moque de moi."
    )


def test_evidence_round_trips_through_the_bucket_as_ciphertext(report, settings, s3_server, object_store):
    photo = vault.store(report=report, upload=upload("capture.png", PNG_BYTES, "image/png"))
    text = vault.store(report=report, upload=upload("message.txt", TEXT_BYTES, "text/plain"))
    assert vault.read_original(photo) == PNG_BYTES
    assert vault.read_original(text) == TEXT_BYTES
    stored = s3_server.objects(object_store.bucket)
    assert f"halte/{photo.original_path}" in stored
    assert any(key.startswith("halte/keycheck/") for key in stored)
    for blob in stored.values():
        assert PNG_BYTES not in blob
        assert TEXT_BYTES not in blob
        assert b"t\xe2\x80\x99es nul" not in blob
    assert not (settings.MEDIA_ROOT / "vault").exists()


def test_a_file_altered_in_the_bucket_is_refused(report, s3_server, object_store):
    from tests.s3 import client

    evidence = vault.store(report=report, upload=upload("message.txt", TEXT_BYTES, "text/plain"))
    key = f"halte/{evidence.original_path}"
    sealed = bytearray(s3_server.objects(object_store.bucket)[key])
    sealed[-1] ^= 1
    client().put_object(Bucket=object_store.bucket, Key=key, Body=bytes(sealed))
    with pytest.raises(vault.EvidenceUnreadable):
        vault.read_original(evidence)


def test_orphans_are_swept_from_the_bucket_and_key_checks_kept(report, s3_server, object_store):
    kept = vault.store(report=report, upload=upload("message.txt", TEXT_BYTES, "text/plain"))
    blobs.write_new("vault/2026/01/orphan.bin", b"sealed but unreferenced")
    removed = vault.purge_orphans(older_than=timedelta(0))
    assert removed == ["vault/2026/01/orphan.bin"]
    keys = set(s3_server.objects(object_store.bucket))
    assert f"halte/{kept.original_path}" in keys
    assert "halte/vault/2026/01/orphan.bin" not in keys
    assert any(key.startswith("halte/keycheck/") for key in keys)


def test_a_store_gone_quiet_gives_the_coordinator_the_try_again_page(report, people, login, settings):
    from django.test import Client
    from django.urls import reverse

    from halte.core.storage_url import parse
    from tests.s3 import _free_port

    evidence = vault.store(report=report, upload=upload("message.txt", TEXT_BYTES, "text/plain"))
    report.school = people.school_a_staff.school
    report.save(update_fields=["school"])
    client = Client(raise_request_exception=False)
    login(client, people.coordinator)
    url = reverse("reports:evidence_original", args=[report.public_id, evidence.public_id])
    assert client.get(url).content == TEXT_BYTES
    settings.HALTE_STORAGE = parse(f"s3://k:s@127.0.0.1:{_free_port()}/halte-gone?tls=false")
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert TEXT_BYTES not in response.content
