"""Receipt codes: the anonymous reporter's only key to their mailbox.

A code is 20 random digits, shown once as five groups of four. The database keeps two things, neither
of which gives the code back: an HMAC digest used to find the report (keyed with the server secret,
so a stolen database alone cannot be searched), and a slow salted hash that is checked in constant
time. A wrong code costs the same time whether or not its digest matches a report.
"""

import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.utils.crypto import salted_hmac

RECEIPT_DIGITS = 20
_DUMMY_HASH = make_password("0" * RECEIPT_DIGITS)


def new_code() -> str:
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def display(code: str) -> str:
    """ "12345678901234567890" → "1234 5678 9012 3456 7890"."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str | None:
    """Digits only, whatever separators were typed; None when it cannot be a code."""
    digits = "".join(c for c in typed if c.isdigit() and c.isascii())
    return digits if len(digits) == RECEIPT_DIGITS else None


def lookup_digest(code: str) -> str:
    return salted_hmac("halte.reports.receipt", code, algorithm="sha256").hexdigest()


def slow_hash(code: str) -> str:
    return make_password(code)


def matches(code: str, stored_hash: str | None) -> bool:
    """Constant-time check; runs a full hash even when there is nothing to compare with."""
    if not stored_hash:
        check_password(code, _DUMMY_HASH)
        return False
    return check_password(code, stored_hash)
