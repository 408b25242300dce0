"""`manage.py backup` and `manage.py restore`, and the restore drill.

The drill backs up a populated instance, restores it into a new database and a new storage folder in
another process (another DATABASE_URL, another HALTE_VAR_DIR), and checks there that every report,
every piece of evidence (original and display copy) and every document opens to the same SHA-256.
Attacks: a backup altered or incomplete, a hostile manifest, a destination that is not empty, a
restore without the right keys (it must say the key is absent or different, never "altered")."""

import base64
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from halte.audit.models import Action, AuditEvent
from halte.core import backup

from .sealed import b64key, populate

ROOT = Path(django_settings.BASE_DIR)
KEY = b64key()
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.PRODUCTION = False
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"k1:{KEY}")


@pytest.fixture
def new_database(tmp_path):
    """A brand-new, empty database of the same engine as the tests', as a DATABASE_URL; dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    params = connection.settings_dict
    name = f"halte_drill_{uuid.uuid4().hex[:12]}"
    admin = {"host": params["HOST"] or None, "port": params["PORT"] or None, "user": params["USER"] or None}
    admin["password"] = params["PASSWORD"] or None
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    user = params["USER"] or "postgres"
    yield f"postgres://{user}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args, database_url: str, var_dir: Path, keys: str | None = None) -> subprocess.CompletedProcess:
    """Run manage.py in another process, on another database and another storage folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HALTE_", "DATABASE_URL", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        HALTE_VAR_DIR=str(var_dir),
        HALTE_EVIDENCE_KEYS=keys if keys is not None else f"k1:{KEY}",
        HALTE_ENV="development",
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


SNAPSHOT = (
    "import json; from tests.core.sealed import snapshot; from halte.reports.models import Report; "
    "seen = snapshot(); seen['reports'] = sorted(Report.objects.values_list('reference', 'description')); "
    "print(json.dumps(seen))"
)


def local_snapshot() -> dict:
    from halte.reports.models import Report

    from .sealed import snapshot

    seen = snapshot()
    seen["reports"] = [list(row) for row in sorted(Report.objects.values_list("reference", "description"))]
    return seen


def generated_document(people):
    """A real PDF of the case, through the same path as the staff's button."""
    from halte.cases.models import Case, Involvement, Person
    from halte.documents import actions

    case = Case.objects.get()
    victim = Person.objects.create(
        kind="pupil", first_name="Léa", last_name="Martin", school=people.school_a_staff.school, class_name="5eB"
    )
    Involvement.objects.create(case=case, person=victim, role="victim")
    return actions.generate(case=case, actor=people.coordinator, kind="ip")


def test_restore_drill_every_report_evidence_and_document_opens_and_matches(people, tmp_path, new_database):
    populate(people)
    generated_document(people)
    before = local_snapshot()
    assert len(before["evidence"]) == 4 and len(before["display"]) == 2 and len(before["documents"]) == 3
    assert len(before["reports"]) == 2

    call_command("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["key_ids"] == ["k1"]
    assert manifest["engine"] == connection.vendor
    assert len([f for f in manifest["files"] if f["path"].startswith(("vault/", "documents/"))]) == 9
    assert AuditEvent.objects.filter(action=Action.BACKUP_MADE).count() == 1

    restored_var = tmp_path / "restored-var"
    result = manage("restore", str(tmp_path / "backup"), database_url=new_database, var_dir=restored_var)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "4 pièce(s) et 3 document(s) ouverts et vérifiés" in result.stdout

    # In yet another process, on the restored database and folder only.
    opened = manage("shell", "-c", SNAPSHOT, database_url=new_database, var_dir=restored_var)
    assert opened.returncode == 0, opened.stderr
    after = json.loads(opened.stdout.strip().splitlines()[-1])
    assert after == before
    restored_files = {p.relative_to(restored_var / "media").as_posix() for p in (restored_var / "media").rglob("*.bin")}
    assert restored_files == {f["path"] for f in manifest["files"]}

    # The restore is itself in the restored journal, and the chain holds.
    check = manage("verify_journal", database_url=new_database, var_dir=restored_var)
    assert check.returncode == 0, check.stderr + check.stdout


def test_a_backup_never_holds_a_key(people, tmp_path):
    populate(people, reports=1)
    call_command("backup", str(tmp_path / "backup"))
    raw = base64.b64decode(KEY)
    for path in (tmp_path / "backup").rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert KEY.encode() not in content and raw not in content, path
    assert not list((tmp_path / "backup").rglob("*.keys"))


def test_a_failed_backup_leaves_nothing_that_could_pass_for_one(people, tmp_path, monkeypatch):
    populate(people, reports=1)

    def disk_full(relative):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup.blobs, "read", disk_full)
    with pytest.raises(OSError):
        call_command("backup", str(tmp_path / "backup"))
    assert list((tmp_path / "backup").iterdir()) == []
    assert not AuditEvent.objects.filter(action=Action.BACKUP_MADE).exists()


