"""« Aujourd'hui »: what a membership has to do today, for the staff home.

Five blocks, each present only for the roles it concerns and each read through the access policy
(``access/today.py``): reports to triage, steps due today or late, actions owed, the next meeting,
follow-ups to record. Every block gives a count and its first few items, linked. A fixed number of
queries whatever the volume (pinned in ``tests/www/test_today.py``): counts are aggregates, items are
sliced, the clocks of the cases are computed from prefetched rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from halte.access import cases as case_access
from halte.access import today as access
from halte.access.meetings import visible_meetings
from halte.access.policy import Capability, can_read_case_content, has_capability
from halte.cases import clocks
from halte.cases.enums import OPEN_STATES, ActionStatus
from halte.cases.models import FollowUp
from halte.meetings.models import Meeting

FIRST = 5  # items listed per block
CASE_SCAN = 500  # cases whose clocks are computed at most (the most urgent first)


@dataclass
class Block:
    count: int = 0
    items: list[Any] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)  # sub-counts: late, critical, unread…


def end_of_today(now: datetime) -> datetime:
    return datetime.combine(timezone.localdate(now), time.max, tzinfo=timezone.get_current_timezone())


def reports_block(membership) -> Block | None:
    """Reports waiting for triage: how many, how many critical (P1 or raising a flag), unread."""
    if not has_capability(membership, Capability.TRIAGE_REPORTS):
        return None
    waiting = access.reports_to_triage(membership)
    counts = waiting.aggregate(
        total=Count("pk"),
        critical=Count("pk", filter=Q(proposed_priority="P1") | Q(is_worrying=True)),
        unread=Count("pk", filter=Q(first_read_at__isnull=True)),
    )
    items = list(waiting.select_related("school").queue_order()[:FIRST])
    return Block(count=counts["total"], items=items, extra={"critical": counts["critical"], "unread": counts["unread"]})


def steps_block(membership, now: datetime) -> Block | None:
    """Clocks due by the end of today or late, on the cases whose core the membership reads."""
    if not can_read_case_content(membership):
        return None
    until = end_of_today(now)
    prefetch = [*clocks.prefetch(), *case_access.COMPARTMENT_PREFETCH]
    cases = (
        access.core_readable_cases(membership)
        .filter(clocks.due_by_filter(until))
        .select_related("school")
        .prefetch_related(*prefetch)
        .order_by("priority", "opened_at", "pk")[:CASE_SCAN]
    )
    rows: list[dict[str, Any]] = []
    for case in cases:
        readable = case_access.compartments(membership, case) & clocks.CORE_ONLY
        for clock in clocks.clocks_for(case, now, readable=readable):
            if clock.done_at is None and clock.due_at <= until:
                rows.append({"case": case, "clock": clock, "late": clock.due_at < now})
    rows.sort(key=lambda row: row["clock"].due_at)
    late = sum(1 for row in rows if row["late"])
    return Block(count=len(rows), items=rows[:FIRST], extra={"late": late, "today": len(rows) - late})


def actions_block(membership, now: datetime) -> Block | None:
    """Open actions the membership's organisation owes: how many, how many late or due today."""
    if not can_read_case_content(membership):
        return None
    owed = case_access.owed_actions(membership).filter(status=ActionStatus.OPEN)
    counts = owed.aggregate(
        total=Count("pk"),
        late=Count("pk", filter=Q(due_at__lt=now)),
        today=Count("pk", filter=Q(due_at__gte=now, due_at__lte=end_of_today(now))),
    )
    items = list(owed.select_related("case").order_by("due_at", "pk")[:FIRST])
    rows = [{"action": action, "late": action.due_at is not None and action.due_at < now} for action in items]
    return Block(count=counts["total"], items=rows, extra={"late": counts["late"], "today": counts["today"]})


def next_meeting(membership, now: datetime) -> Meeting | None:
    """The next planned meeting of the cell the membership is invited to (any, for the coordination)."""
    if not can_read_case_content(membership):
        return None
    upcoming = visible_meetings(membership).filter(status=Meeting.Status.PLANNED, starts_at__gte=now)
    return upcoming.order_by("starts_at", "pk").first()


def follow_ups_block(membership, now: datetime) -> Block | None:
    """Follow-up checkpoints due today or earlier, not recorded, on open cases whose follow-ups the
    membership records."""
    if not access.may_record_follow_ups(membership):
        return None
    due = FollowUp.objects.filter(
        done_at__isnull=True,
        due_on__lte=timezone.localdate(now),
        case__state__in=OPEN_STATES,
        case__in=access.follow_up_cases(membership),
    )
    counts = due.aggregate(total=Count("pk"), late=Count("pk", filter=Q(due_on__lt=timezone.localdate(now))))
    items = list(due.select_related("case").order_by("due_on", "pk")[:FIRST])
    return Block(count=counts["total"], items=items, extra={"late": counts["late"]})


def today_for(membership, now: datetime | None = None) -> dict[str, Any]:
    """Every block of the home for one membership (None for a block that is not its business)."""
    now = now or timezone.now()
    return {
        "reports": reports_block(membership),
        "steps": steps_block(membership, now),
        "actions": actions_block(membership, now),
        "meeting": next_meeting(membership, now),
        "shows_meeting": can_read_case_content(membership),
        "follow_ups": follow_ups_block(membership, now),
        "now": now,
    }
