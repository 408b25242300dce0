"""The evidence vault: the only code that touches the bytes of files given as evidence.

What it owns, and why:

* **Deciding what a file is.** The type comes from the bytes (``sniff``), never from the name or
  the browser's claim: an HTML page named ``photo.png`` is refused, and so is SVG (it can carry
  script). Only images, PDF, short videos and plain text are accepted.
* **Limits** (``validate``): number of files, size of each file, size of all files together, and a
  pixel limit against decompression bombs. Uploads are streamed in chunks and counting stops as soon
  as a limit is crossed, so a 2 GB upload is never read into memory to learn that it is too big.
* **Encryption at rest** (``store``): every file is encrypted with AES-256-GCM under a random
  12-byte nonce and written as ``nonce + ciphertext`` under ``MEDIA_ROOT/vault/<yyyy>/<mm>/`` with a
  random name (never the reporter's file name). The associated data binds each ciphertext to its
  evidence's public id, its key id and its role (original or display copy), so a file moved from one
  record to another, or the display copy swapped for the original, does not decrypt.
* **Integrity** (``read_original``, ``read_display``): decryption authenticates the file, and the
  original is also checked against the SHA-256 recorded when it was uploaded. Any mismatch raises
  ``EvidenceTampered``: a piece of evidence that may have been altered is never returned.
* **Privacy of images.** Photos carry GPS positions, camera serial numbers and names in their
  metadata. The original is kept untouched (it is the evidence, its digest proves it), but staff look
  at a *display copy*: the pixels only, turned upright, re-encoded as a fresh PNG or JPEG without
  any EXIF, GPS, XMP, ICC profile or comment.
* **Active content and viruses** (``store``, ``inspect_pending``, ``rescan``): at capture the bytes
  go through ``inspection.find_active_content`` (PDF JavaScript and automatic actions, macros,
  scripts, programs) and, when a daemon is configured, ``antivirus.scan``; both are kept on the row
  and shown next to the file on the staff page. A file with a virus is *quarantined*: it is kept
  sealed (it is evidence) but nobody downloads it from Halte (``access.reports.can_download_original``).
  Files stored before inspection existed are inspected the first time a staff page lists them.
* **Keys** (``keyring``): ``HALTE_EVIDENCE_KEYS`` (or the file named by
  ``HALTE_EVIDENCE_KEYS_FILE``) lists ``id:base64key`` pairs separated by commas; the first one is
  the current key. Each stored file records the id of the key that sealed it. To rotate, put a new
  key first and keep the old ones after it: new files use the new id, old files stay readable with
  theirs; ``manage.py rotate_evidence_key`` (``halte.core.rotation``, with ``reseal``) then re-seals
  the older files under the new key. A key can only be removed once no evidence (nor document) uses
  its id any more. In development, with
  nothing configured, one key is generated once and kept in ``VAR_DIR/evidence.keys`` (mode 0600)
  so that files survive restarts; production refuses to run without configured keys.
* **Telling a wrong key from a tampered file** (``EvidenceKeyUnavailable``): the first time a key id
  seals anything, a small check file sealed with it is written under ``MEDIA_ROOT/keycheck/``.
  When a file does not authenticate, the check file says whether the configured key is the one
  that wrote it: if not, the key is absent or different (a restore without the right key file);
  if it is, the file itself was altered (``EvidenceTampered``).

The public API is ``EvidenceRejected``, ``EvidenceUnreadable``, ``EvidenceTampered``,
``EvidenceKeyUnavailable``, the limit
constants, ``sniff``, ``validate``, ``keyring``, ``seal``, ``unseal``, ``store``, ``read_original``,
``read_display``, ``inspect_pending``, ``rescan`` and ``purge_orphans``. The content type of a
display copy is ``sniff(read_display(evidence))``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import hashlib
import io
import os
import re
import struct
import tempfile
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from halte.core import blobs

from . import antivirus, inspection
from .enums import ScanStatus
from .models import Evidence

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from .models import Message, Report

# --- Limits -------------------------------------------------------------------------------------
# Read once from settings; the functions look them up at call time, so tests may patch them.
MAX_FILE_BYTES: int = getattr(settings, "HALTE_EVIDENCE_MAX_FILE_BYTES", 10 * 1024 * 1024)
MAX_FILES_PER_REPORT: int = getattr(settings, "HALTE_EVIDENCE_MAX_FILES_PER_REPORT", 10)
MAX_REPORT_BYTES: int = getattr(settings, "HALTE_EVIDENCE_MAX_REPORT_BYTES", 50 * 1024 * 1024)
MAX_IMAGE_PIXELS: int = getattr(settings, "HALTE_EVIDENCE_MAX_IMAGE_PIXELS", 40_000_000)

SNIFF_BYTES = 4096  # how much of the start of a file ``sniff`` needs to see
CHUNK_BYTES = 64 * 1024  # uploads are read this much at a time

VAULT_DIR = "vault"  # under MEDIA_ROOT
NONCE_BYTES = 12
KEY_BYTES = 32
KEYS_ENV = "HALTE_EVIDENCE_KEYS"
KEYS_FILE_ENV = "HALTE_EVIDENCE_KEYS_FILE"
DEV_KEYS_FILE = "evidence.keys"  # under VAR_DIR, development only

# --- Content types ------------------------------------------------------------------------------
JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
MP4 = "video/mp4"
QUICKTIME = "video/quicktime"
THREE_GPP = "video/3gpp"
THREE_GPP2 = "video/3gpp2"
WEBM = "video/webm"
TEXT = "text/plain"

# Image types get a display copy; the value is the only Pillow decoder allowed to open them.
IMAGE_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}

# Major brands of the ISO base media file format ("ftyp" box) that are videos. Still-image brands
# of the same container (HEIC, AVIF: "heic", "mif1", "avif"...) are deliberately absent.
_VIDEO_BRANDS = {
    **dict.fromkeys(
        [b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"mp71", b"avc1", b"dash"], MP4
    ),
    **dict.fromkeys([b"M4V ", b"M4VH", b"M4VP", b"MSNV", b"XAVC", b"f4v ", b"mmp4"], MP4),
    b"qt  ": QUICKTIME,
    **dict.fromkeys([b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gs6", b"3gs7", b"3ge6", b"3ge7", b"3gg6"], THREE_GPP),
    **dict.fromkeys([b"3g2a", b"3g2b", b"3g2c"], THREE_GPP2),
}

# Text may hold tab, line feed and carriage return; no other C0 control character.
_FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Text that is really markup (a web page, an SVG drawing) is refused, wherever the tag sits.
_MARKUP_TAG = re.compile(
    r"<\s*(?:script|svg|html|iframe|object|embed|body|head|meta|math|foreignobject|!doctype|\?xml)\b",
    re.IGNORECASE,
)
_MARKUP_START = re.compile(r"\A[\s\ufeff]*<[a-zA-Z!?/]")
_MARKUP_TAIL = 32  # characters kept between chunks, so a tag cut in two is still seen

_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_KEY_ID = re.compile(r"\A[A-Za-z0-9_.-]{1,32}\Z")


# --- Errors -------------------------------------------------------------------------------------
class EvidenceRejected(Exception):
    """A file the vault will not take. ``message`` is in French, for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EvidenceUnreadable(Exception):
    """A stored file cannot be given back (missing file, key no longer configured...)."""


