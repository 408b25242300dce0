"""The agenda the cell is offered for a meeting: which cases to examine, and why.

:func:`propose` reads and never writes. It takes the open cases that are not merged and not yet on
this meeting's agenda, and keeps those that match at least one rule:

1. ``new_urgent`` — priority P1 or P2 and never examined by the cell (``Case.cell_meeting_at`` empty);
2. ``overdue`` — at least one clock overdue at ``now`` (:func:`halte.cases.clocks.overdue_filter`);
3. ``follow_up_due`` — a follow-up checkpoint not done and due on or before the day of the meeting;
4. ``near_closure`` — in monitoring (``State.MONITORING``) and either its watch period ends within
   14 days after the day of the meeting (or has ended), or its last follow-up checkpoint is done.

A case matching several rules appears once, under the first rule in that order (the others are kept
in ``Proposal.reasons``). The proposal is ordered by priority (P1 first), then by reason, then by
age. It costs one query, however many cases there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.utils import timezone

from halte.cases.clocks import overdue_filter
from halte.cases.enums import Priority, State
from halte.cases.models import Case, FollowUp

from .models import AgendaItem, Meeting

Reason = AgendaItem.Reason

# Rules in the order they win when a case matches several.
REASON_ORDER: tuple[str, ...] = (Reason.NEW_URGENT, Reason.OVERDUE, Reason.FOLLOW_UP_DUE, Reason.NEAR_CLOSURE)
URGENT_PRIORITIES = (Priority.P1, Priority.P2)
NEAR_CLOSURE_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class Proposal:
    case: Case
    reasons: tuple[str, ...]  # every rule the case matches, in REASON_ORDER

    @property
    def reason(self) -> str:
        """The reason the agenda item will carry: the first rule matched."""
        return self.reasons[0]

    @property
    def reason_label(self) -> str:
        return str(Reason(self.reason).label)

    @property
    def reason_labels(self) -> list[str]:
        return [str(Reason(reason).label) for reason in self.reasons]


def meeting_day(meeting: Meeting) -> date:
    """The local (Europe/Paris) day of the meeting."""
    return timezone.localtime(meeting.starts_at, timezone.get_default_timezone()).date()


def _last_follow_up_done_at() -> Subquery:
    """When the case's last follow-up checkpoint (the latest due) was done, or NULL."""
    last = FollowUp.objects.filter(case=OuterRef("pk")).order_by("-due_on", "-day").values("done_at")[:1]
    return Subquery(last)


def _rules(meeting: Meeting, now: datetime) -> dict[str, Q]:
    """One filter per rule. NEAR_CLOSURE reads the ``last_follow_up_done_at`` annotation."""
    day = meeting_day(meeting)
    pending_follow_up = FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_on__lte=day)
    return {
        Reason.NEW_URGENT: Q(priority__in=URGENT_PRIORITIES, cell_meeting_at__isnull=True),
        Reason.OVERDUE: overdue_filter(now),
        Reason.FOLLOW_UP_DUE: Q(Exists(pending_follow_up)),
        Reason.NEAR_CLOSURE: Q(state=State.MONITORING)
        & (Q(watch_until__lte=day + NEAR_CLOSURE_WINDOW) | Q(last_follow_up_done_at__isnull=False)),
    }


def propose(meeting: Meeting, now: datetime | None = None) -> list[Proposal]:
    """Cases the cell should examine at `meeting`, each with its reason(s). One query."""
    now = now or timezone.now()
    rules = _rules(meeting, now)
    on_this_agenda = AgendaItem.objects.filter(meeting=meeting, case=OuterRef("pk"))
    flags = {f"rule_{reason}": ExpressionWrapper(rules[reason], output_field=BooleanField()) for reason in REASON_ORDER}
    any_rule = Q()
    for reason in REASON_ORDER:
        any_rule |= rules[reason]
    cases = (
        Case.objects.open()
        .filter(merged_into__isnull=True, opened_at__lte=meeting.starts_at)  # opened later: not examined there
        .exclude(Exists(on_this_agenda))
        .annotate(last_follow_up_done_at=_last_follow_up_done_at())
        .filter(any_rule)
        .annotate(**flags)
        .select_related("school", "lead__user")
    )
    proposals = []
    for case in cases:
        reasons = tuple(reason for reason in REASON_ORDER if getattr(case, f"rule_{reason}"))
        if reasons:
            proposals.append(Proposal(case=case, reasons=reasons))
    proposals.sort(key=lambda p: (p.case.priority, REASON_ORDER.index(p.reason), p.case.opened_at, p.case.pk))
    return proposals
