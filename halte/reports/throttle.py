"""Wrong receipt codes: a limit per client and one for the whole service, never a lock on a right code.

Two counters of wrong codes, kept in the database (shared by every process, untouched by cookies):

- **per client**: ``CLIENT_LIMIT`` wrong codes in ``CLIENT_WINDOW`` seconds from one network
  address (an IPv6 client counts for its whole /64, which one subscriber usually holds). The key is
  an HMAC of the address keyed with the server secret: no address is stored.
- **for the service**: ``SERVICE_LIMIT`` wrong codes in ``SERVICE_WINDOW`` seconds from all clients
  together, so that an attacker spreading over many addresses is held too.

The mailbox looks the code up first (:func:`halte.reports.receipts.find`, one indexed query, no slow
hash for a wrong code). **A right code always opens**, whatever the counters say: a child is never
kept out of their mailbox because someone else — or their own earlier typos — tripped a limit. Beyond
a limit, every wrong code gets the same « trop d'essais » answer, with no hash and no write.

The trade-off, on purpose: since a right code is never refused, the throttle cannot stop someone from
*testing* codes — a refusal means "wrong" as surely as the ordinary message does. What keeps codes
safe from guessing is their 66 bits (10^20 codes: a thousand tries a second, day and night, against
100,000 live codes would find one in about 30,000 years on average); what the throttle bounds is the
cost (a wrong code is one indexed read; beyond a limit, no write either) and the pace a person is
told to keep. The other choice — refusing
every code once a limit is reached — would let anyone lock every child out of their mailbox by
flooding it, for no real gain in safety. Opening a mailbox does not reset a client's counter, or an
attacker holding one real code could clear their count between guesses.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from halte.accounts.throttle import client_address

from .models import ReceiptThrottle

logger = logging.getLogger(__name__)

SERVICE_KEY = "service"


def limits() -> dict:
    defaults = {
        "CLIENT_LIMIT": 10,
        "CLIENT_WINDOW": 15 * 60,
        "SERVICE_LIMIT": 300,
        "SERVICE_WINDOW": 60,
    }
    return {**defaults, **getattr(settings, "HALTE_RECEIPT_THROTTLE", {})}


@dataclass(frozen=True)
class Verdict:
    blocked: bool
    retry_after: int = 0  # seconds


def network(address: str) -> str:
    """What one client is: an IPv4 address, or the /64 of an IPv6 address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_key_for(address: str) -> str:
    return salted_hmac("halte.reports.throttle", f"client:{network(address)}", algorithm="sha256").hexdigest()


def client_key(request) -> str:
    return client_key_for(client_address(request))


def _counted(key: str, window: int, now) -> tuple[int, int]:
    """(failures in the current window, seconds left in it)."""
    row = ReceiptThrottle.objects.filter(key=key).values_list("failures", "window_started_at").first()
    if row is None:
        return 0, 0
    failures, started = row
    left = started + timedelta(seconds=window) - now
    if left.total_seconds() <= 0:
        return 0, 0
    return failures, max(1, int(left.total_seconds()))


def check(request) -> Verdict:
    """May this client's wrong code be answered normally, or is it « trop d'essais »? Reads two rows."""
    limit = limits()
    now = timezone.now()
    waits = []
    for key, most, window in (
        (client_key(request), limit["CLIENT_LIMIT"], limit["CLIENT_WINDOW"]),
        (SERVICE_KEY, limit["SERVICE_LIMIT"], limit["SERVICE_WINDOW"]),
    ):
        failures, left = _counted(key, window, now)
        if failures >= most:
            waits.append(left)
    return Verdict(blocked=bool(waits), retry_after=max(waits, default=0))


def record_failure(request) -> None:
    """Count one wrong code on this client's counter and on the service's."""
    limit = limits()
    for key, most, window, scope in (
        (client_key(request), limit["CLIENT_LIMIT"], limit["CLIENT_WINDOW"], "client"),
        (SERVICE_KEY, limit["SERVICE_LIMIT"], limit["SERVICE_WINDOW"], "service"),
    ):
        if _bump(key, window) == most:
            # Once per window: someone is trying many codes. No address, no code in the log.
            logger.warning("Receipt codes: the %s limit of wrong codes is reached (%s in %s s).", scope, most, window)


def _bump(key: str, window: int) -> int:
    """One atomic increment in the current window (a stale window starts again at 1); the new count."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=window)
    for _attempt in range(3):
        current = ReceiptThrottle.objects.filter(key=key, window_started_at__gt=cutoff)
        if current.update(failures=F("failures") + 1):
            return current.values_list("failures", flat=True).first() or 1
        # Stale or absent. Restart a stale window only if nobody restarted it meanwhile.
        if ReceiptThrottle.objects.filter(key=key, window_started_at__lte=cutoff).update(
            failures=1, window_started_at=now
        ):
            return 1
        try:
            with transaction.atomic():
                ReceiptThrottle.objects.create(key=key, failures=1, window_started_at=now)
            return 1
        except IntegrityError:  # created by a parallel failure: count on it at the next turn
            continue
    return 0


def purge(now=None) -> int:
    """Forget counters whose window is over (run by the periodic pass)."""
    moment = now or timezone.now()
    longest = max(limits()["CLIENT_WINDOW"], limits()["SERVICE_WINDOW"])
    deleted, _detail = ReceiptThrottle.objects.filter(
        window_started_at__lt=moment - timedelta(seconds=longest)
    ).delete()
    return deleted
