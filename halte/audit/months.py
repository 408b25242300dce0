"""Dropping a whole month of the journal once it is past its retention (access logs: one year).

Single rows stay impossible to change or delete. What may go is exactly one whole month of chain days
(UTC), every day of which ended more than ``RETENTION`` ago, in two steps:

1. **Checkpoint in the journal.** The month's days are recomputed from their rows (``verify.check_day``);
   a month whose chain is broken is not dropped (the evidence stays for whoever investigates). An
   ``audit.month_dropping`` row states the month, its row count and each day's count and final link,
   and is committed — chained into today's chain like any other row.
2. **Drop.** On PostgreSQL, ``halte_audit_drop_month()`` (migration ``0006``) checks the month, the
   retention floor and that checkpoint, writes ``DroppedMonth`` and deletes the rows and their links in
   one transaction; the journal's guard lets those deletions through in that transaction only. On
   SQLite (the embedded development database, with no guards) the same deletions are plain SQL. An
   ``audit.month_dropped`` row follows.

``verify_journal`` then takes the days of a dropped month from the ``audit.month_dropping`` row (which
is itself chained and checkpointed): the daily checkpoints of those days still match, and a day that
disappeared without such a row is still reported.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

from . import verify
from .journal import record
from .models import Action, AuditEvent, ChainLink, DroppedMonth

logger = logging.getLogger(__name__)

# The floor is also written in the database's drop function (migration 0006): a month goes only once
# the first day of the next month is at least this far in the past.
RETENTION_YEARS = 1
RETENTION_LABEL = "1 an"


class MonthNotDroppable(Exception):
    """The month cannot be dropped (still within retention, broken chain, database refusal)."""


@dataclass(frozen=True)
class MonthSummary:
    month: date
    rows: int
    days: dict[str, list]  # "YYYY-MM-DD": [count, final link]


def _next_month(first: date) -> date:
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def cutoff(now: datetime | None = None) -> date:
    """A month goes once the first day of the next month is on or before this day (UTC)."""
    today = (now or timezone.now()).astimezone(UTC).date()
    return _years_before(today, RETENTION_YEARS)


def droppable_months(now: datetime | None = None) -> list[date]:
    """First days of the months whose every chain day is past retention, oldest first."""
    limit = cutoff(now)
    months: list[date] = []
    for day in ChainLink.objects.filter(day__lt=limit).order_by("day").values_list("day", flat=True).distinct():
        first = day.replace(day=1)
        if _next_month(first) <= limit and (not months or months[-1] != first):
            months.append(first)
    return months


def summarise(first: date) -> MonthSummary:
    """Recompute each day of the month from its rows; refuse a month whose chain is broken."""
    days = (
        ChainLink.objects.filter(day__gte=first, day__lt=_next_month(first))
        .order_by("day")
        .values_list("day", flat=True)
        .distinct()
    )
    heads: dict[str, list] = {}
    total = 0
    for day in days:
        outcome = verify.check_day(day)
        if outcome.first_break is not None:
            raise MonthNotDroppable(outcome.first_break.describe())
        heads[day.isoformat()] = [outcome.head.count, outcome.head.head]
        total += outcome.head.count
    return MonthSummary(month=first, rows=total, days=heads)


def drop_month(first: date, now: datetime | None = None) -> int:
    """Checkpoint the month in the journal, then drop it; returns how many rows went."""
    if first.day != 1:
        raise MonthNotDroppable(f"{first} n’est pas le premier jour d’un mois.")
    if _next_month(first) > cutoff(now):
        raise MonthNotDroppable(f"Le journal de {first:%m/%Y} est encore dans sa durée de conservation.")
    summary = summarise(first)
    label = f"{first:%Y-%m}"
    with transaction.atomic():
        record(
            Action.JOURNAL_MONTH_DROPPING,
            detail={"month": label, "rows": summary.rows, "days": summary.days},
        )
    # The checkpoint row is committed (and chained) before anything goes.
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT halte_audit_drop_month(%s)", [first])
                    removed = int(cursor.fetchone()[0])
            else:
                removed = _drop_without_guards(first, summary.rows)
            record(Action.JOURNAL_MONTH_DROPPED, detail={"month": label, "rows": removed})
    except MonthNotDroppable:
        raise
    except Exception as exc:  # the database refused: say why, drop nothing
        raise MonthNotDroppable(str(exc).splitlines()[0]) from exc
    return removed


def _drop_without_guards(first: date, stated: int) -> int:
    """SQLite: the same checks and deletions as the PostgreSQL function."""
    next_month = _next_month(first)
    links = ChainLink.objects.filter(day__gte=first, day__lt=next_month)
    if links.count() != stated:
        raise MonthNotDroppable(f"Le journal de {first:%m/%Y} a changé depuis son point de contrôle.")
    DroppedMonth.objects.create(month=first, rows=stated)
    ids = list(links.values_list("event_id", flat=True))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM audit_chainlink WHERE event_id IN ({marks})", chunk)  # noqa: S608
            cursor.execute(f"DELETE FROM audit_auditevent WHERE id IN ({marks})", chunk)  # noqa: S608
    return len(ids)


def dropped_days() -> dict[date, verify.DayHead]:
    """The days of dropped months as their checkpoint row in the journal states them."""
    months = {f"{m:%Y-%m}" for m in DroppedMonth.objects.values_list("month", flat=True)}
    heads: dict[date, verify.DayHead] = {}
    rows = AuditEvent.objects.filter(action=Action.JOURNAL_MONTH_DROPPING).order_by("id")
    for detail in rows.values_list("detail", flat=True):
        if detail.get("month") not in months:
            continue
        for day, (count, head) in detail.get("days", {}).items():
            parsed = date.fromisoformat(day)
            heads[parsed] = verify.DayHead(parsed, int(count), str(head))
    return heads


def drop_due(now: datetime | None = None, *, limit: int = 1) -> list[tuple[date, int]]:
    """The periodic pass's duty: drop at most ``limit`` months past retention (bounded work)."""
    done = []
    for first in droppable_months(now)[:limit]:
        try:
            done.append((first, drop_month(first, now)))
        except MonthNotDroppable:
            logger.exception("A month of the audit journal could not be dropped.")
    return done
