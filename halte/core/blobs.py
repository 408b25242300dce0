"""Where Halte's encrypted files are kept: one small interface over the storage of the deployment.

Evidence (``halte.reports.vault``), generated documents (``halte.documents.storage``) and key checks
are sealed by Halte *before* they get here: this module only ever sees ciphertext. It names each file
by a relative POSIX path whose first part is one of :data:`AREAS` (``vault/2026/12/<hex>.bin``), and
offers the few operations the rest of the code needs, so that backups, key rotation, retention and an
object store all go through one place:

- :func:`write_new` — write a file that must not exist yet (never overwrites);
- :func:`replace` — atomically swap the content of an existing file (key rotation);
- :func:`read`, :func:`exists`, :func:`delete`;
- :func:`listing` — every file of an area with its modification time (orphan sweeps, backups).

The backend is the local folder ``MEDIA_ROOT`` (files 0600 in folders 0700, written with ``fsync``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings

AREAS = frozenset({"vault", "documents", "keycheck"})


class BlobMissing(FileNotFoundError):
    """No file is stored under that path."""


class BlobPathRefused(ValueError):
    """A path that would leave Halte's areas (absolute, ``..``, unknown area)."""


@dataclass(frozen=True)
class Listed:
    path: str  # relative, e.g. "vault/2026/12/<hex>.bin"
    modified: datetime  # aware, UTC


def check_path(relative: str) -> PurePosixPath:
    """The path as given, refused unless it is a plain relative path inside one of the areas."""
    pure = PurePosixPath(relative)
    parts = pure.parts
    if (
        not relative
        or "\\" in relative
        or str(pure) != relative  # "a//b", "a/./b", "a/": one file, one spelling
        or pure.is_absolute()
        or len(parts) < 2
        or parts[0] not in AREAS
        or any(part in {"", ".", ".."} for part in parts)
    ):
        raise BlobPathRefused(f"Refused storage path: {relative!r}")
    return pure


def _root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _local(relative: str) -> Path:
    return _root().joinpath(*check_path(relative).parts)


def write_new(relative: str, blob: bytes) -> None:
    """Store ``blob`` under a path that must not exist yet (``FileExistsError`` otherwise)."""
    path = _local(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def replace(relative: str, blob: bytes) -> None:
    """Swap the content of a stored file in one step: a reader sees the old or the new, never half."""
    path = _local(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".replace-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def read(relative: str) -> bytes:
    try:
        return _local(relative).read_bytes()
    except FileNotFoundError as exc:
        raise BlobMissing(f"No stored file at {relative}") from exc


def exists(relative: str) -> bool:
    return _local(relative).is_file()


def delete(relative: str) -> None:
    """Remove a stored file; a file already gone is not an error."""
    _local(relative).unlink(missing_ok=True)


def listing(area: str) -> Iterator[Listed]:
    """Every file stored in ``area``, in path order (temporary files of :func:`replace` excluded)."""
    if area not in AREAS:
        raise BlobPathRefused(f"Unknown storage area: {area!r}")
    root = _root()
    base = root / area
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name.startswith(".replace-"):
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        yield Listed(path=path.relative_to(root).as_posix(), modified=modified)