class EvidenceTampered(EvidenceUnreadable):
    """A stored file does not authenticate or does not match its recorded digest."""


class EvidenceKeyUnavailable(EvidenceUnreadable):
    """The key that sealed a file is not configured, or a key with its id is configured but differs.

    A key problem (a backup restored without the right key file) is not an integrity breach: the
    file is not in question, the configuration is. Told apart by the key check (``_key_differs``).
    """


# --- Sniffing -----------------------------------------------------------------------------------
def sniff(head: bytes) -> str | None:
    """Return the content type of a file from its first ``SNIFF_BYTES`` bytes (all of it if shorter), or None.

    Only the bytes count, never the file name. Anything not recognised is None: archives,
    programs, web pages, SVG, HEIC, office documents...
    """
    head = bytes(head)
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        return _sniff_iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if _ebml_doctype(head) == b"webm" else None
    if head and _looks_like_text(head):
        return TEXT
    return None


def _sniff_iso_media(head: bytes) -> str | None:
    (box_size,) = struct.unpack(">I", head[:4])
    if box_size < 16 or len(head) < 12:
        return None
    return _VIDEO_BRANDS.get(head[8:12])


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType of an EBML header ("webm" or "matroska"), found among its first bytes."""
    at = head.find(b"\x42\x82", 4, 64)
    if at < 0 or at + 3 > len(head):
        return None
    size_byte = head[at + 2]
    if not size_byte & 0x80:  # only one-byte sizes: a DocType is a few letters
        return None
    length = size_byte & 0x7F
    return head[at + 3 : at + 3 + length]


class _TextScanner:
    """Checks, chunk after chunk, that bytes are UTF-8 text without control characters or markup."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._tail = ""
        self._started = False

    def feed(self, chunk: bytes, *, final: bool = False) -> bool:
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            return False
        if _FORBIDDEN_CONTROLS.search(text):
            return False
        window = self._tail + text
        if not self._started and window.lstrip("\ufeff \t\r\n"):
            self._started = True
            if _MARKUP_START.match(window):
                return False
        if _MARKUP_TAG.search(window):
            return False
        self._tail = window[-_MARKUP_TAIL:]
        return True


