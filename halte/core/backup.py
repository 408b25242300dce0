"""Backing up and restoring an instance: the database, every stored file, and a manifest to check both.

A backup is a folder::

    manifest.json        what is in the backup, with the size and SHA-256 of every file
    database.dump        pg_dump custom format (PostgreSQL), or database.sqlite3 (SQLite backup API)
    files/<area>/...     every stored file, exactly as kept (already encrypted by Halte)

Files are read through :mod:`halte.core.blobs`, whatever stores them. The keys are **never** in a
backup: the stored files are sealed with the evidence keys, which are saved separately (see
docs/deploy.md). The manifest names the key ids the data needs, so a restore can say which ones are
missing before anything opens.

:func:`restore` refuses a database that already has tables and a storage that already holds files,
checks every SHA-256 of the backup before it writes anything, loads the database, writes the files,
reads every file back and checks it again, then tries the keys. Every refusal is a
:class:`BackupError` whose message is in French, for the person at the console.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from halte.core import blobs

FORMAT = "halte-backup/1"
MANIFEST = "manifest.json"
FILES_DIR = "files"
PG_DUMP = "database.dump"
SQLITE_DUMP = "database.sqlite3"
_LOCK_ID = 0x48414C5445  # pg advisory lock shared by backups and key rotations ("HALTE")
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message, in French, says what is wrong."""


@dataclass
class RestoreReport:
    files: int = 0
    evidence_ok: int = 0
    documents_ok: int = 0
    problems: list[str] = field(default_factory=list)  # French sentences: keys absent, files altered...


# --- Shared -------------------------------------------------------------------------------------
def _engine() -> str:
    vendor = connection.vendor
    if vendor not in {"postgresql", "sqlite"}:
        raise BackupError(f"Base de données « {vendor} » non prise en charge (PostgreSQL ou SQLite seulement).")
    return vendor


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore, from Django's own connection."""
    params = connection.settings_dict
    args = []
    if params.get("HOST"):
        args += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        args += ["--port", str(params["PORT"])]
    if params.get("USER"):
        args += ["--username", str(params["USER"])]
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    return args, env


