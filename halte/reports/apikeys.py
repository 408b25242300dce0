"""Partner platforms' API keys: created once, shown once, stored only as a digest.

A key reads ``halte_<prefix>_<secret>``. The 8-character prefix is stored in clear so that a key can
be found in one indexed lookup and named in logs, the admin and the revoke command; the secret never
leaves the response that created it.

Only the SHA-256 digest of the whole key is stored. A fast hash is the right tool here, unlike for
passwords: the secret carries 256 bits of randomness (``secrets.token_urlsafe(32)``), so nobody can
enumerate candidates to test against a leaked digest, and a slow hash would only cost CPU on every API
call without adding any protection.
"""

import hashlib
import hmac
import secrets
import string
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from halte.audit.journal import record
from halte.audit.models import Action

from .models import ApiKey

KEY_SCHEME = "halte"
PREFIX_LENGTH = 8
SECRET_BYTES = 32  # 43 URL-safe characters
# Lower-case letters and digits only: the prefix never contains the "_" separator, so parsing is unambiguous.
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
MAX_KEY_LENGTH = 200  # anything longer is not one of our keys; do not hash megabytes of header
LAST_USED_PRECISION = timedelta(minutes=1)  # at most one write per key and minute
_DUMMY_DIGEST = "0" * 64


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_prefix() -> str:
    return "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))


def create_key(*, organisation, name: str, actor=None) -> tuple[ApiKey, str]:
    """Create a key for an organisation. Returns the model and the raw key, to be shown once only."""
    for _attempt in range(5):
        prefix = _new_prefix()
        raw = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(organisation=organisation, name=name, prefix=prefix, digest=digest(raw))
                record(
                    Action.API_KEY_CREATED,
                    actor=actor.user if actor else None,
                    membership=actor,
                    target=key,
                    detail={"organisation": organisation.name, "name": name, "prefix": prefix},
                )
        except IntegrityError:  # prefix already taken (one chance in trillions): draw another
            continue
        return key, raw
    raise RuntimeError("Could not draw a free API key prefix.")


def parse(raw: str | None) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else None."""
    if not raw or len(raw) > MAX_KEY_LENGTH:
        return None
    parts = raw.split("_", 2)
    if len(parts) != 3:
        return None
    scheme, prefix, secret = parts
    if scheme != KEY_SCHEME or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    if any(c not in PREFIX_ALPHABET for c in prefix):
        return None
    return prefix, secret


def authenticate(raw: str | None) -> ApiKey | None:
    """The usable key a raw string stands for, or None (malformed, unknown, revoked, organisation inactive)."""
    parsed = parse(raw)
    if parsed is None or raw is None:
        return None
    prefix, _secret = parsed
    key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
    # Compare even when the prefix is unknown, so that both failures take the same time.
    if not hmac.compare_digest(key.digest if key else _DUMMY_DIGEST, digest(raw)) or key is None:
        return None
    if key.revoked_at is not None or not key.organisation.is_active:
        return None
    _touch(key)
    return key


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION:
        return
    # A queryset update, not save(): it must never overwrite a revocation made meanwhile.
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def revoke(*, key: ApiKey, actor=None) -> ApiKey:
    """Revoke a key for good. Revoking a revoked key changes nothing and journals nothing."""
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record(
                Action.API_KEY_REVOKED,
                actor=actor.user if actor else None,
                membership=actor,
                target=locked,
                detail={"prefix": locked.prefix},
            )
    key.revoked_at = locked.revoked_at
    return locked
