"""Custody packs: a case's evidence handed to the parquet so that any change shows.

A pack is one ZIP file:

* ``pieces/NN-<evidence id>.<ext>``: each original, decrypted from the vault and checked against the
  SHA-256 taken at capture. A quarantined file (a virus was found) is not put in the pack, nor one
  that no longer matches its digest: the manifest lists them, says why, and the original stays
  sealed in the vault.
* ``manifeste.json``: the case, who made the pack and when, and for each file its capture (date,
  by whom), size, type, SHA-256 at capture and as verified now, active content and antivirus
  findings, and every access to it from the journal (downloads, refusals, earlier packs).
* ``manifeste.txt``: the same, to be read and printed; its SHA-256 is in ``manifeste.json``.
* ``manifeste.sig``: the Ed25519 signature of the exact bytes of ``manifeste.json`` (base64).
* ``cle-publique.pem``: the public key that verifies it.

``verify_pack`` (``manage.py verify_custody_pack <zip>``) checks the signature, that the key is one
Halte trusts (a pack re-signed with another key carries a valid signature too: the key, not the
signature alone, proves who made it), that the readable manifest is the signed one, that each file
has its signed digest and size, and that the ZIP holds nothing else.

**Keys.** ``HALTE_CUSTODY_SIGNING_KEY`` (or the file named by ``HALTE_CUSTODY_SIGNING_KEY_FILE``)
holds the private key: a PEM (PKCS#8) or the base64 of its 32-byte seed. Production refuses to sign
without it (and ``check --deploy`` says so); in development one is generated once into
``VAR_DIR/custody-signing.pem`` (mode 0600). Its fingerprint (SHA-256 of the raw public key) is
printed in every manifest: give it to the parquet once, by another channel, so that they can check
packs without Halte. To rotate, configure a new key and list the old *public* keys (base64 of their
32 raw bytes, or fingerprints are not enough) in ``HALTE_CUSTODY_TRUSTED_KEYS``, so that older packs
still verify.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.audit.models import Action, AuditEvent

from . import inspection, vault
from .enums import ScanStatus
from .models import Evidence

FORMAT = "halte-scelle/1"
MANIFEST = "manifeste.json"
READABLE = "manifeste.txt"
SIGNATURE = "manifeste.sig"
PUBLIC_KEY = "cle-publique.pem"
FILES_DIR = "pieces/"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024

KEY_ENV = "HALTE_CUSTODY_SIGNING_KEY"
KEY_FILE_ENV = "HALTE_CUSTODY_SIGNING_KEY_FILE"
TRUSTED_ENV = "HALTE_CUSTODY_TRUSTED_KEYS"
DEV_KEY_FILE = "custody-signing.pem"  # under VAR_DIR, development only

# Journal actions that are accesses to a piece of evidence: they name it in their detail.
ACCESS_ACTIONS = (
    Action.EVIDENCE_DOWNLOADED,
    Action.EVIDENCE_UNREADABLE,
    Action.EVIDENCE_REFUSED,
    Action.CUSTODY_PACK_EXPORTED,
)

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "video/3gpp": ".3gp",
    "video/3gpp2": ".3g2",
    "text/plain": ".txt",
}


def extension(content_type: str) -> str:
    return _EXTENSIONS.get(content_type, ".bin")


# --- Keys -----------------------------------------------------------------------------------------
def signing_key() -> Ed25519PrivateKey:
    """The key that signs packs: configured, or in development generated once under ``VAR_DIR``."""
    raw = _configured_key()
    if raw is None:
        if settings.PRODUCTION:
            raise ImproperlyConfigured(
                f"{KEY_ENV} (ou {KEY_FILE_ENV}) est obligatoire en production : "
                "sans clé, les scellés numériques des pièces ne peuvent pas être signés."
            )
        raw = _development_key(Path(settings.VAR_DIR) / DEV_KEY_FILE)
    return _parse_private_key(raw)


def _configured_key() -> str | None:
    path = os.environ.get(KEY_FILE_ENV, "").strip()
    if path:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(f"{KEY_FILE_ENV} : impossible de lire le fichier « {path} ».") from exc
    return os.environ.get(KEY_ENV, "").strip() or None


def _parse_private_key(raw: str) -> Ed25519PrivateKey:
    text = raw.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ImproperlyConfigured(
            f"{KEY_ENV} : la clé doit être une clé privée Ed25519 (PEM, ou ses 32 octets en base64)."
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{KEY_ENV} : la clé doit être une clé Ed25519.")
    return key


def _development_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{DEV_KEY_FILE}.")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            with contextlib.suppress(FileExistsError):  # another process won the race: keep its key
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text(encoding="utf-8")


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw bytes of a public key, in hexadecimal: what the parquet compares."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()


def trusted_keys() -> list[Ed25519PublicKey]:
    """The current signing key's public half, then the older ones listed in ``HALTE_CUSTODY_TRUSTED_KEYS``."""
    keys = [signing_key().public_key()]
    for entry in os.environ.get(TRUSTED_ENV, "").replace(",", " ").split():
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(entry, validate=True)))
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured(
                f"{TRUSTED_ENV} : « {entry[:20]}… » n’est pas une clé publique Ed25519."
            ) from exc
    return keys


