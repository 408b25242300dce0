"""Receipt codes: the anonymous reporter's only key to their mailbox.

A code is 20 random digits (66 bits), shown once as five groups of four. The database keeps two things,
neither of which gives the code back:

- a **lookup digest**, HMAC-SHA256 of the code under a *receipt key*, unique and indexed, with the id
  of that key (``receipt_key_id``): finding the report a typed code opens is one indexed query, and a
  stolen database alone cannot be searched;
- a **slow salted hash** (the password hasher), checked in constant time, and only when the lookup
  found a row.

A wrong code therefore costs one indexed query and no slow hash: guessing cannot burn the server's
CPU. The answer comes faster for a wrong code than for a right one, which tells an observer nothing the
page does not (a right code opens the mailbox).

**Receipt keys** (``HALTE_RECEIPT_KEYS``, or the file named by ``HALTE_RECEIPT_KEYS_FILE``): pairs
``id:secret`` separated by commas, the current one first. They are Halte's own, apart from
``SECRET_KEY``: rotating ``SECRET_KEY`` (sessions, signed links) no longer touches any receipt code.
To rotate a receipt key, put a new one first and keep the old one after it: a code whose digest was
made with an older key is still found (the lookup tries every configured key in the same single
query), checked against its slow hash, then re-keyed with the current key. An old key can be
withdrawn once no report names it any more.

Codes issued before receipt keys existed carry the key id ``legacy``: their digest was keyed with
``SECRET_KEY``. The ``legacy`` key is ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS`` unless
``HALTE_RECEIPT_KEYS`` names a ``legacy`` entry (the secret those codes were made with): before
changing ``SECRET_KEY``, copy the old one there so that those codes keep working. Production
refuses to run without receipt keys (``halte.reports.checks``); development, without any, keys new
codes as ``legacy``, as before.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.crypto import salted_hmac

if TYPE_CHECKING:
    from .models import Report

RECEIPT_DIGITS = 20
LEGACY = "legacy"  # digests made with SECRET_KEY, before receipt keys existed
MIN_SECRET_CHARS = 32
KEYS_ENV = "HALTE_RECEIPT_KEYS"
_SALT = "halte.reports.receipt"
_KEY_ID = re.compile(r"\A[A-Za-z0-9_.-]{1,32}\Z")


def new_code() -> str:
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def display(code: str) -> str:
    """ "12345678901234567890" → "1234 5678 9012 3456 7890"."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str | None:
    """Digits only, whatever separators were typed; None when it cannot be a code."""
    digits = "".join(c for c in typed if c.isdigit() and c.isascii())
    return digits if len(digits) == RECEIPT_DIGITS else None


# --- Keys ---------------------------------------------------------------------------------------
def configured() -> str:
    """The raw ``id:secret,…`` text of the receipt keys (settings, from the environment or its file), or ""."""
    return str(getattr(settings, "HALTE_RECEIPT_KEYS", "") or "").strip()


def parse(raw: str) -> list[tuple[str, str]]:
    """``id:secret`` pairs, the current first; ImproperlyConfigured (French) for anything malformed."""
    pairs: list[tuple[str, str]] = []
    for item in raw.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, colon, secret = item.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not colon or not secret:
            raise ImproperlyConfigured(f"{KEYS_ENV} : chaque clé doit s’écrire « identifiant:secret ».")
        if not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"{KEYS_ENV} : l’identifiant de clé « {key_id[:40]} » n’est pas valable "
                "(lettres, chiffres, « - », « _ » ou « . », 32 caractères au plus)."
            )
        if any(key_id == known for known, _ in pairs):
            raise ImproperlyConfigured(f"{KEYS_ENV} : la clé « {key_id} » apparaît deux fois.")
        if len(secret) < MIN_SECRET_CHARS:
            raise ImproperlyConfigured(
                f"{KEYS_ENV} : le secret de la clé « {key_id} » doit compter au moins {MIN_SECRET_CHARS} caractères."
            )
        pairs.append((key_id, secret))
    return pairs


def keys() -> list[tuple[str, str]]:
    """Every (key id, secret) a digest may have been made with, the current key first.

    ``legacy`` digests may have been made with ``SECRET_KEY`` or any of its fallbacks: each is listed.
    """
    pairs = parse(configured())
    if not any(key_id == LEGACY for key_id, _ in pairs):
        pairs += [(LEGACY, str(secret)) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    return pairs


def current_key() -> tuple[str, str]:
    return keys()[0]


def _digest(code: str, key_id: str, secret: str) -> str:
    salt = _SALT if key_id == LEGACY else f"{_SALT}|{key_id}"
    return salted_hmac(salt, code, secret=secret, algorithm="sha256").hexdigest()


def lookup_digest(code: str) -> tuple[str, str]:
    """``(key id, indexed lookup digest)`` of a code under the current receipt key."""
    key_id, secret = current_key()
    return key_id, _digest(code, key_id, secret)


def is_keyed_for(report: Report, code: str) -> bool:
    """Whether the report's lookup digest is the one of ``code``, under whichever key the report names."""
    return report.receipt_lookup is not None and any(
        key_id == report.receipt_key_id and _digest(code, key_id, secret) == report.receipt_lookup
        for key_id, secret in keys()
    )


# --- Codes --------------------------------------------------------------------------------------
def slow_hash(code: str) -> str:
    return make_password(code)


def matches(code: str, stored_hash: str | None) -> bool:
    """Constant-time check of a code against its slow hash. Run only for a row the lookup found."""
    if not stored_hash:
        return False
    return check_password(code, stored_hash)


def find(typed: str) -> Report | None:
    """The report a typed code opens, or None.

    One indexed query over the digests of the code under every configured key (each row must be
    found with the key it names); the slow hash runs only when it found a report. A report found with
    an older key is re-keyed with the current one.
    """
    from .models import Report

    code = normalise(typed)
    if code is None:
        return None
    candidates = [(key_id, _digest(code, key_id, secret)) for key_id, secret in keys()]
    wanted = Q()
    for key_id, digest in candidates:
        wanted |= Q(receipt_lookup=digest, receipt_key_id=key_id)
    report = Report.objects.filter(wanted).first()
    if report is None or not matches(code, report.receipt_hash):
        return None
    current_id, current = candidates[0]
    if (report.receipt_key_id, report.receipt_lookup) != (current_id, current):
        Report.objects.filter(pk=report.pk, receipt_lookup=report.receipt_lookup).update(
            receipt_lookup=current, receipt_key_id=current_id
        )
        report.receipt_lookup, report.receipt_key_id = current, current_id
    return report