@contextlib.contextmanager
def exclusive(what: str) -> Iterator[None]:
    """One backup or key rotation at a time (PostgreSQL advisory lock; nothing to do on SQLite).

    A rotation removes old files once their rows are switched: a backup made meanwhile could hold a
    dump that names files already gone. The two never overlap."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_ID])
        (taken,) = cursor.fetchone()
    if not taken:
        raise BackupError(f"Une sauvegarde ou une rotation de clé est déjà en cours : {what} attendra qu’elle finisse.")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_ID])


def _version() -> str:
    try:
        return metadata.version("halte")
    except metadata.PackageNotFoundError:
        return "inconnue"


def _migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _key_ids() -> list[str]:
    from halte.documents.models import Document
    from halte.reports.models import Evidence

    ids = set(Evidence.objects.values_list("key_id", flat=True))
    ids |= set(Document.objects.values_list("key_id", flat=True))
    return sorted(ids)


def _referenced_paths() -> set[str]:
    """Every stored file a row of the database names (evidence originals and display copies, documents)."""
    from halte.documents.models import Document
    from halte.reports.models import Evidence

    paths = set(Evidence.objects.values_list("original_path", flat=True))
    paths |= set(Evidence.objects.exclude(display_path="").values_list("display_path", flat=True))
    paths |= set(Document.objects.filter(erased_at__isnull=True).exclude(path="").values_list("path", flat=True))
    return paths


# --- Backup -------------------------------------------------------------------------------------
def backup(destination: Path, *, progress: Callable[[str], None] | None = None) -> dict:
    """Write a backup into ``destination`` (a folder that does not exist yet, or is empty); return the manifest."""
    engine = _engine()
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"Le dossier de sauvegarde « {destination} » existe déjà et n’est pas vide.")
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return _write_backup(destination, engine, progress)
    except BaseException:
        # The folder was empty: everything in it is this unfinished backup, which must not pass for one.
        for child in destination.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        raise


def _write_backup(destination: Path, engine: str, progress: Callable[[str], None] | None) -> dict:
    with exclusive("la sauvegarde"):
        dump_name = PG_DUMP if engine == "postgresql" else SQLITE_DUMP
        dump_path = destination / dump_name
        if engine == "postgresql":
            _pg_dump(dump_path)
        else:
            _sqlite_dump(dump_path)
        os.chmod(dump_path, 0o600)
        if progress:
            progress(f"Base de données : {dump_name}")
        # After the dump: a file written meanwhile is one more (harmless); none the dump names is missing.
        entries = []
        for area in sorted(blobs.AREAS):
            for listed in blobs.listing(area):
                try:
                    data = blobs.read(listed.path)
                except blobs.BlobMissing:
                    continue  # removed since the listing (an orphan swept by the periodic pass)
                target = destination / FILES_DIR / listed.path
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                entries.append({"path": listed.path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        if progress:
            progress(f"Fichiers : {len(entries)}")
        referenced = _referenced_paths()
        copied = {str(entry["path"]) for entry in entries}
        missing = sorted(referenced - copied)
        if missing:
            # A storage not configured (HALTE_STORAGE_URL absent or cut short) lists nothing: such a
            # backup would restore a database whose evidence is nowhere.
            raise BackupError(
                f"{len(missing)} fichier(s) que la base cite sont introuvables dans le stockage configuré "
                f"(par exemple « {missing[0]} ») : la sauvegarde n’est pas écrite. Vérifiez HALTE_STORAGE_URL "
                "(ou le dossier HALTE_VAR_DIR) de cette machine."
            )
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "halte_version": _version(),
            "engine": engine,
            "migrations": _migrations(),
            "key_ids": _key_ids(),
            "database": {"path": dump_name, "size": dump_path.stat().st_size, "sha256": _sha256_file(dump_path)},
            "files": entries,
            "referenced": sorted(referenced),
        }
        manifest_path = destination / MANIFEST
        with open(os.open(manifest_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as out:
            json.dump(manifest, out, ensure_ascii=False, indent=2)
            out.flush()
            os.fsync(out.fileno())
    return manifest


def _pg_dump(path: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump est introuvable : installez le client PostgreSQL (paquet postgresql-client).")
    args, env = _pg_environment()
    # Owners and privileges are kept: the application role's rights (and what the journal's rows deny
    # it) come back with the restore, which runs as the owner role into a database made as for a new server.
    command = ["pg_dump", "--format=custom", "--file", str(path), *args]
    command += ["--dbname", str(connection.settings_dict["NAME"])]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_dump a échoué : {result.stderr.strip()[:500]}")


def _sqlite_dump(path: Path) -> None:
    connection.ensure_connection()
    source = connection.connection
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()


# --- Restore ------------------------------------------------------------------------------------
def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"« {source} » n’est pas une sauvegarde de Halte : {MANIFEST} est absent.") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"Le manifeste de la sauvegarde est illisible : {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"Le manifeste n’est pas au format attendu ({FORMAT}).")
    files = manifest.get("files")
    database = manifest.get("database")
    if not isinstance(files, list) or not isinstance(database, dict):
        raise BackupError("Le manifeste ne décrit pas la base de données et les fichiers.")
    for entry in [database, *files]:
        if not isinstance(entry, dict) or not {"path", "size", "sha256"} <= set(entry):
            raise BackupError("Le manifeste contient une entrée incomplète (chemin, taille ou SHA-256 manquant).")
    if database["path"] not in {PG_DUMP, SQLITE_DUMP}:
        raise BackupError("Le manifeste nomme un fichier de base de données inattendu.")
    seen: set[str] = set()
    for entry in files:
        try:
            blobs.check_path(str(entry["path"]))
        except blobs.BlobPathRefused as exc:
            raise BackupError(f"Le manifeste contient un chemin refusé : « {entry['path']} ».") from exc
        if entry["path"] in seen:
            raise BackupError(f"Le manifeste nomme deux fois le même fichier : « {entry['path']} ».")
        seen.add(entry["path"])
    return manifest


def verify(source: Path) -> dict:
    """Check every file of a backup against its manifest (size and SHA-256); return the manifest."""
    source = Path(source)
    manifest = read_manifest(source)
    wrong = []
    for where, entry in [(source, manifest["database"])] + [(source / FILES_DIR, e) for e in manifest["files"]]:
        path = where / entry["path"]
        if not path.is_file():
            wrong.append(f"{entry['path']} : absent de la sauvegarde")
        elif path.stat().st_size != entry["size"] or _sha256_file(path) != entry["sha256"]:
            wrong.append(f"{entry['path']} : taille ou SHA-256 différents du manifeste")
    listed = {entry["path"] for entry in manifest["files"]}
    for path in manifest.get("referenced", []):  # backups written before this list existed have none
        if path not in listed:
            wrong.append(f"{path} : cité par la base mais absent de la sauvegarde")
    if wrong:
        shown = "\n  - ".join(wrong[:20])
        raise BackupError(f"La sauvegarde est incomplète ou altérée ({len(wrong)} fichier(s)) :\n  - {shown}")
    return manifest


def restore(source: Path, *, progress: Callable[[str], None] | None = None) -> RestoreReport:
    """Restore a backup into an empty database and an empty storage; check everything on the way."""
    source = Path(source)
    engine = _engine()
    manifest = verify(source)
    if manifest.get("engine") != engine:
        raise BackupError(
            f"Cette sauvegarde vient d’une base {manifest.get('engine')} ; la base configurée est {engine}."
        )
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"La base de données de destination n’est pas vide ({len(tables)} table(s)) : "
            "la restauration se fait dans une base neuve, créée vide."
        )
    for area in sorted(blobs.AREAS):
        if next(iter(blobs.listing(area)), None) is not None:
            raise BackupError(
                f"Le stockage des fichiers de destination n’est pas vide (zone « {area} ») : "
                "la restauration se fait dans un dossier neuf."
            )
    if progress:
        progress("Sauvegarde vérifiée : chaque SHA-256 correspond au manifeste.")
    dump = source / manifest["database"]["path"]
    if engine == "postgresql":
        _pg_restore(dump)
        from halte.audit import protection

        revoked = protection.reapply()  # default privileges of the new database must not open the journal
        if progress and revoked:
            progress(f"Droits d’écriture sur le journal d’audit retirés : {len(revoked)}.")
    else:
        _sqlite_restore(dump)
    if progress:
        progress("Base de données restaurée.")
    report = RestoreReport()
    for entry in manifest["files"]:
        data = (source / FILES_DIR / entry["path"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BackupError(f"{entry['path']} a changé pendant la restauration : recommencez dans une base neuve.")
        blobs.write_new(entry["path"], data)
    wrong = [
        entry["path"]
        for entry in manifest["files"]
        if not blobs.exists(entry["path"]) or hashlib.sha256(blobs.read(entry["path"])).hexdigest() != entry["sha256"]
    ]
    if wrong:
        raise BackupError(
            f"{len(wrong)} fichier(s) relus après restauration ne correspondent pas : {', '.join(wrong[:20])}"
        )
    report.files = len(manifest["files"])
    if progress:
        progress(f"Fichiers restaurés et relus : {report.files}.")
    if _migrations() != manifest.get("migrations"):
        report.problems.append(
            "Les migrations enregistrées dans la base restaurée diffèrent de celles du manifeste : "
            "lancez « manage.py migrate » avec la version de Halte de la sauvegarde."
        )
    _open_everything(report)
    return report


def _pg_restore(dump: Path) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore est introuvable : installez le client PostgreSQL (paquet postgresql-client).")
    args, env = _pg_environment()
    command = ["pg_restore", "--exit-on-error", "--single-transaction", *args]
    command += ["--dbname", str(connection.settings_dict["NAME"]), str(dump)]
    connection.close()  # pg_restore works on its own connection; ours is reopened afterwards
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_restore a échoué, rien n’a été écrit dans la base : {result.stderr.strip()[:500]}")


def _sqlite_restore(dump: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _open_everything(report: RestoreReport) -> None:
    """Open every piece of evidence and every document with the configured keys; say what does not."""
    from halte.documents import storage
    from halte.documents.models import Document
    from halte.reports import vault
    from halte.reports.models import Evidence

    try:
        _, keys = vault.keyring()
    except Exception as error:  # ImproperlyConfigured: no key at all
        report.problems.append(f"Aucune clé de chiffrement utilisable : {error}")
        return
    absent = sorted(set(_key_ids()) - set(keys))
    for key_id in absent:
        report.problems.append(
            f"Clé « {key_id} » absente : les fichiers qu’elle a chiffrés ne s’ouvriront pas. "
            "Restaurez le fichier de clés sauvegardé à part (HALTE_EVIDENCE_KEYS_FILE)."
        )
    counts = {"key": 0, "altered": 0, "missing": 0}
    for item in Evidence.objects.order_by("pk").iterator():
        try:
            vault.read_original(item)
            if item.display_path:
                vault.read_display(item)
        except vault.EvidenceKeyUnavailable:
            counts["key"] += 1
        except vault.EvidenceTampered:
            counts["altered"] += 1
        except vault.EvidenceUnreadable:
            counts["missing"] += 1
        else:
            report.evidence_ok += 1
    for document in Document.objects.order_by("pk").iterator():
        try:
            storage.read(document)
        except storage.DocumentKeyUnavailable:
            counts["key"] += 1
        except storage.DocumentTampered:
            counts["altered"] += 1
        except storage.DocumentUnreadable:
            counts["missing"] += 1
        else:
            report.documents_ok += 1
    if counts["key"]:
        report.problems.append(
            f"{counts['key']} fichier(s) ne s’ouvrent pas : clé absente ou différente de celle qui les a chiffrés "
            "(les fichiers ne sont pas en cause ; vérifiez le fichier de clés)."
        )
    if counts["altered"]:
        report.problems.append(f"{counts['altered']} fichier(s) ne correspondent pas à leur empreinte : altérés.")
    if counts["missing"]:
        report.problems.append(f"{counts['missing']} fichier(s) nommés par la base sont absents de la sauvegarde.")