# --- Building -------------------------------------------------------------------------------------
@dataclass
class Pack:
    filename: str
    data: bytes
    manifest: dict[str, Any]
    manifest_sha256: str


def evidence_of(case) -> list[Evidence]:
    """The evidence of every report attached to the case, in the order it was captured."""
    return list(
        Evidence.objects.filter(report__case=case).select_related("report", "message").order_by("uploaded_at", "id")
    )


def build_pack(*, case, items: list[Evidence], actor) -> Pack:
    """The signed ZIP of ``items`` (the case's evidence), made for ``actor`` (a membership).

    The caller journals the export with the manifest's SHA-256 (``Pack.manifest_sha256``), so that a
    pack can be matched with its journal row; the next pack lists this one among the accesses."""
    key = signing_key()
    accesses = _accesses(case, items)
    entries: list[dict[str, Any]] = []
    contents: dict[str, bytes] = {}
    for number, item in enumerate(items, start=1):
        entry, data = _entry(number, item, accesses.get(str(item.public_id), []))
        entries.append(entry)
        if data is not None:
            contents[entry["path"]] = data
    generated_at = timezone.localtime()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "case": {"reference": case.reference, "id": str(case.public_id)},
        "generated_at": generated_at.isoformat(),
        "generated_by": _person(actor),
        "signature": {"algorithm": "Ed25519", "public_key_sha256": fingerprint(key.public_key())},
        "files": entries,
    }
    readable = render_text(manifest).encode()
    manifest["readable_manifest"] = {"path": READABLE, "sha256": hashlib.sha256(readable).hexdigest()}
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    signature = base64.b64encode(key.sign(manifest_bytes)) + b"\n"
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(SIGNATURE, signature)
        archive.writestr(PUBLIC_KEY, public_pem)
        archive.writestr(READABLE, readable)
        for path, data in contents.items():
            archive.writestr(path, data)
    filename = f"scelle-{case.reference}-{generated_at:%Y%m%d-%H%M%S}.zip"
    return Pack(
        filename=filename,
        data=buffer.getvalue(),
        manifest=manifest,
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
    )


def _entry(number: int, item: Evidence, accesses: list[dict[str, Any]]) -> tuple[dict[str, Any], bytes | None]:
    entry: dict[str, Any] = {
        "evidence": str(item.public_id),
        "report": item.report.reference,
        "original_name": item.original_name,
        "content_type": item.content_type,
        "size": item.size,
        "captured_at": timezone.localtime(item.uploaded_at).isoformat(),
        "captured_from": "reporter" if item.uploaded_by_reporter else "staff",
        "sha256_at_capture": item.sha256,
        "sha256_now": None,
        "verified": False,
        "path": None,
        "withheld": None,
        "active_content": list(item.active_content or []),
        "antivirus": {"status": item.scan_status, "signature": item.scan_signature},
        "accesses": accesses,
    }
    try:
        data = vault.read_original(item)  # authenticates the file and checks its digest and size
    except vault.EvidenceTampered:
        entry["withheld"] = "altered"
        return entry, None
    except vault.EvidenceKeyUnavailable:
        entry["withheld"] = "key_unavailable"
        entry["key_id"] = item.key_id
        return entry, None
    except vault.EvidenceUnreadable:
        entry["withheld"] = "unreadable"
        return entry, None
    entry["sha256_now"] = hashlib.sha256(data).hexdigest()
    entry["verified"] = entry["sha256_now"] == item.sha256
    if item.active_content is None:
        entry["active_content"] = inspection.find_active_content(data)
    if item.is_quarantined:
        entry["withheld"] = "quarantine"
        return entry, None
    entry["path"] = f"{FILES_DIR}{number:02d}-{item.public_id}{extension(item.content_type)}"
    return entry, data


