"""Where generated PDFs live: encrypted at rest with the evidence vault's keys and AES-GCM sealing.

Each PDF is sealed (``halte.reports.vault.seal``) under the current key of the vault's keyring, bound
to its document's public id, its key id and the role ``document`` — so a document file cannot pass
for a piece of evidence, nor for another document — and written as
``MEDIA_ROOT/documents/<yyyy>/<mm>/<random>.bin``. That directory is not the vault's: the vault's
``purge_orphans()`` only sweeps its own directory and never sees these files.

Reading decrypts, then checks the size and the SHA-256 of the plain PDF against the document's row:
a file that does not authenticate or does not match raises :class:`DocumentTampered`; a missing file
or key raises :class:`DocumentUnreadable`.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from halte.reports import vault

if TYPE_CHECKING:
    from .models import Document

DOCUMENTS_DIR = "documents"  # under MEDIA_ROOT, beside (never inside) the evidence vault
ROLE = "document"  # bound into every ciphertext: see halte.reports.vault.seal


class DocumentUnreadable(Exception):
    """A stored document cannot be given back (missing file, key no longer configured...)."""


class DocumentTampered(DocumentUnreadable):
    """A stored document does not authenticate or does not match its recorded SHA-256."""


@dataclass(frozen=True)
class Stored:
    path: str  # relative to MEDIA_ROOT
    key_id: str
    sha256: str
    size: int


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / DOCUMENTS_DIR


def _new_relative_path(now=None) -> str:
    now = timezone.localtime(now or timezone.now())
    return f"{DOCUMENTS_DIR}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.bin"


def absolute(relative: str) -> Path:
    """The file behind a stored path, refusing anything that would leave the documents directory."""
    base = root().resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if not path.is_relative_to(base):
        raise DocumentUnreadable(f"Path outside the documents directory: {relative!r}")
    return path


def store(pdf: bytes, *, public_id: uuid.UUID, now=None) -> Stored:
    """Encrypt and write one PDF; return where it is, under which key, and the plain PDF's digest."""
    key_id, keys = vault.keyring()
    relative = _new_relative_path(now)
    path = absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    blob = vault.seal(keys[key_id], key_id, public_id, ROLE, pdf)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Stored(path=relative, key_id=key_id, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf))


def remove(relative: str) -> None:
    """Remove a file whose row is being rolled back."""
    absolute(relative).unlink(missing_ok=True)


def read(document: Document) -> bytes:
    """The plain PDF of a document, after checking it against its recorded size and SHA-256."""
    try:
        blob = absolute(document.path).read_bytes()
    except FileNotFoundError as exc:
        raise DocumentUnreadable(f"Document file missing: {document.path}") from exc
    _, keys = vault.keyring()
    key = keys.get(document.key_id)
    if key is None:
        raise DocumentUnreadable(
            f"Document {document.public_id} was sealed with key {document.key_id!r}, not configured."
        )
    try:
        pdf = vault.unseal(key, document.key_id, document.public_id, ROLE, blob)
    except vault.EvidenceKeyUnavailable as exc:
        raise DocumentUnreadable(
            f"Document {document.public_id}: key {document.key_id!r} absent or different."
        ) from exc
    except vault.EvidenceTampered as exc:
        raise DocumentTampered(f"Document {document.public_id} does not authenticate.") from exc
    if len(pdf) != document.size or hashlib.sha256(pdf).hexdigest() != document.sha256:
        raise DocumentTampered(f"Document {document.public_id} does not match its recorded SHA-256.")
    return pdf


def purge_orphans(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete document files that no Document row refers to; return their paths (relative to MEDIA_ROOT).

    A PDF is written before its row, so a transaction that rolled back (or a process killed between
    the two) leaves a file behind. Files younger than ``older_than`` are kept: their transaction may
    not have committed yet. Called by the periodic pass (`halte/core/periodic.py`)."""
    from .models import Document

    base = root()
    if not base.is_dir():
        return []
    media_root = Path(settings.MEDIA_ROOT)
    referenced = set(Document.objects.values_list("path", flat=True))
    cutoff = (timezone.now() - older_than).timestamp()
    removed = []
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(media_root).as_posix()
        if relative in referenced or path.stat().st_mtime > cutoff:
            continue
        path.unlink(missing_ok=True)
        removed.append(relative)
    return removed
