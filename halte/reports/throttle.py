"""Slow down people guessing receipt codes, without recording who they are.

Two limits, neither tied to an address: per browser session (5 wrong codes, then 15 minutes), and
for the whole service (a few hundred wrong codes a minute, in the shared cache), which then slows
every browser that has already failed. A browser's first try always goes through, so nobody can lock
children out of their mailbox by flooding it. With 20-digit codes (66 bits) guessing is hopeless
anyway; this keeps it so.
"""

import time

from django.conf import settings
from django.core.cache import cache

SESSION_KEY = "halte_receipt_failures"


def _settings() -> dict:
    defaults = {"SESSION_LIMIT": 5, "SESSION_WINDOW": 15 * 60, "GLOBAL_LIMIT_PER_MINUTE": 300}
    return {**defaults, **getattr(settings, "HALTE_RECEIPT_THROTTLE", {})}


def _recent(request) -> list[float]:
    window = _settings()["SESSION_WINDOW"]
    now = time.time()
    return [t for t in request.session.get(SESSION_KEY, []) if now - t < window]


def _global_key() -> str:
    return f"halte:receipt-failures:{int(time.time() // 60)}"


def is_blocked(request) -> bool:
    limits = _settings()
    failures = len(_recent(request))
    if failures >= limits["SESSION_LIMIT"]:
        return True
    # Under a flood of wrong codes, a browser that has already failed waits; one that has not —
    # a child typing their code for the first time — is never locked out by someone else's attack.
    return failures > 0 and (cache.get(_global_key()) or 0) >= limits["GLOBAL_LIMIT_PER_MINUTE"]


def record_failure(request) -> None:
    request.session[SESSION_KEY] = [*_recent(request), time.time()]
    key = _global_key()
    cache.add(key, 0, timeout=120)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)


def reset(request) -> None:
    request.session.pop(SESSION_KEY, None)
