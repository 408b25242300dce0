"""The hash chain of the audit journal: how a row is digested and how rows are linked.

Each :class:`~halte.audit.models.AuditEvent` carries a *digest*: the SHA-256 of a canonical
serialisation of its fields, computed in Python when the row is written. The database then links
the row into the chain of the current day (UTC) in :class:`~halte.audit.models.ChainLink`::

    link_0      = genesis(day)            = SHA-256("halte-journal:" + "YYYY-MM-DD")
    link_n      = step(link_n-1, row)     = SHA-256(link_n-1 ‖ digest(row) ‖ row id in ASCII)

Changing, removing, inserting or reordering a row breaks every later link of its day; rewriting
the whole day is caught by the day's checkpoint, kept outside the database (``checkpoints.py``).

The link is computed by the database, never by the application: on PostgreSQL a deferred
constraint trigger runs at COMMIT under a transaction-scoped advisory lock (so the lock is held
only while the transaction commits, and two transactions never fork the chain); on SQLite (one
writer at a time) an ordinary trigger calls the two functions below, registered on each
connection. The same Python functions are what ``verify_journal`` recomputes.
"""

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

GENESIS_PREFIX = "halte-journal:"
# Held by the chain trigger while it appends, and by the checkpoint writer while it reads the
# heads of closed days: pg_advisory_xact_lock(CHAIN_LOCK_CLASS, CHAIN_LOCK_OBJECT).
CHAIN_LOCK_CLASS = 0x48414C54  # "HALT"
CHAIN_LOCK_OBJECT = 1


def canonical(
    *,
    at: datetime,
    actor_id: int | None,
    membership_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    detail: Any,
) -> bytes:
    """The bytes a row's digest is taken over: a JSON object with sorted keys and no spaces.

    The date is written in UTC to the microsecond, and a whole float in ``detail`` as an integer,
    because that is how it comes back from PostgreSQL's jsonb: the digest of a row read back must
    equal the digest of the row written.
    """
    document = {
        "v": 1,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor_id,
        "membership": membership_id,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target_label": target_label,
        "detail": _normalise(detail),
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    return value


def digest(**fields: Any) -> str:
    return hashlib.sha256(canonical(**fields)).hexdigest()


def genesis(day: date | str) -> str:
    """Where the chain of a day starts (the same for everyone: no secret is needed to verify)."""
    text = day if isinstance(day, str) else day.isoformat()
    return hashlib.sha256(f"{GENESIS_PREFIX}{text}".encode("ascii")).hexdigest()


def step(previous: str, row_digest: str, row_id: int) -> str:
    """The link of a row, from the link before it in the same day."""
    return hashlib.sha256(bytes.fromhex(previous) + bytes.fromhex(row_digest) + str(row_id).encode("ascii")).hexdigest()


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """Give SQLite the two functions its chain trigger calls (PostgreSQL computes them in SQL)."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("halte_chain_genesis", 1, genesis, deterministic=True)
    connection.connection.create_function("halte_chain_step", 3, step, deterministic=True)