def test_backup_refuses_a_folder_that_is_not_empty(people, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old.txt").write_text("ancienne sauvegarde")
    with pytest.raises(CommandError, match="existe déjà et n’est pas vide"):
        call_command("backup", str(tmp_path / "backup"))


def test_restore_refuses_a_database_that_is_not_empty(people, tmp_path):
    populate(people, reports=1)
    call_command("backup", str(tmp_path / "backup"))
    with pytest.raises(CommandError, match="La base de données de destination n’est pas vide"):
        call_command("restore", str(tmp_path / "backup"))


def test_restore_refuses_a_storage_folder_that_is_not_empty(people, tmp_path, new_database):
    populate(people, reports=1)
    call_command("backup", str(tmp_path / "backup"))
    stray = tmp_path / "restored-var" / "media" / "vault" / "2026" / "01" / "stray.bin"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"un fichier d'une autre instance")
    result = manage("restore", str(tmp_path / "backup"), database_url=new_database, var_dir=tmp_path / "restored-var")
    assert result.returncode == 1
    assert "Le stockage des fichiers de destination n’est pas vide" in result.stderr
    assert table_count(new_database) == 0  # nothing was written to the database


def table_count(database_url: str) -> int:
    """Tables in the database a restore was pointed at, read directly (no Django process to start)."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        if not path.exists():
            return 0
        with closing(sqlite3.connect(path)) as sqlite:
            return sqlite.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    with psycopg.connect(database_url) as conn:
        query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        return conn.execute(query).fetchone()[0]


@pytest.mark.parametrize(
    "damage", ["altered_file", "missing_file", "altered_dump", "hostile_path", "duplicate_path", "no_manifest"]
)
def test_restore_refuses_a_damaged_backup_before_writing_anything(people, tmp_path, new_database, damage):
    populate(people, reports=1)
    folder = tmp_path / "backup"
    call_command("backup", str(folder))
    manifest = json.loads((folder / "manifest.json").read_text())
    first = folder / "files" / manifest["files"][0]["path"]
    expected = "incomplète ou altérée"
    if damage == "altered_file":
        data = bytearray(first.read_bytes())
        data[20] ^= 0x01
        first.write_bytes(bytes(data))
    elif damage == "missing_file":
        first.unlink()
    elif damage == "altered_dump":
        dump = folder / manifest["database"]["path"]
        dump.write_bytes(dump.read_bytes()[:-10])
    elif damage == "hostile_path":
        manifest["files"][0]["path"] = "../../../etc/passwd"
        (folder / "manifest.json").write_text(json.dumps(manifest))
        expected = "chemin refusé"
    elif damage == "duplicate_path":
        manifest["files"].append(manifest["files"][0])
        (folder / "manifest.json").write_text(json.dumps(manifest))
        expected = "deux fois le même fichier"
    else:
        (folder / "manifest.json").unlink()
        expected = "n’est pas une sauvegarde de Halte"
    var_dir = tmp_path / "restored-var"
    result = manage("restore", str(folder), database_url=new_database, var_dir=var_dir)
    assert result.returncode == 1
    assert expected in result.stderr
    assert table_count(new_database) == 0
    assert not list((var_dir / "media").rglob("*.bin"))


def test_verify_only_checks_the_backup_and_writes_nothing(people, tmp_path):
    populate(people, reports=1)
    call_command("backup", str(tmp_path / "backup"))
    call_command("restore", str(tmp_path / "backup"), "--verify-only")
    dump = tmp_path / "backup" / json.loads((tmp_path / "backup" / "manifest.json").read_text())["database"]["path"]
    dump.write_bytes(dump.read_bytes() + b"x")
    with pytest.raises(CommandError, match="incomplète ou altérée"):
        call_command("restore", str(tmp_path / "backup"), "--verify-only")


def test_a_restore_without_the_right_key_says_the_key_is_absent_or_different_not_altered(
    people, tmp_path, new_database
):
    populate(people, reports=1)
    call_command("backup", str(tmp_path / "backup"))
    var_dir = tmp_path / "restored-var"
    result = manage(
        "restore", str(tmp_path / "backup"), database_url=new_database, var_dir=var_dir, keys=f"k1:{b64key()}"
    )
    assert result.returncode == 1
    assert "clé absente ou différente" in result.stderr
    assert "altérés" not in result.stderr
    # With the right key file put back, everything opens.
    opened = manage("shell", "-c", SNAPSHOT, database_url=new_database, var_dir=var_dir)
    assert opened.returncode == 0, opened.stderr


def test_a_restore_with_a_key_id_missing_names_it(people, tmp_path, new_database):
    populate(people, reports=1)
    call_command("backup", str(tmp_path / "backup"))
    result = manage(
        "restore",
        str(tmp_path / "backup"),
        database_url=new_database,
        var_dir=tmp_path / "restored-var",
        keys=f"k2:{b64key()}",
    )
    assert result.returncode == 1
    assert "Clé « k1 » absente" in result.stderr


def test_the_manifest_is_checked_after_the_copy_too(people, tmp_path, monkeypatch):
    """A file changed in the storage between its read and the manifest cannot go unnoticed: the digest
    is of the bytes written to the backup."""
    populate(people, reports=1)
    manifest = backup.backup(tmp_path / "backup")
    for entry in manifest["files"]:
        path = tmp_path / "backup" / "files" / entry["path"]
        assert path.stat().st_size == entry["size"]
    assert backup.verify(tmp_path / "backup") == manifest


def test_a_backup_and_a_key_rotation_never_overlap(people, tmp_path):
    """A rotation removes old files once their rows switch: a backup made meanwhile could miss them."""
    if connection.vendor != "postgresql":
        pytest.skip("advisory lock: PostgreSQL")
    populate(people, reports=1)
    params = connection.settings_dict
    admin = {"host": params["HOST"] or None, "port": params["PORT"] or None, "user": params["USER"] or None}
    with psycopg.connect(dbname=params["NAME"], autocommit=True, password=params["PASSWORD"] or None, **admin) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [backup._LOCK_ID])  # a rotation running elsewhere
        with pytest.raises(CommandError, match="déjà en cours"):
            call_command("backup", str(tmp_path / "backup"))
        with pytest.raises(CommandError, match="déjà en cours"):
            call_command("rotate_evidence_key")
        other.execute("SELECT pg_advisory_unlock(%s)", [backup._LOCK_ID])
    assert not (tmp_path / "backup" / "manifest.json").exists()
    call_command("backup", str(tmp_path / "backup2"))
    assert (tmp_path / "backup2" / "manifest.json").exists()


def test_a_backup_of_a_machine_that_does_not_see_the_files_is_refused(people, tmp_path, settings):
    """HALTE_STORAGE_URL cut short or absent: the machine lists an empty storage. A backup holding the
    database without the evidence it names must not be written, nor pass a verification."""
    populate(people, reports=1)
    settings.MEDIA_ROOT = tmp_path / "elsewhere"  # this machine's storage: empty
    with pytest.raises(CommandError, match="introuvables dans le stockage configuré"):
        call_command("backup", str(tmp_path / "backup"))
    assert list((tmp_path / "backup").iterdir()) == []


def test_verify_only_refuses_a_backup_missing_a_file_the_database_names(people, tmp_path):
    populate(people, reports=1)
    call_command("backup", str(tmp_path / "backup"))
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["referenced"]
    dropped = manifest["files"].pop(next(i for i, e in enumerate(manifest["files"]) if e["path"].startswith("vault/")))
    (tmp_path / "backup" / "files" / dropped["path"]).unlink()
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="cité par la base mais absent"):
        call_command("restore", str(tmp_path / "backup"), "--verify-only")
