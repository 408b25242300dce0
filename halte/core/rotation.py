"""Re-encrypting every sealed file under the current key (``manage.py rotate_evidence_key``).

Evidence (``halte.reports.vault``) and generated documents (``halte.documents.storage``) record the id
of the key that sealed their files. After a new key is put first in ``HALTE_EVIDENCE_KEYS``, new files
use it at once; this pass re-seals the older ones, so that an old key can then be withdrawn.

It is safe while the site runs, and after a kill:

- each file is read and checked (AES-GCM and the SHA-256 recorded at capture) with its old key, then
  sealed with the current key under a **new** path; the old file is left as it is;
- the row is then switched (paths and key id) in a short transaction that locks it and checks that it
  still points at the files that were read: a row never points at a file its key id cannot open;
- the old files are removed only once that transaction has committed.

A kill before the switch leaves a new file no row refers to; a kill after it, an old one: both are
swept by the periodic pass (``purge_orphans``). The rows not yet switched still carry their old key
id, so a second run takes up where the first stopped. Each run is journaled (counts and the public
ids of the files that could not be re-sealed: never a key, never a name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from halte.audit.journal import record
from halte.audit.models import Action
from halte.core.backup import exclusive
from halte.documents import storage
from halte.documents.models import Document
from halte.reports import vault
from halte.reports.models import Evidence


@dataclass
class Outcome:
    key_id: str
    evidence: int = 0  # re-sealed by this run
    documents: int = 0
    failed: list[str] = field(default_factory=list)  # public ids of files that could not be read

    def detail(self) -> dict:
        return {
            "key_id": self.key_id,
            "evidence": self.evidence,
            "documents": self.documents,
            "failed": len(self.failed),
            "failed_ids": self.failed[:100],
        }


def pending() -> dict[str, int]:
    """How many evidence rows and documents are still sealed with a key other than the current one."""
    current, _keys = vault.keyring()
    return {
        "evidence": Evidence.objects.exclude(key_id=current).count(),
        "documents": Document.objects.exclude(key_id=current).count(),
    }


def key_usage() -> dict[str, int]:
    """Rows per key id, evidence and documents together: a key can be withdrawn once it has none."""
    usage: dict[str, int] = {}
    for model in (Evidence, Document):
        for key_id in model.objects.values_list("key_id", flat=True):
            usage[key_id] = usage.get(key_id, 0) + 1
    return usage


def rotate(*, progress: Callable[[str], None] | None = None) -> Outcome:
    """Re-seal every evidence file and document not sealed with the current key; journal the run."""
    current, keys = vault.keyring()
    key = keys[current]
    outcome = Outcome(key_id=current)
    with exclusive("la rotation de clé"):
        record(Action.KEY_ROTATION_STARTED, detail={"key_id": current, **pending()})
        _run(current, key, outcome, progress)
    return outcome


def _run(current: str, key: bytes, outcome: Outcome, progress: Callable[[str], None] | None) -> None:
    try:
        for evidence_id in _ids(Evidence, current):
            _rotate_evidence(evidence_id, current, key, outcome)
            if progress:
                progress(f"pièce {evidence_id}")
        for document_id in _ids(Document, current):
            _rotate_document(document_id, current, key, outcome)
            if progress:
                progress(f"document {document_id}")
    except BaseException:
        record(Action.KEY_ROTATION_INTERRUPTED, detail=outcome.detail())
        raise
    record(Action.KEY_ROTATION_FINISHED, detail={**outcome.detail(), "remaining": pending()})


def _ids(model, current: str) -> list[int]:
    return list(model.objects.exclude(key_id=current).order_by("pk").values_list("pk", flat=True))


def _rotate_evidence(pk: int, current: str, key: bytes, outcome: Outcome) -> None:
    item = Evidence.objects.filter(pk=pk).exclude(key_id=current).first()
    if item is None:  # switched meanwhile (another run), or deleted with its report
        return
    try:
        new_original, new_display = vault.reseal(item, current, key)
    except vault.EvidenceUnreadable:
        outcome.failed.append(str(item.public_id))
        return
    switched = False
    try:
        switched = _switch_evidence(item, current, new_original, new_display)
    finally:
        if not switched:
            vault.remove_files([new_original, new_display])
    if switched:
        outcome.evidence += 1


def _switch_evidence(item: Evidence, current: str, new_original: str, new_display: str) -> bool:
    """Point the row at its new files, if it still points at the ones that were read; old files go after commit."""
    with transaction.atomic():
        locked = Evidence.objects.select_for_update().filter(pk=item.pk).first()
        if (
            locked is None
            or locked.key_id != item.key_id
            or locked.original_path != item.original_path
            or locked.display_path != item.display_path
        ):
            return False
        Evidence.objects.filter(pk=item.pk).update(key_id=current, original_path=new_original, display_path=new_display)
        old = [item.original_path, item.display_path]
        transaction.on_commit(lambda: vault.remove_files(old))
    return True


def _rotate_document(pk: int, current: str, key: bytes, outcome: Outcome) -> None:
    document = Document.objects.filter(pk=pk).exclude(key_id=current).first()
    if document is None:
        return
    try:
        new_path = storage.reseal(document, current, key)
    except storage.DocumentUnreadable:
        outcome.failed.append(str(document.public_id))
        return
    switched = False
    try:
        switched = _switch_document(document, current, new_path)
    finally:
        if not switched:
            storage.remove(new_path)
    if switched:
        outcome.documents += 1


def _switch_document(document: Document, current: str, new_path: str) -> bool:
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk=document.pk).first()
        if locked is None or locked.key_id != document.key_id or locked.path != document.path:
            return False
        Document.objects.filter(pk=document.pk).update(key_id=current, path=new_path)
        old = document.path
        transaction.on_commit(lambda: storage.remove(old))
    return True