def _accesses(case, items: list[Evidence]) -> dict[str, list[dict[str, Any]]]:
    """Journal rows that name each piece of evidence: downloads (their target is the report) and
    custody packs (their target is the case), oldest first."""
    wanted = {str(item.public_id) for item in items}
    report_ids = {str(item.report.public_id) for item in items}
    events = (
        AuditEvent.objects.filter(action__in=ACCESS_ACTIONS)
        .filter(target_id__in=report_ids | {str(case.public_id)})
        .select_related("actor", "membership__organisation")
        .order_by("at", "id")
    )
    found: dict[str, list[dict[str, Any]]] = {evidence_id: [] for evidence_id in wanted}
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        named: set[str] = {str(detail.get("evidence"))} | {str(i) for i in detail.get("evidence_ids") or []}
        for evidence_id in named & wanted:
            found[evidence_id].append(_access(event, detail))
    return found


def _access(event: AuditEvent, detail: dict[str, Any]) -> dict[str, Any]:
    membership = event.membership
    return {
        "event": event.pk,
        "at": timezone.localtime(event.at).isoformat(),
        "action": event.action,
        "label": str(Action(event.action).label) if event.action in Action.values else event.action,
        "by": event.actor.get_full_name() if event.actor else "",
        "email": event.actor.email if event.actor else "",
        "role": membership.get_role_display() if membership else "",
        "organisation": str(membership.organisation) if membership else "",
        "copy": detail.get("copy", ""),
    }


def _person(membership) -> dict[str, str]:
    return {
        "name": membership.user.get_full_name(),
        "email": membership.user.email,
        "role": str(membership.get_role_display()),
        "organisation": str(membership.organisation),
    }


_WITHHELD = {
    "quarantine": "non jointe : virus détecté, l’original reste scellé dans le coffre de Halte",
    "altered": "non jointe : le fichier du coffre ne correspond plus à son empreinte de saisie",
    "key_unavailable": (
        "non jointe : clé de chiffrement « {key_id} » absente ou différente (le fichier n’est pas mis en cause)"
    ),
    "unreadable": "non jointe : fichier absent du coffre ou clé de chiffrement indisponible",
}


def render_text(manifest: dict[str, Any]) -> str:
    """The manifest as a French text to read and print (``manifeste.txt``)."""
    by = manifest["generated_by"]
    lines = [
        f"SCELLÉ NUMÉRIQUE DES PIÈCES — dossier {manifest['case']['reference']}",
        "",
        f"Établi le {manifest['generated_at']} par {by['name']} <{by['email']}>, {by['role']}, {by['organisation']}.",
        "Signature Ed25519 de manifeste.json (fichier manifeste.sig, clé publique cle-publique.pem).",
        f"Empreinte SHA-256 de la clé publique : {manifest['signature']['public_key_sha256']}",
        "Vérification : manage.py verify_custody_pack <fichier.zip>, ou toute bibliothèque Ed25519 et SHA-256.",
        "",
        f"{len(manifest['files'])} pièce(s).",
    ]
    for number, entry in enumerate(manifest["files"], start=1):
        lines += [
            "",
            f"{number}. {entry['original_name']} ({entry['content_type']}, {entry['size']} octets)",
            f"   Pièce {entry['evidence']} du signalement {entry['report']}",
            f"   Saisie le {entry['captured_at']} "
            + (
                "(déposée par la personne qui signale)"
                if entry["captured_from"] == "reporter"
                else "(saisie par la cellule)"
            ),
            f"   SHA-256 à la saisie   : {entry['sha256_at_capture']}",
            f"   SHA-256 vérifié ce jour : {entry['sha256_now'] or '—'}"
            + (" (identique)" if entry["verified"] else " (NON VÉRIFIÉE)"),
            f"   Fichier : {entry['path']}"
            if entry["path"]
            else f"   Fichier : {_WITHHELD[entry['withheld']].format(key_id=entry.get('key_id', ''))}",
        ]
        for sentence in inspection.describe(entry["active_content"]):
            lines.append(f"   Attention : {sentence}")
        lines.append(f"   Antivirus : {_antivirus_text(entry['antivirus'])}")
        lines.append(f"   Accès inscrits au journal : {len(entry['accesses'])}")
        for access in entry["accesses"]:
            who = ", ".join(part for part in (access["by"], access["role"], access["organisation"]) if part)
            lines.append(f"     - {access['at']} — {access['label']} — {who or 'système'} (n° {access['event']})")
    return "\n".join(lines) + "\n"


def _antivirus_text(antivirus: dict[str, str]) -> str:
    status = antivirus["status"]
    label = str(ScanStatus(status).label) if status in ScanStatus.values else status
    return f"{label} : {antivirus['signature']}" if antivirus["signature"] else label