def _looks_like_text(head: bytes) -> bool:
    # A full head may stop in the middle of a character; a shorter one is the whole file.
    return _TextScanner().feed(head, final=len(head) < SNIFF_BYTES)


# --- Validation ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Inspected:
    name: str
    content_type: str
    size: int
    data: bytes | None  # only when asked to keep the bytes


def validate(files: list[UploadedFile], *, report: Report | None = None) -> None:
    """Raise EvidenceRejected unless every file may be stored.

    Checks the number of files, each file's size, the total size, emptiness and the type (from the
    bytes). With ``report``, the evidence it already holds counts towards the per-report limits.
    Declared sizes are checked before anything is read; then each file is streamed in chunks and
    reading stops as soon as a limit is crossed.
    """
    already_count, already_bytes = _report_usage(report)
    if already_count + len(files) > MAX_FILES_PER_REPORT:
        raise EvidenceRejected(_too_many_files())
    declared_total = already_bytes
    for upload in files:
        declared = upload.size or 0
        if declared > MAX_FILE_BYTES:
            raise EvidenceRejected(_too_big(_clean_name(upload.name)))
        declared_total += declared
    if declared_total > MAX_REPORT_BYTES:
        raise EvidenceRejected(_too_heavy_together())
    total = already_bytes
    for upload in files:
        total += _inspect(upload, keep=False, budget=MAX_REPORT_BYTES - total).size


