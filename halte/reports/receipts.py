"""Receipt codes: the anonymous reporter's only key to their mailbox.

A code is 20 random digits (66 bits), shown once as five groups of four. The database keeps two things,
neither of which gives the code back:

- a **lookup digest**, HMAC-SHA256 of the code keyed with the server secret (``SECRET_KEY``), unique
  and indexed: finding the report a typed code opens is one indexed query, and a stolen database
  alone cannot be searched;
- a **slow salted hash** (the password hasher), checked in constant time, and only when the lookup
  found a row.

A wrong code therefore costs one indexed query and no slow hash: guessing cannot burn the server's
CPU. Every receipt ever issued has both (the lookup digest exists since the first migration), so no
backfill is needed: only the dummy slow hash that used to run for a wrong code is gone. The answer
comes faster for a wrong code than for a right one, which tells an observer nothing the page does
not (a right code opens the mailbox).

Rotating ``SECRET_KEY``: put the old secret in ``SECRET_KEY_FALLBACKS``. A code whose digest was made
with a fallback secret is found with it (one more indexed query per fallback, still no slow hash for a
wrong code), checked against its slow hash, then re-keyed with the current secret. Codes never typed
during the rotation stop working once the old secret leaves ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils.crypto import salted_hmac

if TYPE_CHECKING:
    from .models import Report

RECEIPT_DIGITS = 20
_SALT = "halte.reports.receipt"


def new_code() -> str:
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def display(code: str) -> str:
    """ "12345678901234567890" → "1234 5678 9012 3456 7890"."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str | None:
    """Digits only, whatever separators were typed; None when it cannot be a code."""
    digits = "".join(c for c in typed if c.isdigit() and c.isascii())
    return digits if len(digits) == RECEIPT_DIGITS else None


def lookup_digest(code: str, secret: str | None = None) -> str:
    """The indexed lookup id of a code, keyed with the current secret (or the one given)."""
    return salted_hmac(_SALT, code, secret=secret, algorithm="sha256").hexdigest()


def slow_hash(code: str) -> str:
    return make_password(code)


def matches(code: str, stored_hash: str | None) -> bool:
    """Constant-time check of a code against its slow hash. Run only for a row the lookup found."""
    if not stored_hash:
        return False
    return check_password(code, stored_hash)


def find(typed: str) -> Report | None:
    """The report a typed code opens, or None.

    Indexed lookups first (current secret, then each fallback secret); the slow hash runs only when
    one of them found a report. A report found with a fallback secret is re-keyed with the current one.
    """
    from .models import Report

    code = normalise(typed)
    if code is None:
        return None
    current = lookup_digest(code)
    report = Report.objects.filter(receipt_lookup=current).first()
    if report is None:
        for old_secret in settings.SECRET_KEY_FALLBACKS:
            old = lookup_digest(code, secret=old_secret)
            report = Report.objects.filter(receipt_lookup=old).first()
            if report is not None:
                break
    if report is None or not matches(code, report.receipt_hash):
        return None
    if report.receipt_lookup != current:
        Report.objects.filter(pk=report.pk, receipt_lookup=report.receipt_lookup).update(receipt_lookup=current)
        report.receipt_lookup = current
    return report