# --- Verifying ------------------------------------------------------------------------------------
@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    fingerprint: str = ""
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_pack(source: str | Path | bytes, trusted: list[Ed25519PublicKey]) -> Verification:
    """Check a pack against the keys in ``trusted``: see the module docstring for what is checked."""
    result = Verification()
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append(_("Le fichier n’est pas une archive ZIP lisible : %(error)s") % {"error": exc})
        return result
    with archive:
        names = archive.namelist()
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            result.problems.append(_("Noms présents deux fois dans l’archive : %(names)s") % {"names": duplicates})
            return result
        missing = [name for name in (MANIFEST, SIGNATURE, PUBLIC_KEY, READABLE) if name not in names]
        if missing:
            result.problems.append(_("Il manque à l’archive : %(names)s") % {"names": ", ".join(missing)})
            return result
        manifest_bytes = _read_capped(archive, MANIFEST, MAX_MANIFEST_BYTES)
        if manifest_bytes is None:
            result.problems.append(_("manifeste.json est trop gros."))
            return result
        _check_signature(archive, manifest_bytes, trusted, result)
        try:
            manifest = json.loads(manifest_bytes)
            files = list(manifest["files"])
        except (ValueError, KeyError, TypeError):
            result.problems.append(_("manifeste.json n’est pas un manifeste de scellé."))
            return result
        result.manifest = manifest
        if manifest.get("signature", {}).get("public_key_sha256") != result.fingerprint:
            result.problems.append(_("La clé publique jointe n’est pas celle que le manifeste annonce."))
        _check_readable(archive, manifest, result)
        expected = {MANIFEST, SIGNATURE, PUBLIC_KEY, READABLE}
        for entry in files:
            path = entry.get("path") if isinstance(entry, dict) else None
            if not path:
                continue
            expected.add(path)
            _check_file(archive, entry, path, names, result)
        extra = sorted(set(names) - expected)
        if extra:
            result.problems.append(_("Fichiers ajoutés à l’archive : %(names)s") % {"names": ", ".join(extra)})
    return result


def _read_capped(archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    with archive.open(name) as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def _check_signature(archive, manifest_bytes: bytes, trusted: list[Ed25519PublicKey], result: Verification) -> None:
    try:
        key = serialization.load_pem_public_key(_read_capped(archive, PUBLIC_KEY, 4096) or b"")
        signature = base64.b64decode((_read_capped(archive, SIGNATURE, 4096) or b"").strip(), validate=True)
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
        result.problems.append(_("La clé publique ou la signature jointe est illisible."))
        return
    if not isinstance(key, Ed25519PublicKey):
        result.problems.append(_("La clé publique jointe n’est pas une clé Ed25519."))
        return
    result.fingerprint = fingerprint(key)
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        result.problems.append(_("La signature ne correspond pas à manifeste.json : le manifeste a été modifié."))
        return
    if result.fingerprint not in {fingerprint(known) for known in trusted}:
        result.problems.append(
            _("Le scellé est signé par une clé inconnue (empreinte %(fingerprint)s).")
            % {"fingerprint": result.fingerprint}
        )
        return
    result.checked.append(_("Signature valide, clé %(fingerprint)s.") % {"fingerprint": result.fingerprint})


def _check_readable(archive, manifest: dict[str, Any], result: Verification) -> None:
    declared = (manifest.get("readable_manifest") or {}).get("sha256")
    digest = _digest(archive, READABLE, MAX_MANIFEST_BYTES)
    if digest is None or digest[0] != declared:
        result.problems.append(_("manifeste.txt ne correspond pas au manifeste signé."))


def _check_file(archive, entry: dict[str, Any], path: str, names: list[str], result: Verification) -> None:
    if path not in names:
        result.problems.append(_("Pièce absente de l’archive : %(path)s") % {"path": path})
        return
    size = entry.get("size")
    digest = _digest(archive, path, size if isinstance(size, int) else 0)
    if digest is None or digest[1] != size:
        result.problems.append(_("Taille modifiée : %(path)s") % {"path": path})
    elif digest[0] != entry.get("sha256_at_capture"):
        result.problems.append(_("Empreinte SHA-256 différente de celle de la saisie : %(path)s") % {"path": path})
    else:
        result.checked.append(_("%(path)s : SHA-256 identique à la saisie.") % {"path": path})


def _digest(archive: zipfile.ZipFile, name: str, limit: int) -> tuple[str, int] | None:
    """SHA-256 and size of a member, streamed; None past ``limit`` bytes (a ZIP bomb stops there)."""
    hasher = hashlib.sha256()
    size = 0
    try:
        with archive.open(name) as handle:
            while chunk := handle.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    return None
                hasher.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError):  # includes a CRC mismatch
        return None
    return hasher.hexdigest(), size
