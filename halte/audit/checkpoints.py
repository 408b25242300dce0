"""Daily checkpoints of the journal, kept outside the database and mailed to the DPO.

Once a day is closed (UTC, five minutes after midnight), the periodic pass recomputes its chain and
appends one line per closed day to ``HALTE_JOURNAL_CHECKPOINT_DIR/points-de-controle.tsv``::

    2026-11-25<TAB>1234<TAB><final link, 64 hex><TAB><written at, ISO 8601>

then mails the same lines to the DPO. Someone able to rewrite a whole day
in the database, links included, cannot rewrite these lines in a file on another system nor in the
DPO's mailbox: ``verify_journal`` compares each day with them.

The file is only ever appended to (opened in append mode, under an exclusive ``flock`` so two passes
never write the same day twice); put it on storage the database's administrators cannot change
(another host, an append-only mount, ``chattr +a``).
"""

import fcntl
import logging
import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import chain, verify
from .verify import DayHead

logger = logging.getLogger(__name__)

FILENAME = "points-de-controle.tsv"
HEADER = "# Halte — points de contrôle du journal d'audit : jour (UTC), événements, maillon final, écrit le\n"
# A transaction that read the clock just before midnight may still be committing: wait a little.
CLOSE_AFTER = timedelta(minutes=5)


class CheckpointFileError(ValueError):
    pass


def checkpoint_file() -> Path | None:
    folder = getattr(settings, "HALTE_JOURNAL_CHECKPOINT_DIR", None)
    return Path(folder) / FILENAME if folder else None


def parse(lines: Iterable[str]) -> list[DayHead]:
    checkpoints = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        try:
            day, count, head = date.fromisoformat(parts[0]), int(parts[1]), parts[2]
            bytes.fromhex(head)
        except (IndexError, ValueError) as error:
            raise CheckpointFileError(f"ligne {number} illisible : {line[:80]!r}") from error
        if len(head) != 64 or count < 0:
            raise CheckpointFileError(f"ligne {number} illisible : {line[:80]!r}")
        checkpoints.append(DayHead(day=day, count=count, head=head))
    return checkpoints


def read(path: Path) -> list[DayHead]:
    with open(path, encoding="utf-8") as handle:
        return parse(handle)


def format_line(head: DayHead, written_at: datetime) -> str:
    return f"{head.day.isoformat()}\t{head.count}\t{head.head}\t{written_at.astimezone(UTC).isoformat()}\n"


def first_open_day(now: datetime) -> date:
    """Days before this one (UTC) are closed: nothing can be appended to their chains any more."""
    return (now - CLOSE_AFTER).astimezone(UTC).date()


def due_days(existing: list[DayHead], today: date) -> list[date]:
    if existing:
        start = max(c.day for c in existing) + timedelta(days=1)
    else:
        chained = verify.chained_days()
        start = min([chained[0], today - timedelta(days=1)]) if chained else today - timedelta(days=1)
    return [start + timedelta(days=n) for n in range((today - start).days)]


def write_due(now: datetime | None = None) -> list[DayHead]:
    """Write the checkpoint of every closed day not written yet and mail it. Idempotent,
    and costs one small file read when nothing is due (it runs every minute)."""
    path = checkpoint_file()
    if path is None:
        return []
    now = now or timezone.now()
    today = first_open_day(now)
    if path.exists():
        existing = read(path)
        if existing and max(c.day for c in existing) >= today - timedelta(days=1):
            return []
    _wait_for_commits_on_closed_days()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        handle.seek(0)
        existing = parse(handle.read().splitlines())
        outcomes = [verify.check_day(day) for day in due_days(existing, today)]
        if not outcomes:
            return []
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            handle.write(HEADER)
        handle.write("".join(format_line(outcome.head, now) for outcome in outcomes))
        handle.flush()
        os.fsync(handle.fileno())
    heads = [outcome.head for outcome in outcomes]
    broken = [outcome.first_break.describe() for outcome in outcomes if outcome.first_break]
    _mail(heads, broken, now)
    return heads


def _wait_for_commits_on_closed_days() -> None:
    """The chain trigger reads the day under the advisory lock: once we have held it, every
    transaction that chose a closed day has finished, and every later one chooses an open day."""
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time; CLOSE_AFTER covers a commit in flight
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [chain.CHAIN_LOCK_CLASS, chain.CHAIN_LOCK_OBJECT])


def recipients() -> list[str]:
    """The DPO's address from the settings, and every active DPO membership's user."""
    from halte.access.grants import dpo_memberships

    addresses = [settings.HALTE["DPO_EMAIL"], *(m.user.email for m in dpo_memberships().select_related("user"))]
    return list(dict.fromkeys(a for a in addresses if a))


def _mail(heads: list[DayHead], broken: list[str], now: datetime) -> None:
    """Queued as a task (a row of the task queue in production, delivered by the worker with retries).
    No journal row: it would fall into the chain of the open day, which the next checkpoint covers."""
    from halte.delivery.queue import enqueue

    from .tasks import send_checkpoint

    lines = [format_line(head, now).rstrip("\n") for head in heads]
    addresses = recipients()
    title = "Point de contrôle du journal d’audit"
    enqueue(send_checkpoint, addresses, lines, broken, title=title, recipient=", ".join(addresses)[:254])
