"""`manage.py rotate_evidence_key`: every sealed file re-encrypted under the current key, safely.

Attacks: a run interrupted midway, a process killed between writing a new file and switching its row,
or after switching but before removing the old file, a file altered in the vault, a second run."""

import hashlib
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from halte.audit.models import Action, AuditEvent
from halte.core import blobs, rotation
from halte.documents import storage
from halte.documents.models import Document
from halte.reports import vault
from halte.reports.models import Evidence

from .sealed import b64key, populate, snapshot

OLD, NEW = b64key(), b64key()
ROOT = Path(django_settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.PRODUCTION = False
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"old:{OLD}")


def stored_files() -> set[str]:
    return {listed.path for area in ("vault", "documents") for listed in blobs.listing(area)}


def referenced_files() -> set[str]:
    paths = set(Evidence.objects.values_list("original_path", flat=True))
    paths |= set(Evidence.objects.exclude(display_path="").values_list("display_path", flat=True))
    return paths | set(Document.objects.values_list("path", flat=True))


def key_ids() -> set[str]:
    return set(Evidence.objects.values_list("key_id", flat=True)) | set(
        Document.objects.values_list("key_id", flat=True)
    )


def new_key_first(monkeypatch):
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"new:{NEW},old:{OLD}")


def test_every_file_is_resealed_under_the_new_key_and_all_still_verify(
    people, monkeypatch, capsys, django_capture_on_commit_callbacks
):
    before = populate(people)
    assert len(before["evidence"]) == 4 and len(before["display"]) == 2 and len(before["documents"]) == 2
    old_files = stored_files()
    new_key_first(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert key_ids() == {"new"}
    # The old key withdrawn: everything opens with the new one alone, to the same bytes.
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"new:{NEW}")
    assert snapshot() == before
    assert not old_files & stored_files()  # every old ciphertext removed
    assert stored_files() == referenced_files()  # and nothing left behind
    out = capsys.readouterr().out
    assert "4 pièce(s) et 2 document(s) rechiffrés" in out
    started = AuditEvent.objects.get(action=Action.KEY_ROTATION_STARTED)
    finished = AuditEvent.objects.get(action=Action.KEY_ROTATION_FINISHED)
    assert started.detail == {"key_id": "new", "evidence": 4, "documents": 2}
    assert finished.detail["evidence"] == 4 and finished.detail["documents"] == 2 and finished.detail["failed"] == 0
    assert finished.detail["remaining"] == {"evidence": 0, "documents": 0}
    journaled = json.dumps([started.detail, finished.detail])
    assert OLD not in journaled and NEW not in journaled  # counts and references, never a key


