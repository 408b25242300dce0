"""Slow down password guessing without letting a stranger lock anyone out (OWASP's device cookies).

Three counters of failed logins, each keyed by a keyed hash (HMAC with ``SECRET_KEY``): the table
never holds an address or an email.

- **A trusted browser** is one where the account's owner completed a login (password and second
  factor): it holds a signed cookie naming the account. Its failures count on its own counter only,
  so nobody else's guesses slow it down; after ``DEVICE_LIMIT`` failures it is trusted no more.
- **Any other client** is limited per network address (``CLIENT_LIMIT`` failures, whatever the
  accounts tried, then it waits ``CLIENT_WINDOW``), and
- **the account** is slowed down for untrusted clients: after ``ACCOUNT_FREE_FAILURES`` failures,
  each further try waits a delay that doubles up to ``ACCOUNT_MAX_DELAY``. A refused try checks no
  password, so the delay bounds guessing; the owner's own browser is not affected.

Every counter is keyed on the normal form of the address (:mod:`halte.accounts.addresses`), so a
change of case or Unicode form is the same account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import LoginThrottle, User

DEVICE_SALT = "halte.accounts.throttle.device"


def limits() -> dict:
    defaults = {
        "ACCOUNT_FREE_FAILURES": 5,
        "ACCOUNT_BASE_DELAY": 60,  # seconds, doubled at each further failure
        "ACCOUNT_MAX_DELAY": 15 * 60,
        "ACCOUNT_WINDOW": 60 * 60,  # an account's counter restarts after an hour without failure
        "CLIENT_LIMIT": 20,
        "CLIENT_WINDOW": 15 * 60,
        "DEVICE_LIMIT": 10,
        "DEVICE_WINDOW": 60 * 60,
        "DEVICE_COOKIE_AGE": 180 * 24 * 3600,
    }
    return {**defaults, **getattr(settings, "HALTE_LOGIN_THROTTLE", {})}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    scope: str = ""  # why a try is refused: "client" or "account"
    retry_after: int = 0  # seconds
    trusted_device: bool = False


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the one the configured number of proxies saw."""
    proxies = settings.HALTE_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _key(kind: str, value: str) -> str:
    return salted_hmac("halte.accounts.throttle", f"{kind}:{value}", algorithm="sha256").hexdigest()


def client_key(request) -> str:
    return _key("client", client_address(request))


def _account_key(email: str) -> str:
    return _key("account", email)


def _device_key(nonce: str) -> str:
    return _key("device", nonce)


def _row(key: str) -> LoginThrottle | None:
    return LoginThrottle.objects.filter(key=key).first()


def _recent_failures(row: LoginThrottle | None, window: int, now: datetime) -> int:
    if row is None or row.last_failure_at < now - timedelta(seconds=window):
        return 0
    return row.failures


def account_delay(failures: int) -> int:
    """Seconds an untrusted client waits after the last failure before the account accepts a try."""
    limit = limits()
    extra = failures - limit["ACCOUNT_FREE_FAILURES"]
    if extra < 0:
        return 0
    return min(limit["ACCOUNT_BASE_DELAY"] * 2 ** min(extra, 16), limit["ACCOUNT_MAX_DELAY"])


def _trusted_nonce(request, email: str) -> str | None:
    """The nonce of this browser's device cookie when it was issued to the account of `email`."""
    raw = request.COOKIES.get(settings.HALTE_DEVICE_COOKIE_NAME)
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=limits()["DEVICE_COOKIE_AGE"])
    except signing.BadSignature:
        return None
    if not isinstance(value, dict):
        return None
    owner = User.objects.filter(email=email).values_list("public_id", flat=True).first()
    if owner is None or value.get("user") != str(owner):
        return None
    nonce = value.get("nonce")
    if not isinstance(nonce, str):
        return None
    now = timezone.now()
    failures = _recent_failures(_row(_device_key(nonce)), limits()["DEVICE_WINDOW"], now)
    return nonce if failures < limits()["DEVICE_LIMIT"] else None


def check(request, email: str) -> Verdict:
    """May this client try a password for this account now? Checks nothing about the password."""
    if _trusted_nonce(request, email) is not None:
        return Verdict(allowed=True, trusted_device=True)
    limit = limits()
    now = timezone.now()
    client = _row(client_key(request))
    if _recent_failures(client, limit["CLIENT_WINDOW"], now) >= limit["CLIENT_LIMIT"]:
        assert client is not None
        wait = client.last_failure_at + timedelta(seconds=limit["CLIENT_WINDOW"]) - now
        return Verdict(allowed=False, scope="client", retry_after=max(1, int(wait.total_seconds())))
    account = _row(_account_key(email))
    delay = account_delay(_recent_failures(account, limit["ACCOUNT_WINDOW"], now))
    if delay:
        assert account is not None
        wait = account.last_failure_at + timedelta(seconds=delay) - now
        if wait.total_seconds() > 0:
            return Verdict(allowed=False, scope="account", retry_after=max(1, int(wait.total_seconds())))
    return Verdict(allowed=True)


def record_failure(request, email: str) -> None:
    """Count a wrong password: on the trusted browser's own counter, else on the client's and the account's."""
    nonce = _trusted_nonce(request, email)
    limit = limits()
    if nonce is not None:
        _bump(_device_key(nonce), limit["DEVICE_WINDOW"])
        return
    _bump(client_key(request), limit["CLIENT_WINDOW"])
    _bump(_account_key(email), limit["ACCOUNT_WINDOW"])


def _bump(key: str, window: int) -> None:
    """One atomic increment; a counter idle for longer than its window starts again at 1."""
    now = timezone.now()
    recent = LoginThrottle.objects.filter(key=key, last_failure_at__gte=now - timedelta(seconds=window))
    if recent.update(failures=F("failures") + 1, last_failure_at=now):
        return
    if LoginThrottle.objects.filter(key=key).update(failures=1, last_failure_at=now):
        return
    try:
        with transaction.atomic():
            LoginThrottle.objects.create(key=key, failures=1, last_failure_at=now)
    except IntegrityError:  # created meanwhile by a parallel failure: count on it
        LoginThrottle.objects.filter(key=key).update(failures=F("failures") + 1, last_failure_at=now)


def remember_device(response, user) -> None:
    """After a complete login, this browser is trusted for `user`: strangers' failures no longer slow it."""
    value = signing.dumps({"user": str(user.public_id), "nonce": secrets.token_urlsafe(16)}, salt=DEVICE_SALT)
    response.set_cookie(
        settings.HALTE_DEVICE_COOKIE_NAME,
        value,
        max_age=limits()["DEVICE_COOKIE_AGE"],
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def purge(now: datetime | None = None) -> int:
    """Forget counters whose every window is over (the periodic pass): they no longer slow anyone, and a
    keyed hash of an address is kept no longer than it serves."""
    limit = limits()
    longest = max(limit["ACCOUNT_WINDOW"], limit["CLIENT_WINDOW"], limit["DEVICE_WINDOW"])
    cutoff = (now or timezone.now()) - timedelta(seconds=longest)
    return LoginThrottle.objects.filter(last_failure_at__lt=cutoff).delete()[0]
