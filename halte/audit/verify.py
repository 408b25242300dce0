"""Recompute the journal's hash chain and say where it breaks (``manage.py verify_journal``).

For each day (UTC) the links are read in rank order, a chunk at a time (keyset on the unique
(day, seq) index, so millions of rows never sit in memory or in one long cursor); each row's digest
is recomputed from its fields and chained from the day's genesis. A row whose content changed, a rank
that is missing (a row removed), a row inserted or moved, a row that has no link at all: each is a
break, named by the row's id and date. The recomputed head of each day is then compared with the
checkpoints kept outside the database (``checkpoints.py``), which catches a day rewritten as a whole
with its links recomputed. The days of a month dropped past its retention (``months.py``) are
compared as the journal's checkpoint row of that month states them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.utils import timezone
from django.utils.formats import date_format

from . import chain
from .models import AuditEvent, ChainLink

CHUNK = 5000

ROW_FIELDS = (
    "seq",
    "hash",
    "event_id",
    "event__at",
    "event__actor_id",
    "event__membership_id",
    "event__action",
    "event__target_type",
    "event__target_id",
    "event__target_label",
    "event__detail",
    "event__digest",
)


@dataclass(frozen=True)
class Break:
    day: date
    event_id: int | None
    at: datetime | None
    reason: str

    def describe(self) -> str:
        if self.event_id is None:
            return f"Journal du {self.day:%d/%m/%Y} : {self.reason}"
        moment = date_format(timezone.localtime(self.at), "d/m/Y H:i:s") if self.at else "?"
        return f"Événement n° {self.event_id} ({moment}, jour {self.day:%d/%m/%Y} UTC) : {self.reason}"


@dataclass(frozen=True)
class DayHead:
    """What a day's chain comes to when recomputed from the rows: how many, and the last link."""

    day: date
    count: int
    head: str


@dataclass
class DayResult:
    head: DayHead
    first_break: Break | None = None


@dataclass
class Verification:
    rows: int = 0
    days: dict[date, DayHead] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        return min(self.breaks, key=lambda b: (b.day, b.event_id or 0), default=None)


def chained_days() -> list[date]:
    return list(ChainLink.objects.order_by("day").values_list("day", flat=True).distinct())


def check_day(day: date, chunk: int = CHUNK) -> DayResult:
    """Recompute one day's chain; the first break of the day, if any, and the recomputed head."""
    previous = chain.genesis(day)
    expected_seq = 1
    count = 0
    first_break: Break | None = None
    last_seq = 0
    while True:
        rows = list(
            ChainLink.objects.filter(day=day, seq__gt=last_seq).order_by("seq").values_list(*ROW_FIELDS)[:chunk]
        )
        if not rows:
            break
        for seq, stored, event_id, at, actor_id, membership_id, action, ttype, tid, label, detail, digest in rows:
            last_seq = seq
            count += 1
            row_digest = chain.digest(
                at=at,
                actor_id=actor_id,
                membership_id=membership_id,
                action=action,
                target_type=ttype,
                target_id=tid,
                target_label=label,
                detail=detail,
            )
            link = chain.step(previous, row_digest, event_id)
            if first_break is None:
                reason = _reason(seq, expected_seq, stored, link, digest, row_digest)
                if reason:
                    first_break = Break(day=day, event_id=event_id, at=at, reason=reason)
            previous = link
            expected_seq = seq + 1
    return DayResult(head=DayHead(day=day, count=count, head=previous), first_break=first_break)


def _reason(seq, expected_seq, stored, link, digest, row_digest) -> str:
    if seq != expected_seq:
        missing = seq - expected_seq
        return (
            f"{missing} événement(s) manquant(s) juste avant lui dans la chaîne "
            f"(rang {expected_seq} attendu, {seq} trouvé)."
        )
    if digest and digest != row_digest:
        return "son contenu a été modifié après son écriture (empreinte différente)."
    if stored != link:
        return "son maillon ne correspond plus (événement modifié, déplacé ou inséré, ou un précédent a changé)."
    return ""


def unchained_events(limit: int = 20) -> Iterable[AuditEvent]:
    """Rows that no link places in the chain: written with the chain trigger switched off."""
    return AuditEvent.objects.filter(link__isnull=True).order_by("id")[:limit]


def verify(checkpoints: Iterable[DayHead] = (), chunk: int = CHUNK) -> Verification:
    result = Verification()
    for day in chained_days():
        outcome = check_day(day, chunk=chunk)
        result.days[day] = outcome.head
        result.rows += outcome.head.count
        if outcome.first_break:
            result.breaks.append(outcome.first_break)
    for event in unchained_events():
        day = event.at.astimezone(UTC).date()
        result.breaks.append(
            Break(day=day, event_id=event.pk, at=event.at, reason="il n’a pas de place dans la chaîne.")
        )
    from .months import dropped_days

    # A day of a month dropped past retention is compared as the journal's own checkpoint row states it.
    dropped = dropped_days()
    for checkpoint in checkpoints:
        actual = result.days.get(checkpoint.day) or dropped.get(
            checkpoint.day, DayHead(checkpoint.day, 0, chain.genesis(checkpoint.day))
        )
        if (actual.count, actual.head) != (checkpoint.count, checkpoint.head):
            result.breaks.append(
                Break(
                    day=checkpoint.day,
                    event_id=None,
                    at=None,
                    reason=(
                        f"ne correspond plus à son point de contrôle ({checkpoint.count} événement(s), "
                        f"maillon final {checkpoint.head[:16]}…) : la base donne {actual.count} événement(s), "
                        f"maillon final {actual.head[:16]}…. Le jour a été réécrit."
                    ),
                )
            )
    checkpointed = {c.day for c in checkpoints}
    if checkpointed:
        last = max(checkpointed)
        for day in result.days:
            if day < last and day not in checkpointed:
                result.breaks.append(
                    Break(
                        day=day,
                        event_id=None,
                        at=None,
                        reason="n’a pas de point de contrôle alors que les jours suivants en ont un.",
                    )
                )
    return result