def _inspect(upload: UploadedFile, *, keep: bool, budget: int | None = None) -> _Inspected:
    """Stream one upload: count its bytes, decide its type, keep its bytes if asked.

    ``budget`` is how many bytes the report may still take; crossing it is reported as a total
    that is too heavy rather than as one file too big.
    """
    name = _clean_name(upload.name)
    if (upload.size or 0) > MAX_FILE_BYTES:
        raise EvidenceRejected(_too_big(name))
    head = b""
    content_type: str | None = None
    parts: list[bytes] = []
    scanner = _TextScanner()
    text_ok = True
    size = 0
    for chunk in upload.chunks(CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise EvidenceRejected(_too_big(name))
        if budget is not None and size > budget:
            raise EvidenceRejected(_too_heavy_together())
        if keep:
            parts.append(chunk)
        if content_type is None and len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES:
                content_type = _decide(head, name)
        if text_ok and content_type in (None, TEXT):
            text_ok = scanner.feed(chunk)
    if size == 0:
        raise EvidenceRejected(_("Le fichier « %(name)s » est vide.") % {"name": name})
    if content_type is None:
        content_type = _decide(head, name)
    if content_type == TEXT and not (text_ok and scanner.feed(b"", final=True)):
        raise EvidenceRejected(_unsupported(name))
    return _Inspected(name=name, content_type=content_type, size=size, data=b"".join(parts) if keep else None)


def _decide(head: bytes, name: str) -> str:
    content_type = sniff(head)
    if content_type is None:
        raise EvidenceRejected(_unsupported(name))
    return content_type


def _report_usage(report: Report | None) -> tuple[int, int]:
    if report is None or report.pk is None:
        return 0, 0
    usage = Evidence.objects.filter(report=report).aggregate(count=Count("id"), size=Sum("size"))
    return usage["count"] or 0, usage["size"] or 0


def _clean_name(raw: str | None) -> str:
    """The name to show and keep: the last path part, no control characters, 255 characters at most."""
    name = unicodedata.normalize("NFC", raw or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc").translate(_BIDI_CONTROLS)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in {"", ".", ".."}:
        name = _("fichier")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        keep_extension = dot and stem and len(extension) <= 16
        name = f"{stem[: 254 - len(extension)]}.{extension}" if keep_extension else name[:255]
    return name


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "Mo"
    elif size >= 1024:
        value, unit = size / 1024, "ko"
    else:
        return _("%(count)d octets") % {"count": size}
    number = f"{value:.1f}".removesuffix(".0").replace(".", ",")
    return f"{number} {unit}"


def _too_big(name: str) -> str:
    return _("Le fichier « %(name)s » est trop lourd : %(limit)s au maximum.") % {
        "name": name,
        "limit": _human_size(MAX_FILE_BYTES),
    }


def _too_heavy_together() -> str:
    return _("Les fichiers sont trop lourds tous ensemble : %(limit)s au maximum en tout.") % {
        "limit": _human_size(MAX_REPORT_BYTES)
    }


def _too_many_files() -> str:
    return _("Il y a trop de fichiers : %(limit)d au maximum en tout.") % {"limit": MAX_FILES_PER_REPORT}


def _unsupported(name: str) -> str:
    return _("« %(name)s » n’est pas une image, un PDF, une courte vidéo ou un texte.") % {"name": name}


def _damaged_image(name: str) -> str:
    return _("Cette image est abîmée ou trop grande : « %(name)s ».") % {"name": name}


# --- Keys ---------------------------------------------------------------------------------------
def keyring() -> tuple[str, dict[str, bytes]]:
    """Return ``(current key id, {key id: 32-byte key})``.

    Keys come from ``HALTE_EVIDENCE_KEYS_FILE`` (a file) or ``HALTE_EVIDENCE_KEYS``, formatted
    ``id1:base64key,id2:base64key``; the first key is the current one. In development, with nothing
    configured, a key is generated once into ``VAR_DIR/evidence.keys``. In production, with nothing
    configured, ImproperlyConfigured is raised.
    """
    source = KEYS_FILE_ENV
    raw = _configured_keys()
    if raw is None:
        if settings.PRODUCTION:
            raise ImproperlyConfigured(
                f"{KEYS_ENV} (ou {KEYS_FILE_ENV}) est obligatoire en production : "
                "sans clé, les pièces des signalements ne peuvent pas être chiffrées."
            )
        path = Path(settings.VAR_DIR) / DEV_KEYS_FILE
        source = str(path)
        raw = _development_keys(path)
    elif not os.environ.get(KEYS_FILE_ENV, "").strip():
        source = KEYS_ENV
    return _parse_keys(raw, source)


def _configured_keys() -> str | None:
    path = os.environ.get(KEYS_FILE_ENV, "").strip()
    if path and os.environ.get(KEYS_ENV, "").strip():
        # Which one wins would be a guess: a malformed value silently ignored is a trap.
        raise ImproperlyConfigured(f"{KEYS_ENV} et {KEYS_FILE_ENV} sont renseignées toutes les deux : gardez-en une.")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(f"{KEYS_FILE_ENV} : impossible de lire le fichier « {path} ».") from exc
    return os.environ.get(KEYS_ENV, "").strip() or None


def _development_keys(path: Path) -> str:
    """Read the development key file, creating it (mode 0600) with one fresh key the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        line = f"dev:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode('ascii')}\n"
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{DEV_KEYS_FILE}.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            # link() never replaces an existing file: if another process won the race, keep its key.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text(encoding="utf-8")


def _parse_keys(raw: str, source: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    current = ""
    for entry in re.split(r"[,\s]+", raw.strip()):
        if not entry:
            continue
        key_id, colon, encoded = entry.partition(":")
        if not colon or not encoded:
            raise ImproperlyConfigured(f"{source} : chaque clé doit s’écrire « identifiant:clé_en_base64 ».")
        if not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"{source} : l’identifiant de clé « {key_id[:40]} » n’est pas valable "
                "(lettres, chiffres, « - », « _ » ou « . », 32 caractères au plus)."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{source} : la clé « {key_id} » apparaît deux fois.")
        try:
            altchars = b"-_" if ("-" in encoded or "_" in encoded) else None
            key = base64.b64decode(encoded, altchars=altchars, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"{source} : la clé « {key_id} » n’est pas écrite en base64.") from exc
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(f"{source} : la clé « {key_id} » doit faire 32 octets (256 bits).")
        keys[key_id] = key
        current = current or key_id
    if not keys:
        raise ImproperlyConfigured(f"{source} ne contient aucune clé.")
    return current, keys


# --- Sealing ------------------------------------------------------------------------------------
_ORIGINAL = "original"
_DISPLAY = "display"


def _associated_data(public_id: uuid.UUID, key_id: str, role: str) -> bytes:
    return f"halte-evidence/v1|{role}|{public_id}|{key_id}".encode()


def seal(key: bytes, key_id: str, public_id: uuid.UUID, role: str, data: bytes) -> bytes:
    """Encrypt ``data`` with AES-256-GCM under a fresh nonce, bound to (public id, key id, role).

    Returns ``nonce + ciphertext``. Other stores of encrypted files (generated documents) use it
    with a ``role`` of their own, so that none of their files can pass for a piece of evidence.
    """
    _write_key_check(key, key_id)
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data, _associated_data(public_id, key_id, role))


def unseal(key: bytes, key_id: str, public_id: uuid.UUID, role: str, blob: bytes) -> bytes:
    """Decrypt what ``seal`` produced for the same (public id, key id, role).

    Raises EvidenceKeyUnavailable when the configured key ``key_id`` is not the one that sealed
    files under that id, and EvidenceTampered when the key is right but the file does not authenticate.
    """
    nonce, ciphertext = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _associated_data(public_id, key_id, role))
    except (InvalidTag, ValueError) as exc:
        if _key_differs(key, key_id):
            raise EvidenceKeyUnavailable(
                f"The configured key {key_id!r} is not the one that sealed files under that id."
            ) from exc
        raise EvidenceTampered(f"Evidence {public_id} ({role}) does not authenticate.") from exc


# --- Key checks ---------------------------------------------------------------------------------
KEY_CHECK_DIR = "keycheck"  # under MEDIA_ROOT, outside the vault (purge_orphans never sees it)
_KEY_CHECK_ID = uuid.UUID(int=0)
_KEY_CHECK_ROLE = "key-check"
_KEY_CHECK_TEXT = b"halte key check v1"


def _key_check_path(key_id: str) -> str:
    return f"{KEY_CHECK_DIR}/{key_id}.bin"  # ids are [A-Za-z0-9_.-]


class EvidenceKeyMismatch(OSError):
    """The current key is not the one that sealed files under its id (a key file replaced by a new
    key under an old id): sealing with it would make every correctly configured machine call those
    files altered. Writing is refused, as a configuration fault (the pages answer 503)."""


def _write_key_check(key: bytes, key_id: str) -> None:
    """Seal a known text with ``key`` the first time ``key_id`` is used; never replace one. When a
    check exists, ``key`` must open it: nothing is sealed with a key that contradicts it."""
    path = _key_check_path(key_id)
    try:
        blob = blobs.read(path)
    except blobs.BlobMissing:
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + AESGCM(key).encrypt(
            nonce, _KEY_CHECK_TEXT, _associated_data(_KEY_CHECK_ID, key_id, _KEY_CHECK_ROLE)
        )
        with contextlib.suppress(FileExistsError):
            blobs.write_new(path, sealed)
        blob = blobs.read(path)  # another machine may have written it first: its key must be ours
    if not _opens_key_check(key, key_id, blob):
        raise EvidenceKeyMismatch(
            f"The configured key {key_id!r} is not the one that sealed files under that id: nothing is sealed with it."
        )


def _opens_key_check(key: bytes, key_id: str, blob: bytes) -> bool:
    nonce, ciphertext = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    try:
        AESGCM(key).decrypt(nonce, ciphertext, _associated_data(_KEY_CHECK_ID, key_id, _KEY_CHECK_ROLE))
    except (InvalidTag, ValueError):
        return False
    return True


def key_check_failures() -> list[str]:
    """The ids of the configured keys that do not open their key check (for the start-up check)."""
    _, keys = keyring()
    failing = []
    for key_id, key in keys.items():
        try:
            blob = blobs.read(_key_check_path(key_id))
        except blobs.BlobMissing:
            continue  # never used yet: its first use writes the check
        if not _opens_key_check(key, key_id, blob):
            failing.append(key_id)
    return failing


def _key_differs(key: bytes, key_id: str) -> bool:
    """True when the key check of ``key_id`` exists and ``key`` does not open it."""
    try:
        blob = blobs.read(_key_check_path(key_id))
    except OSError:
        return False  # no check (files sealed before checks existed): cannot tell, assume tampering
    return not _opens_key_check(key, key_id, blob)


# --- Files (sealed blobs, kept by halte.core.blobs) ------------------------------------------------
def _new_relative_path() -> str:
    now = timezone.now()
    return f"{VAULT_DIR}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.bin"


def _vault_path(relative: str) -> str:
    """A stored path, refused unless it lies in the vault (a row cannot point at a document or a key check)."""
    try:
        pure = blobs.check_path(relative)
    except blobs.BlobPathRefused as exc:
        raise EvidenceUnreadable(f"Path outside the vault: {relative!r}") from exc
    if pure.parts[0] != VAULT_DIR:
        raise EvidenceUnreadable(f"Path outside the vault: {relative!r}")
    return relative


def _write_new(relative: str, blob: bytes) -> None:
    blobs.write_new(_vault_path(relative), blob)


def _remove(relatives: Iterable[str]) -> None:
    for relative in relatives:
        blobs.delete(_vault_path(relative))


def discard(evidence: Iterable[Evidence]) -> None:
    """Remove the files of evidence whose rows are being rolled back with their transaction."""
    for item in evidence:
        _remove(path for path in (item.original_path, item.display_path) if path)


def _read_blob(relative: str) -> bytes:
    try:
        return blobs.read(_vault_path(relative))
    except blobs.BlobMissing as exc:
        raise EvidenceUnreadable(f"Vault file missing: {relative}") from exc


# --- Display copies -----------------------------------------------------------------------------
_IMAGE_FAILURES: tuple[type[BaseException], ...] = (
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,  # raised, not just shown, where warnings are errors
    UnidentifiedImageError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
)


def _display_copy(data: bytes, content_type: str, name: str) -> bytes:
    """Decode an image and re-encode its pixels alone, upright, as a fresh PNG or JPEG.

    Pillow refuses images above twice its own pixel limit; ours (``MAX_IMAGE_PIXELS``) is checked
    from the header before any pixel is decoded. Only the first frame of an animation is kept.
    """
    decoder = IMAGE_FORMATS[content_type]
    # WeasyPrint (PDF documents) turns on Pillow's process-wide "load truncated images" when it is
    # imported; a damaged image must still be refused here, whatever was imported before.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data), formats=[decoder]) as image:
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
                raise EvidenceRejected(_damaged_image(name))
            image.load()
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in upright.info
            grey = upright.mode in {"1", "L"}
            if decoder == "JPEG":
                mode, output = ("L" if grey else "RGB"), "JPEG"
            else:
                mode, output = ("RGBA" if has_alpha else "L" if grey else "RGB"), "PNG"
            pixels = upright if upright.mode == mode else upright.convert(mode)
            # A brand-new image has an empty ``info``: nothing of the original's metadata can follow.
            clean = Image.new(mode, pixels.size)
            clean.paste(pixels)
            buffer = io.BytesIO()
            if output == "JPEG":
                clean.save(buffer, format="JPEG", quality=90)
            else:
                clean.save(buffer, format="PNG")
            return buffer.getvalue()
    except _IMAGE_FAILURES as exc:
        raise EvidenceRejected(_damaged_image(name)) from exc


# --- Storing and reading ------------------------------------------------------------------------
def store(
    *,
    report: Report,
    upload: UploadedFile,
    message: Message | None = None,
    uploaded_by_reporter: bool = True,
) -> Evidence:
    """Check, encrypt and keep one uploaded file; return its new Evidence row.

    The upload goes through the same checks as ``validate`` (counting what ``report`` already
    holds). Files are written before the row; if the row cannot be inserted they are removed.
    Call it inside ``transaction.atomic()``: if that transaction rolls back *after* store()
    returned, the files written stay on disk without a row. ``purge_orphans()`` removes them.
    """
    if message is not None and message.report_id != report.pk:
        raise ValueError("The message belongs to another report.")
    key_id, keys = keyring()
    key = keys[key_id]
    already_count, already_bytes = _report_usage(report)
    if already_count + 1 > MAX_FILES_PER_REPORT:
        raise EvidenceRejected(_too_many_files())
    inspected = _inspect(upload, keep=True, budget=MAX_REPORT_BYTES - already_bytes)
    data = inspected.data
    assert data is not None
    display = (
        _display_copy(data, inspected.content_type, inspected.name) if inspected.content_type in IMAGE_FORMATS else None
    )
    findings = inspection.find_active_content(data)
    scanned = antivirus.scan(data)

    public_id = uuid.uuid4()
    original_path = _new_relative_path()
    display_path = _new_relative_path() if display is not None else ""
    written: list[str] = []
    try:
        _write_new(original_path, seal(key, key_id, public_id, _ORIGINAL, data))
        written.append(original_path)
        if display is not None:
            _write_new(display_path, seal(key, key_id, public_id, _DISPLAY, display))
            written.append(display_path)
        with transaction.atomic():
            return Evidence.objects.create(
                public_id=public_id,
                report=report,
                message=message,
                original_name=inspected.name,
                content_type=inspected.content_type,
                size=inspected.size,
                sha256=hashlib.sha256(data).hexdigest(),
                key_id=key_id,
                original_path=original_path,
                display_path=display_path,
                uploaded_by_reporter=uploaded_by_reporter,
                active_content=findings,
                scan_status=scanned.status,
                scan_signature=scanned.signature,
                scanned_at=timezone.now() if scanned.status != ScanStatus.NOT_SCANNED else None,
            )
    except BaseException:
        _remove(written)
        raise


def _key_for(evidence: Evidence) -> bytes:
    _, keys = keyring()
    try:
        return keys[evidence.key_id]
    except KeyError as exc:
        raise EvidenceKeyUnavailable(
            f"Evidence {evidence.public_id} was sealed with key {evidence.key_id!r}, which is not configured."
        ) from exc


def _read_current(evidence: Evidence, field: str) -> bytes:
    """The sealed file the row names in ``field``; if it is gone because a key rotation moved the row to
    new files meanwhile (``halte.core.rotation``), the row is read again and its new file given."""
    try:
        return _read_blob(getattr(evidence, field))
    except EvidenceUnreadable:
        fresh = Evidence.objects.filter(pk=evidence.pk).values_list("original_path", "display_path", "key_id").first()
        if fresh is None or fresh == (evidence.original_path, evidence.display_path, evidence.key_id):
            raise
        evidence.original_path, evidence.display_path, evidence.key_id = fresh
        return _read_blob(getattr(evidence, field))


def read_original(evidence: Evidence) -> bytes:
    """Decrypt the file exactly as it was uploaded, after checking it against its SHA-256.

    Raises EvidenceTampered if it does not authenticate with the right key or its digest or size
    differ, EvidenceKeyUnavailable if its key is missing or different, EvidenceUnreadable if its
    file is missing.
    """
    blob = _read_current(evidence, "original_path")
    data = unseal(_key_for(evidence), evidence.key_id, evidence.public_id, _ORIGINAL, blob)
    if len(data) != evidence.size or hashlib.sha256(data).hexdigest() != evidence.sha256:
        raise EvidenceTampered(f"Evidence {evidence.public_id} does not match its recorded SHA-256.")
    return data


def read_display(evidence: Evidence) -> bytes:
    """Decrypt the metadata-free display copy of an image (PNG or JPEG: see ``sniff``).

    Raises ValueError for evidence without a display copy (anything but an image), and the same
    errors as ``read_original`` otherwise.
    """
    if not evidence.display_path:
        raise ValueError("This evidence has no display copy.")
    blob = _read_current(evidence, "display_path")
    return unseal(_key_for(evidence), evidence.key_id, evidence.public_id, _DISPLAY, blob)


def reseal(evidence: Evidence, key_id: str, key: bytes) -> tuple[str, str]:
    """Write new files for ``evidence`` sealed with ``key_id``; return their (original, display) paths.

    Key rotation (``halte.core.rotation``): the original is read and checked against its SHA-256 first,
    and the new files get new paths, so the row keeps pointing at files its key opens until the caller
    switches it. The row itself is not touched; if anything fails, the new files are removed.
    """
    data = read_original(evidence)
    display = read_display(evidence) if evidence.display_path else None
    original_path = _new_relative_path()
    display_path = _new_relative_path() if display is not None else ""
    written: list[str] = []
    try:
        _write_new(original_path, seal(key, key_id, evidence.public_id, _ORIGINAL, data))
        written.append(original_path)
        if display is not None:
            _write_new(display_path, seal(key, key_id, evidence.public_id, _DISPLAY, display))
            written.append(display_path)
    except BaseException:
        _remove(written)
        raise
    return original_path, display_path


def remove_files(paths: Iterable[str]) -> None:
    """Remove vault files no row refers to any more (the former files of a re-sealed piece)."""
    _remove(path for path in paths if path)


def inspect_pending(items: Iterable[Evidence]) -> None:
    """Inspect, once, the files stored before active content was looked for (``active_content`` None).

    The findings are written by a conditional UPDATE (the row is otherwise immutable) and set on the
    given objects, so the page that lists them shows them at once. A file that cannot be read keeps
    None: its page says it could not be checked, and the download says why.
    """
    for item in items:
        if item.active_content is not None:
            continue
        try:
            findings = inspection.find_active_content(read_original(item))
        except EvidenceUnreadable:
            continue
        Evidence.objects.filter(pk=item.pk, active_content__isnull=True).update(active_content=findings)
        item.active_content = findings


def rescan(item: Evidence) -> str:
    """Scan a file that was not scanned, or whose scan failed; return its scan status afterwards.

    Nothing is done without a configured daemon, nor for a file already found clean or infected.
    """
    if item.scan_status not in (ScanStatus.NOT_SCANNED, ScanStatus.FAILED) or not antivirus.is_configured():
        return item.scan_status
    scanned = antivirus.scan(read_original(item))
    if scanned.status == ScanStatus.NOT_SCANNED:
        return item.scan_status
    now = timezone.now()
    Evidence.objects.filter(pk=item.pk, scan_status=item.scan_status).update(
        scan_status=scanned.status, scan_signature=scanned.signature, scanned_at=now
    )
    item.scan_status, item.scan_signature, item.scanned_at = scanned.status, scanned.signature, now
    return scanned.status


def purge_orphans(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete vault files that no Evidence row refers to; return their paths (relative to MEDIA_ROOT).

    ``store()`` writes files before its row exists, and a transaction that rolls back after store()
    returned leaves those files behind. Files younger than ``older_than`` are kept, because they may
    belong to a transaction that has not committed yet. Called by the periodic pass.
    """
    referenced = set(Evidence.objects.values_list("original_path", flat=True))
    referenced.update(Evidence.objects.exclude(display_path="").values_list("display_path", flat=True))
    cutoff = timezone.now() - older_than
    removed = []
    for listed in blobs.listing(VAULT_DIR):
        if listed.path in referenced or listed.modified > cutoff:
            continue
        blobs.delete(listed.path)
        removed.append(listed.path)
    return removed
