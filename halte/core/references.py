"""Human references such as ``SIG-2026-000042``: readable on the phone, unique, in order.

The counter row is locked for the rest of the caller's transaction (``select_for_update`` on
PostgreSQL; SQLite serialises writers anyway), so two reports filed at the same instant never get the
same number, and a rolled-back report gives its number back.
"""

from django.db import transaction
from django.utils import timezone

from .models import Counter


def next_reference(name: str, prefix: str, *, digits: int = 6) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_reference() must run inside the transaction that uses the reference.")
    year = timezone.localdate().year
    Counter.objects.get_or_create(name=name, year=year)
    counter = Counter.objects.select_for_update().get(name=name, year=year)
    counter.value += 1
    counter.save(update_fields=["value"])
    return f"{prefix}-{year}-{counter.value:0{digits}d}"
