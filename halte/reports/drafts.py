"""The public form's draft: what the child has written so far, kept in the session between steps.

A draft holds a child's story and the names of other children. It is kept in the session encrypted
(Fernet: AES-128-CBC with HMAC-SHA256) under a key derived from ``SECRET_KEY``, so that the session
table, its backups and its logs hold only ciphertext; the key never leaves the server, and the
browser's cookie holds only the session id. A draft older than ``DRAFT_MAX_AGE`` (since its last step)
no longer decrypts, and ``manage.py clearsessions`` deletes the sessions left behind. Rotating
``SECRET_KEY`` drops the drafts in progress (as it logs everyone out).
"""

import base64
import json
from datetime import timedelta
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SESSION_KEY = "halte_report_draft"
SENT_KEY = "halte_report_sent"  # the draft of this session became a report (no story in it)
# Long enough for a child who pauses for hours with the page open; short enough that an abandoned
# draft does not stay readable for days even if its session were kept.
DRAFT_MAX_AGE = timedelta(hours=12)


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"halte public report draft v1").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def load(session) -> dict:
    """The draft of this session, or an empty one (none yet, expired, or sealed with another key)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return {}
    try:
        plain = _fernet(settings.SECRET_KEY).decrypt(token.encode(), ttl=int(DRAFT_MAX_AGE.total_seconds()))
    except InvalidToken:
        return {}
    draft = json.loads(plain)
    return draft if isinstance(draft, dict) else {}


def save(session, draft: dict) -> None:
    plain = json.dumps(draft, ensure_ascii=False, separators=(",", ":")).encode()
    session[SESSION_KEY] = _fernet(settings.SECRET_KEY).encrypt(plain).decode()


def forget(session, *, sent: bool = False) -> None:
    session.pop(SESSION_KEY, None)
    if sent:
        session[SENT_KEY] = True


def was_sent(session) -> bool:
    """Whether this session's draft was sent: a step posted again afterwards is not an expiry."""
    return bool(session.get(SENT_KEY))