def test_a_second_run_has_nothing_to_do(people, monkeypatch, capsys, django_capture_on_commit_callbacks):
    populate(people, reports=1)
    new_key_first(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    files = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert "0 pièce(s) et 0 document(s) rechiffrés" in capsys.readouterr().out
    assert stored_files() == files


def test_interrupted_midway_every_row_still_opens_and_a_second_run_finishes(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    before = populate(people)
    new_key_first(monkeypatch)
    real = vault.reseal
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C, or the service stopping, on the third piece
        return real(*args, **kwargs)

    monkeypatch.setattr(vault, "reseal", interrupted)
    with pytest.raises(KeyboardInterrupt), django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert Evidence.objects.filter(key_id="new").count() == 2
    assert Evidence.objects.filter(key_id="old").count() == 2
    assert snapshot() == before  # half rotated, all readable
    interrupted_event = AuditEvent.objects.get(action=Action.KEY_ROTATION_INTERRUPTED)
    assert interrupted_event.detail["evidence"] == 2
    assert stored_files() == referenced_files()

    monkeypatch.setattr(vault, "reseal", real)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert key_ids() == {"new"}
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"new:{NEW}")
    assert snapshot() == before
    assert stored_files() == referenced_files()


def test_killed_after_writing_a_new_file_the_row_keeps_its_old_readable_file(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    """The new ciphertext is on disk, the row not switched yet: the row must still open; the new file is an orphan."""
    before = populate(people, reports=1)
    new_key_first(monkeypatch)
    real = vault.reseal

    def killed_after_write(*args, **kwargs):
        real(*args, **kwargs)
        raise SystemExit(137)

    monkeypatch.setattr(vault, "reseal", killed_after_write)
    with pytest.raises(SystemExit), django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert key_ids() == {"old"}
    assert snapshot() == before
    orphans = stored_files() - referenced_files()
    assert len(orphans) == 2  # the image's new original and display copy
    # The periodic pass sweeps them (here without waiting the usual hour); the rows still open.
    assert set(vault.purge_orphans(older_than=timedelta(0))) == orphans
    assert snapshot() == before
    monkeypatch.setattr(vault, "reseal", real)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert key_ids() == {"new"}
    assert snapshot() == before


def test_stopped_while_switching_a_row_the_row_still_opens(people, monkeypatch, django_capture_on_commit_callbacks):
    """Stopped at the very moment of switching: no old file may be gone while its row still names it."""
    before = populate(people, reports=1)
    new_key_first(monkeypatch)

    def stopped(*args, **kwargs):
        raise SystemExit(143)

    monkeypatch.setattr(rotation, "_switch_evidence", stopped)
    with pytest.raises(SystemExit), django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert key_ids() == {"old"}
    assert snapshot() == before
    assert stored_files() == referenced_files()  # the new files of the interrupted piece were removed


def test_killed_after_switching_the_old_files_are_only_orphans(people, monkeypatch):
    """The rows switched and committed, the process gone before removing the old files."""
    before = populate(people, reports=1)
    old_files = stored_files()
    new_key_first(monkeypatch)
    call_command("rotate_evidence_key")  # the on-commit removals never run, as after a kill
    assert key_ids() == {"new"}
    assert stored_files() - referenced_files() == old_files
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"new:{NEW}")
    assert snapshot() == before
    swept = vault.purge_orphans(older_than=timedelta(0)) + storage.purge_orphans(older_than=timedelta(0))
    assert set(swept) == old_files
    assert snapshot() == before


def test_a_row_changed_meanwhile_is_not_switched_and_its_new_files_are_removed(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    """Another run switched the row between our read and our switch: ours must not overwrite it."""
    populate(people, reports=1)
    new_key_first(monkeypatch)
    real = vault.reseal
    winners: dict = {}

    def concurrent(item, key_id, key):
        paths = real(item, key_id, key)
        if not winners:  # another process re-sealed and switched this row first
            other = real(item, key_id, key)
            Evidence.objects.filter(pk=item.pk).update(key_id=key_id, original_path=other[0], display_path=other[1])
            winners[item.pk] = other
        return paths

    monkeypatch.setattr(vault, "reseal", concurrent)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = rotation.rotate()
    (pk, other) = next(iter(winners.items()))
    row = Evidence.objects.get(pk=pk)
    assert (row.original_path, row.display_path) == other
    assert outcome.evidence == 1  # only the other piece was switched by this run
    vault.read_original(row)


def test_an_altered_file_is_named_keeps_its_key_and_does_not_stop_the_others(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    populate(people, reports=1)
    altered = Evidence.objects.filter(display_path="").get()
    blob = bytearray(blobs.read(altered.original_path))
    blob[-1] ^= 0x01
    blobs.replace(altered.original_path, bytes(blob))
    new_key_first(monkeypatch)
    with pytest.raises(CommandError) as error, django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert str(altered.public_id) in str(error.value)
    assert Evidence.objects.get(pk=altered.pk).key_id == "old"
    assert Evidence.objects.exclude(pk=altered.pk).get().key_id == "new"
    assert set(Document.objects.values_list("key_id", flat=True)) == {"new"}
    finished = AuditEvent.objects.get(action=Action.KEY_ROTATION_FINISHED)
    assert finished.detail["failed"] == 1 and finished.detail["failed_ids"] == [str(altered.public_id)]
    assert finished.detail["remaining"] == {"evidence": 1, "documents": 0}


def test_dry_run_counts_per_key_and_changes_nothing(people, monkeypatch, capsys):
    populate(people, reports=1)
    files = stored_files()
    new_key_first(monkeypatch)
    call_command("rotate_evidence_key", "--dry-run")
    out = capsys.readouterr().out
    assert "Clé « old » : 4 fichier(s)." in out
    assert "À rechiffrer : 2 pièce(s), 2 document(s)." in out
    assert stored_files() == files and key_ids() == {"old"}
    assert not AuditEvent.objects.filter(action=Action.KEY_ROTATION_STARTED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_for_real_leaves_every_row_readable_and_a_second_run_finishes(people, tmp_path, monkeypatch):
    """SIGKILL, no cleanup at all, on a run in another process (PostgreSQL: it must reach the same database)."""
    if connection.vendor != "postgresql":
        pytest.skip("another process must reach the test database (PostgreSQL)")
    before = populate(people, reports=6)
    params = connection.settings_dict
    where = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"
    url = f"postgres://{params['USER'] or 'postgres'}@{where}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HALTE_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=url,
        HALTE_VAR_DIR=str(tmp_path),  # MEDIA_ROOT is tmp_path / "media", as in this test
        HALTE_EVIDENCE_KEYS=f"new:{NEW},old:{OLD}",
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, str(ROOT / "manage.py"), "rotate_evidence_key", "-v", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("pièce "), first + process.stderr.read()
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    new_key_first(monkeypatch)
    rotated = Evidence.objects.filter(key_id="new").count()
    assert rotated >= 1
    assert snapshot() == before  # whatever it had done, every row opens
    assert AuditEvent.objects.filter(action=Action.KEY_ROTATION_STARTED).count() == 1
    assert not AuditEvent.objects.filter(action=Action.KEY_ROTATION_FINISHED).exists()

    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert finished.returncode == 0, finished.stderr
    assert key_ids() == {"new"}
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"new:{NEW}")
    assert snapshot() == before
    # Nothing but orphans may be left behind, and the periodic pass removes them.
    vault.purge_orphans(older_than=timedelta(0))
    storage.purge_orphans(older_than=timedelta(0))
    assert stored_files() == referenced_files()


def test_a_reader_holding_a_row_from_before_the_rotation_still_gets_its_file(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    """A page loaded the row, then the rotation switched it and removed the old file: the read must not fail."""
    before = populate(people, reports=1)
    stale_evidence = list(Evidence.objects.order_by("pk"))
    stale_documents = list(Document.objects.order_by("pk"))
    new_key_first(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_evidence_key")
    assert not {item.original_path for item in stale_evidence} & stored_files()  # the old files are gone
    for item in stale_evidence:
        assert before["evidence"][str(item.public_id)] == hashlib.sha256(vault.read_original(item)).hexdigest()
        if item.display_path:
            assert before["display"][str(item.public_id)] == hashlib.sha256(vault.read_display(item)).hexdigest()
        assert item.key_id == "new"
    for document in stale_documents:
        assert before["documents"][str(document.public_id)] == hashlib.sha256(storage.read(document)).hexdigest()


def test_a_file_really_missing_is_still_reported_missing(people):
    populate(people, reports=1)
    item = Evidence.objects.filter(display_path="").get()
    blobs.delete(item.original_path)
    with pytest.raises(vault.EvidenceUnreadable, match="missing"):
        vault.read_original(item)
    document = Document.objects.first()
    blobs.delete(document.path)
    with pytest.raises(storage.DocumentUnreadable, match="missing"):
        storage.read(document)
