"""Where generated PDFs live: encrypted at rest with the evidence vault's keys and AES-GCM sealing.

Each PDF is sealed (``halte.reports.vault.seal``) under the current key of the vault's keyring, bound
to its document's public id, its key id and the role ``document`` — so a document file cannot pass
for a piece of evidence, nor for another document — and written as
``MEDIA_ROOT/documents/<yyyy>/<mm>/<random>.bin``. That directory is not the vault's: the vault's
``purge_orphans()`` only sweeps its own directory and never sees these files.

Reading decrypts, then checks the size and the SHA-256 of the plain PDF against the document's row:
a file that does not authenticate or does not match raises :class:`DocumentTampered`; a key that is
absent or different (a restore without the right key file) raises :class:`DocumentKeyUnavailable`; a
missing file raises :class:`DocumentUnreadable`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from halte.core import blobs
from halte.reports import vault

if TYPE_CHECKING:
    from .models import Document

DOCUMENTS_DIR = "documents"  # under MEDIA_ROOT, beside (never inside) the evidence vault
ROLE = "document"  # bound into every ciphertext: see halte.reports.vault.seal


class DocumentUnreadable(Exception):
    """A stored document cannot be given back (missing file, key no longer configured...)."""


class DocumentTampered(DocumentUnreadable):
    """A stored document does not authenticate or does not match its recorded SHA-256."""


class DocumentKeyUnavailable(DocumentUnreadable):
    """The key that sealed a document is not configured, or differs: the configuration is in question, not the file."""


@dataclass(frozen=True)
class Stored:
    path: str  # relative to MEDIA_ROOT
    key_id: str
    sha256: str
    size: int


def _new_relative_path(now=None) -> str:
    now = timezone.localtime(now or timezone.now())
    return f"{DOCUMENTS_DIR}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.bin"


def _documents_path(relative: str) -> str:
    """A stored path, refused unless it lies in the documents area."""
    try:
        pure = blobs.check_path(relative)
    except blobs.BlobPathRefused as exc:
        raise DocumentUnreadable(f"Path outside the documents directory: {relative!r}") from exc
    if pure.parts[0] != DOCUMENTS_DIR:
        raise DocumentUnreadable(f"Path outside the documents directory: {relative!r}")
    return relative


def store(pdf: bytes, *, public_id: uuid.UUID, now=None) -> Stored:
    """Encrypt and write one PDF; return where it is, under which key, and the plain PDF's digest."""
    key_id, keys = vault.keyring()
    relative = _new_relative_path(now)
    blob = vault.seal(keys[key_id], key_id, public_id, ROLE, pdf)
    blobs.write_new(relative, blob)
    return Stored(path=relative, key_id=key_id, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf))


def remove(relative: str) -> None:
    """Remove a file whose row is being rolled back."""
    blobs.delete(_documents_path(relative))


def read(document: Document) -> bytes:
    """The plain PDF of a document, after checking it against its recorded size and SHA-256."""
    try:
        blob = blobs.read(_documents_path(document.path))
    except blobs.BlobMissing as exc:
        # A key rotation may have moved the row to a new file meanwhile (halte.core.rotation): read it again.
        from .models import Document

        fresh = Document.objects.filter(pk=document.pk).values_list("path", "key_id").first()
        if fresh is None or fresh == (document.path, document.key_id):
            raise DocumentUnreadable(f"Document file missing: {document.path}") from exc
        document.path, document.key_id = fresh
        try:
            blob = blobs.read(_documents_path(document.path))
        except blobs.BlobMissing as again:
            raise DocumentUnreadable(f"Document file missing: {document.path}") from again
    _, keys = vault.keyring()
    key = keys.get(document.key_id)
    if key is None:
        raise DocumentKeyUnavailable(
            f"Document {document.public_id} was sealed with key {document.key_id!r}, not configured."
        )
    try:
        pdf = vault.unseal(key, document.key_id, document.public_id, ROLE, blob)
    except vault.EvidenceKeyUnavailable as exc:
        raise DocumentKeyUnavailable(
            f"Document {document.public_id}: key {document.key_id!r} absent or different."
        ) from exc
    except vault.EvidenceTampered as exc:
        raise DocumentTampered(f"Document {document.public_id} does not authenticate.") from exc
    if len(pdf) != document.size or hashlib.sha256(pdf).hexdigest() != document.sha256:
        raise DocumentTampered(f"Document {document.public_id} does not match its recorded SHA-256.")
    return pdf


def reseal(document: Document, key_id: str, key: bytes) -> str:
    """Write a new file for ``document`` sealed with ``key_id``; return its path (key rotation).

    The PDF is read and checked first; the row is not touched (``halte.core.rotation`` switches it)."""
    pdf = read(document)
    relative = _new_relative_path()
    blobs.write_new(relative, vault.seal(key, key_id, document.public_id, ROLE, pdf))
    return relative


def purge_orphans(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete document files that no Document row refers to; return their paths (relative to MEDIA_ROOT).

    A PDF is written before its row, so a transaction that rolled back (or a process killed between
    the two) leaves a file behind. Files younger than ``older_than`` are kept: their transaction may
    not have committed yet. Called by the periodic pass (`halte/core/periodic.py`)."""
    from .models import Document

    referenced = set(Document.objects.values_list("path", flat=True))
    cutoff = timezone.now() - older_than
    removed = []
    for listed in blobs.listing(DOCUMENTS_DIR):
        if listed.path in referenced or listed.modified > cutoff:
            continue
        blobs.delete(listed.path)
        removed.append(listed.path)
    return removed
