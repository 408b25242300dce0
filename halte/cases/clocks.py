"""Clocks of a case and the periodic job that reminds and escalates (product brief §6).

A *clock* runs from the opening of a case to a due time set by the case's priority
(:mod:`halte.cases.targets`): take charge, first protective measure, cell meeting, and one clock per
follow-up checkpoint. Each action of the action plan that has a due time is a clock too (name
``action``), running from the action's creation to its due time and done once the action is done or
cancelled. A clock stops when its milestone is recorded, or when the case is closed or redirected.
Its state is one of:

- ``done``: the milestone is recorded (or the case is no longer open);
- ``red``: overdue, i.e. ``now > due_at``;
- ``amber``: the last quarter of the clock's span has begun, capped at 24 hours — amber starts at
  ``due_at - min((due_at - started_at) / 4, 24 h)``. A 4-hour clock turns amber one hour before it
  is due; a 7-day clock one day before (not 42 hours); a follow-up 24 hours before the end of its
  day, i.e. from the start of that day. An action is amber in the 24 hours before it is due,
  whatever its span (so that « bientôt due » means the same on every page). Durations are real
  hours, daylight-saving changes included;
- ``green`` otherwise.

"Same day" means before the end of the cell's local day (``settings.TIME_ZONE``, Europe/Paris) the
case was opened, but never less than 4 hours after the opening. A follow-up is due at the end of its
``due_on`` day.

Who sees an action's clock: :func:`clocks_for` takes the compartments the viewer reads on the case
(``readable``, core by default) and leaves out every action outside them — no neutral stand-in, a
judicial action leaves no trace for who does not read the judicial compartment. ``readable=None`` is
the system view (every action), used by :func:`tick` only. List pages and the meeting agenda count
core actions only (:func:`overdue_filter` too), so a case's RAG state there never depends on who looks.
An action's clock is labelled « Action : <title> »; notifications say « action confiée à
<organisation> » instead (``notice_label``: the title never leaves the case).

Escalation (:func:`tick`), for every clock of every open case, each level at most once per
(case, clock, due time) thanks to :class:`~halte.cases.models.ClockNotice`:

1. ``reminder`` — the clock turns amber: the owner;
2. ``owner`` — the clock is overdue: the owner;
3. ``coordinator`` — overdue by more than the clock's *step*: every coordinator;
4. ``steering`` — overdue by more than twice the step: the cell's steering contact(s).

The owner is the case lead (the coordinators without a usable one); for an action, its owner person,
else the active members of its owner organisation who read cases (the coordinators when it has none).
An action outside the core (judicial, health) reaches only members for whom
:func:`halte.access.cases.can_see_action` holds: its owner person or organisation when they read that
compartment of the case, else the cell members whose role reads it (magistrates and délégués du
procureur for a judicial action); its coordinator level goes to those cell members (and to
coordinators only if they read it), its steering level to steering contacts who read it. The step is
the clock's own target duration (at least one hour); 24 hours for "same day" clocks, follow-ups and
actions. A clock found already overdue skips the reminder; when one pass reaches several levels at
once, each person gets one notification, the most severe one.

Each case is handled in its own transaction (a savepoint inside an outer one): a case that fails
(a database error, a bug) is logged with its id only, its notices are rolled back so that the next
pass tries again, and the pass goes on with the other cases.

Watch period: a case closed with a watch period (``Case.watch_until``) is no longer open, so its
clocks are done; instead the same pass reminds its lead (or the coordinators) once 30 days after the
closure — when the watch lasts longer than that — and once when the watch ends (level ``watch``,
``Kind.WATCH_REMINDER``, a link only). A reminder more than 7 days late is not sent any more (the
pass runs every minute; this only keeps a long outage from sending stale reminders).

Nothing is written to the audit journal (the ``ClockNotice`` rows are the record); counts go to the
log.
"""

from __future__ import annotations

import logging
import operator
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from typing import TYPE_CHECKING, cast

from django.db import transaction
from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Concat
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from halte.access import cases as access
from halte.access.policy import Capability, memberships_with
from halte.accounts.models import Membership
from halte.notifications.service import notify

from . import targets as targets_module
from .enums import OPEN_STATES, ActionStatus, Compartment, Priority, State
from .models import Action, Case, ClockNotice, FollowUp

if TYPE_CHECKING:
    from halte.notifications.models import Kind

logger = logging.getLogger(__name__)

# States of a clock, from the least to the most worrying (see worst_state()).
DONE = "done"
GREEN = "green"
AMBER = "amber"
RED = "red"
_SEVERITY = {DONE: 0, GREEN: 1, AMBER: 2, RED: 3}

# Escalation levels, in the order they are reached.
REMINDER = "reminder"
OWNER = "owner"
COORDINATOR = "coordinator"
STEERING = "steering"
LEVELS = (REMINDER, OWNER, COORDINATOR, STEERING)
WATCH = "watch"  # the reminders of the watch period after closure (not an escalation level)

# Notification kinds (the values of notifications.Kind).
KIND_REMINDER = "clock_reminder"
KIND_ESCALATION = "clock_escalation"
KIND_WATCH = "watch_reminder"

ACTION = "action"
ACTION_AMBER = timedelta(hours=24)

# Watch period after closure: a first reminder 30 days after the closure, one when the watch ends.
WATCH_FIRST = timedelta(days=30)
WATCH_GRACE = timedelta(days=7)
WATCH_FIRST_KEY = "watch_30"
WATCH_END_KEY = "watch_end"

AMBER_CAP = timedelta(hours=24)
SAME_DAY_MINIMUM = timedelta(hours=4)
DAY_STEP = timedelta(hours=24)
MINIMUM_STEP = timedelta(hours=1)
CHUNK_SIZE = 500

# Milestone clocks: (clock name, field of Case that stops it), in display order.
MILESTONES = (
    (targets_module.TAKE_CHARGE, "taken_in_charge_at"),
    (targets_module.FIRST_MEASURE, "first_measure_at"),
    (targets_module.CELL_MEETING, "cell_meeting_at"),
)


def _amber_window(span: timedelta) -> timedelta:
    """How long before its due time a clock of this span is amber: its last quarter, at most 24 h."""
    return max(min(span / 4, AMBER_CAP), timedelta(0))


def _end_of_day(day: date) -> datetime:
    """The last instant of a day in the cell's local time (23:59:59.999999, Europe/Paris)."""
    return datetime.combine(day, time.max, tzinfo=timezone.get_default_timezone())


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _utc(moment: datetime) -> datetime:
    """Durations are added in UTC: in Python, ``paris_time + timedelta(hours=4)`` adds wall-clock
    hours and is an hour off across a daylight-saving change."""
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Clock:
    name: str  # take_charge, first_measure, cell_meeting, follow_up or action
    label: str  # French, for people: « Prise en charge », « Point de suivi J+7 », « Action : … »
    due_at: datetime
    done_at: datetime | None
    started_at: datetime
    day: int | None = None  # follow-ups only: the J+ day
    escalation_step: timedelta = DAY_STEP
    action_id: int | None = None  # actions only
    notice_label: str = ""  # what notifications say (never an action's title); the label when empty
    amber_window: timedelta | None = None  # fixed amber window (actions); else the last quarter, ≤ 24 h

    def __post_init__(self) -> None:
        # Kept in UTC so that every difference and every addition below counts real hours.
        object.__setattr__(self, "due_at", _utc(self.due_at))
        object.__setattr__(self, "started_at", _utc(self.started_at))

    @property
    def key(self) -> str:
        """What identifies the clock within its case (ClockNotice.clock): one per follow-up, per action."""
        if self.action_id is not None:
            return f"{self.name}_{self.action_id}"
        return self.name if self.day is None else f"{self.name}_{self.day}"

    @property
    def amber_from(self) -> datetime:
        if self.amber_window is not None:
            return self.due_at - self.amber_window
        return self.due_at - _amber_window(self.due_at - self.started_at)

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and now > self.due_at

    def state(self, now: datetime) -> str:
        if self.done_at is not None:
            return DONE
        if now > self.due_at:
            return RED
        if now >= self.amber_from:
            return AMBER
        return GREEN

    def levels_reached(self, now: datetime) -> list[str]:
        """Escalation levels this clock has reached at `now` (a reminder only while not yet overdue)."""
        state = self.state(now)
        if state == AMBER:
            return [REMINDER]
        if state != RED:
            return []
        late = _utc(now) - self.due_at
        levels = [OWNER]
        if late > self.escalation_step:
            levels.append(COORDINATOR)
        if late > 2 * self.escalation_step:
            levels.append(STEERING)
        return levels


def prefetch() -> list:
    """What list pages prefetch so that :func:`clocks_for` runs no query (notice labels of actions
    included): ``cases.prefetch_related(*clocks.prefetch())``."""
    return ["follow_ups", Prefetch("actions", queryset=Action.objects.select_related("owner_organisation"))]


def _organisation_label(action: Action) -> str:
    organisation = action.owner_organisation
    return organisation.short_name or organisation.name


def action_clock(action: Action, stopped_at: datetime | None) -> Clock:
    """The clock of one action with a due time (done once the action is done or cancelled). Only for
    viewers who read the action's compartment: :func:`clocks_for` leaves the others out."""
    neutral = _("Action confiée à %(organisation)s") % {"organisation": _organisation_label(action)}
    label = _("Action : %(title)s") % {"title": action.title}
    finished = None
    if action.status != ActionStatus.OPEN:
        finished = action.done_at or action.created_at
    assert action.due_at is not None
    return Clock(
        name=ACTION,
        label=label,
        due_at=action.due_at,
        done_at=finished or stopped_at,
        started_at=min(action.created_at, action.due_at),
        escalation_step=DAY_STEP,
        action_id=action.pk,
        notice_label=neutral,
        amber_window=ACTION_AMBER,
    )


CORE_ONLY = frozenset({Compartment.CORE})


def clocks_for(case: Case, now: datetime | None = None, *, readable: Iterable[str] | None = CORE_ONLY) -> list[Clock]:
    """The clocks of a case: milestones first, then follow-ups and actions by due time.

    ``readable``: the compartments the viewer reads on this case; the actions of any other compartment
    are left out. ``None`` is the system view (every action): :func:`tick` only. No query when the
    case's follow-ups and actions are prefetched (list pages: ``prefetch_related(*clocks.prefetch())``).
    """
    now = now or timezone.now()
    shown = None if readable is None else frozenset(readable)
    table = targets_module.targets(case.priority)
    opened = _utc(case.opened_at)
    # A case that is no longer open stops all its clocks: nothing is awaited any more.
    stopped_at = None if case.state in OPEN_STATES else (case.closed_at or now)
    clocks: list[Clock] = []
    for name, field in MILESTONES:
        target = table.get(name)
        if target is None:
            continue
        if isinstance(target, timedelta):
            due_at = opened + target
            step = max(target, MINIMUM_STEP)
        else:  # SAME_DAY
            due_at = max(_utc(_end_of_day(_local_date(opened))), opened + SAME_DAY_MINIMUM)
            step = DAY_STEP
        clocks.append(
            Clock(
                name=name,
                label=str(targets_module.CLOCK_LABELS[name]),
                due_at=due_at,
                done_at=getattr(case, field) or stopped_at,
                started_at=opened,
                escalation_step=step,
            )
        )
    later: list[Clock] = []
    for follow_up in case.follow_ups.all():
        later.append(
            Clock(
                name=targets_module.FOLLOW_UP,
                label=_("Point de suivi J+%(day)d") % {"day": follow_up.day},
                due_at=_end_of_day(follow_up.due_on),
                done_at=follow_up.done_at or stopped_at,
                started_at=opened,
                day=follow_up.day,
                escalation_step=DAY_STEP,
            )
        )
    for action in case.actions.all():
        if action.due_at is None:
            continue
        if shown is not None and action.compartment not in shown:
            continue  # not even a neutral line: its due date and state would tell something
        later.append(action_clock(action, stopped_at))
    later.sort(key=lambda clock: (clock.due_at, clock.name != targets_module.FOLLOW_UP, clock.key))
    return clocks + later


def clocks_by_case(cases: Iterable[Case], now: datetime | None = None) -> dict[int, list[Clock]]:
    """Clocks of a page of cases as list pages count them (core actions only), keyed by case id. Give
    it cases fetched with ``prefetch_related(*clocks.prefetch())`` and it runs no query at all."""
    now = now or timezone.now()
    return {case.pk: clocks_for(case, now) for case in cases}


def worst_state(clocks: Iterable[Clock], now: datetime) -> str:
    """The badge of a case: its most worrying clock ("done" when nothing is awaited)."""
    return max((clock.state(now) for clock in clocks), key=_SEVERITY.__getitem__, default=DONE)


def next_due(clocks: Iterable[Clock]) -> Clock | None:
    """The pending clock due soonest (overdue ones first), or None when nothing is awaited."""
    return min((clock for clock in clocks if clock.done_at is None), key=lambda clock: clock.due_at, default=None)


def _milestone_clauses(lookup: str, cutoff: Callable[[timedelta | str], datetime]) -> list[Q]:
    """One clause per priority and pending milestone: ``opened_at <lookup> cutoff(target)``."""
    clauses: list[Q] = []
    for priority in Priority.values:
        table = targets_module.targets(priority)
        for name, field in MILESTONES:
            target = table.get(name)
            if target is not None:
                clauses.append(
                    Q(priority=priority, **{f"opened_at__{lookup}": cutoff(target), f"{field}__isnull": True})
                )
    return clauses


def overdue_filter(now: datetime) -> Q:
    """Open cases with at least one overdue clock, as a filter the database evaluates.

    The per-priority due times are turned into cut-off instants computed here (``opened_at`` before
    ``now - target``), so no date arithmetic runs in SQL and SQLite and PostgreSQL agree. Exactly the
    cases for which some clock of :func:`clocks_for` (core actions only, as on list pages and in the
    meeting agenda) is red at `now`.
    """
    now = _utc(now)
    today = _local_date(now)
    start_of_today = _start_of_day(today)

    def cutoff(target: timedelta | str) -> datetime:
        if isinstance(target, timedelta):
            return now - target
        # Same day: overdue once the local day of opening is over and 4 hours have passed.
        return min(now - SAME_DAY_MINIMUM, start_of_today)

    late_follow_up = FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_on__lt=today)
    late_action = Action.objects.filter(
        case=OuterRef("pk"), compartment=Compartment.CORE, status=ActionStatus.OPEN, due_at__lt=now
    )
    clauses = [*_milestone_clauses("lt", cutoff), Q(Exists(late_follow_up)), Q(Exists(late_action))]
    return Q(state__in=OPEN_STATES) & reduce(operator.or_, clauses)


def due_by_filter(until: datetime) -> Q:
    """Open cases that may have a pending clock due by `until` (core actions only, as list pages count
    them): a superset the database evaluates, late clocks included; :func:`clocks_for` then decides
    exactly. The staff home asks it for the end of today."""
    until = _utc(until)

    def cutoff(target: timedelta | str) -> datetime:
        if isinstance(target, timedelta):
            return until - target
        return until  # same day: due at the latest by the end of the day of opening

    follow_up = FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_on__lte=_local_date(until))
    action = Action.objects.filter(
        case=OuterRef("pk"), compartment=Compartment.CORE, status=ActionStatus.OPEN, due_at__lte=until
    )
    clauses = [*_milestone_clauses("lte", cutoff), Q(Exists(follow_up)), Q(Exists(action))]
    return Q(state__in=OPEN_STATES) & reduce(operator.or_, clauses)


def _attention_filter(now: datetime) -> Q:
    """Open cases with a clock that owes a notice at `now`: a superset of the cases :func:`tick` has
    work for, and nearly exact, so that a pass costs little when nothing is due.

    A clock owes something when the notice of the highest level it has reached (reminder while amber;
    owner, coordinator, steering as it stays red) was not sent for its due time: notices of every level
    reached are written together (:func:`_escalate`), so the highest one answers for all. For each
    clock and level, the instants at which that level is the highest are a range of the column the
    clock is counted from (``opened_at``, an action's ``due_at``, a follow-up's ``due_on``), computed
    here, so that the database only compares columns with constants; an indexed ``NOT EXISTS`` on the
    notices then leaves out what was sent. "Same day" milestones (due at the end of the local day of
    opening) are not narrowed by their notices: they may select a case for nothing, never miss one.
    :meth:`Clock.levels_reached` then decides exactly.
    """
    now = _utc(now)
    clauses = [*_owed_milestones(now), *_owed_follow_ups(now), _owed_actions(now)]
    return Q(state__in=OPEN_STATES) & reduce(operator.or_, clauses)


def _level_ranges(step: timedelta, amber: timedelta) -> list[tuple[str, timedelta, bool, timedelta | None]]:
    """For a clock due at `due`, each level and when it is the highest reached, as bounds on
    ``now - due``: (level, low, low is inclusive, high inclusive or None) — amber from `amber` before
    the due time to the due time itself, red after it (:meth:`Clock.levels_reached`)."""
    return [
        (REMINDER, -amber, True, timedelta(0)),
        (OWNER, timedelta(0), False, step),
        (COORDINATOR, step, False, 2 * step),
        (STEERING, 2 * step, False, None),
    ]


def _due_bounds(name: str, now: datetime, offset: timedelta, low: timedelta, inclusive: bool, high) -> dict:
    """Lookups on a column `name` holding ``due - offset``, for ``now - due`` within the bounds."""
    bounds = {f"{name}__lte" if inclusive else f"{name}__lt": now - offset - low}
    if high is not None:
        bounds[f"{name}__gte"] = now - offset - high
    return bounds


def _notice_sent(clock: str | Concat, level: str, **due) -> Exists:
    return Exists(ClockNotice.objects.filter(case_id=OuterRef("pk"), clock=clock, level=level, **due))


def _owed_milestones(now: datetime) -> list[Q]:
    clauses: list[Q] = []
    for priority in Priority.values:
        for name, field in MILESTONES:
            target = targets_module.targets(priority).get(name)
            if target is None:
                continue
            pending = Q(priority=priority, **{f"{field}__isnull": True})
            if not isinstance(target, timedelta):
                # "Same day": due at the end of the local day of opening (at least 4 hours after).
                # Reminder from 3 hours after the opening at the earliest; never narrowed by notices.
                clauses.append(pending & Q(opened_at__lte=now - SAME_DAY_MINIMUM * 3 / 4))
                continue
            due_at = ExpressionWrapper(OuterRef("opened_at") + target, output_field=DateTimeField())
            for level, low, inclusive, high in _level_ranges(max(target, MINIMUM_STEP), _amber_window(target)):
                # due = opened_at + target: the bounds on `now - due` become bounds on opened_at.
                bounds = _due_bounds("opened_at", now, target, low, inclusive, high)
                clauses.append(pending & Q(**bounds) & ~Q(_notice_sent(name, level, due_at=due_at)))
    return clauses


def _owed_follow_ups(now: datetime) -> list[Q]:
    """Follow-ups are due at the end of the local day ``due_on``: the bounds on ``now - due`` become
    bounds on ``due_on``, exact since the end of a day grows with the day. Their amber window is the
    last quarter of their span, at most 24 hours: the reminder's range takes the widest."""
    clauses: list[Q] = []
    for level, low, inclusive, high in _level_ranges(DAY_STEP, AMBER_CAP):
        bounds: dict[str, date] = {}
        if high is not None:
            bounds["due_on__gte"] = _local_date(now - high)  # the first day whose end is at or after
        last = _local_date(now - low)  # the last day whose end is before (or at, when inclusive)
        end = _utc(_end_of_day(last))
        if end > now - low or (end == now - low and not inclusive):
            last -= timedelta(days=1)
        bounds["due_on__lte"] = last
        key = Concat(Value(f"{targets_module.FOLLOW_UP}_"), Cast("day", CharField()))
        sent = Exists(
            ClockNotice.objects.filter(
                case_id=OuterRef("case_id"), clock=OuterRef("key"), level=level, due_at__date=OuterRef("due_on")
            )
        )
        owing = (
            FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True, **bounds).annotate(key=key).filter(~sent)
        )
        clauses.append(Q(Exists(owing)))
    return clauses


def _owed_actions(now: datetime) -> Q:
    """Open actions with a due time, of every compartment (the system's view)."""
    clauses: list[Q] = []
    for level, low, inclusive, high in _level_ranges(DAY_STEP, ACTION_AMBER):
        bounds = _due_bounds("due_at", now, timedelta(0), low, inclusive, high)
        key = Concat(Value(f"{ACTION}_"), Cast("id", CharField()))
        sent = Exists(
            ClockNotice.objects.filter(
                case_id=OuterRef("case_id"), clock=OuterRef("key"), level=level, due_at=OuterRef("due_at")
            )
        )
        owing = Action.objects.filter(case=OuterRef("pk"), status=ActionStatus.OPEN, **bounds).annotate(key=key)
        clauses.append(Q(Exists(owing.filter(~sent))))
    return reduce(operator.or_, clauses)


def _watch_filter(now: datetime) -> Q:
    """Closed cases that may owe a watch reminder at `now`: a cheap superset, exact to the day.

    A reminder already sent for the current closure (a ``ClockNotice`` sent after ``closed_at``)
    takes the case out, so that a week of grace costs nothing once the reminder is out.
    """
    now = _utc(now)
    today = _local_date(now)

    def sent(key: str) -> Exists:
        return Exists(ClockNotice.objects.filter(case=OuterRef("pk"), clock=key, sent_at__gte=OuterRef("closed_at")))

    first = Q(
        closed_at__lte=now - WATCH_FIRST, closed_at__gt=now - WATCH_FIRST - WATCH_GRACE, watch_until__gt=today
    ) & ~sent(WATCH_FIRST_KEY)
    end = Q(watch_until__lte=today, watch_until__gt=today - WATCH_GRACE) & ~sent(WATCH_END_KEY)
    return Q(state=State.CLOSED, watch_until__isnull=False, closed_at__isnull=False) & (first | end)


# --- Escalation -----------------------------------------------------------------------------------


@dataclass
class TickResult:
    """What one pass of :func:`tick` did: notices created per level, notifications, cases examined."""

    reminder: int = 0
    owner: int = 0
    coordinator: int = 0
    steering: int = 0
    watch: int = 0
    unread_reports: int = 0  # notices about reports nobody in the cell has opened (the safety net)
    notifications: int = 0
    cases: int = 0

    @property
    def notices(self) -> int:
        return self.reminder + self.owner + self.coordinator + self.steering + self.watch + self.unread_reports

    def counts(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def summary(self) -> str:
        """One French sentence for the command's output."""
        parts = [
            ngettext("%(count)d rappel", "%(count)d rappels", self.reminder),
            ngettext(
                "%(count)d retard signalé au responsable",
                "%(count)d retards signalés aux responsables",
                self.owner,
            ),
            ngettext("%(count)d escalade à la coordination", "%(count)d escalades à la coordination", self.coordinator),
            ngettext(
                "%(count)d escalade au contact de pilotage",
                "%(count)d escalades au contact de pilotage",
                self.steering,
            ),
        ]
        parts.append(ngettext("%(count)d rappel de veille", "%(count)d rappels de veille", self.watch))
        parts.append(
            ngettext(
                "%(count)d alerte de signalement non lu",
                "%(count)d alertes de signalements non lus",
                self.unread_reports,
            )
        )
        counts = [self.reminder, self.owner, self.coordinator, self.steering, self.watch, self.unread_reports]
        sent = [part % {"count": count} for part, count in zip(parts, counts, strict=True) if count]
        examined = ngettext("%(count)d dossier examiné", "%(count)d dossiers examinés", self.cases) % {
            "count": self.cases
        }
        if not sent:
            return _("Échéances : rien à envoyer (%(examined)s).") % {"examined": examined}
        return _("Échéances : %(sent)s (%(examined)s).") % {"sent": ", ".join(sent), "examined": examined}


def case_url(case: Case) -> str:
    """The case page, as a path (notifications add SITE_URL to it in emails)."""
    try:
        return reverse("cases:detail", args=[case.public_id])
    except NoReverseMatch:
        return f"/dossiers/{case.public_id}/"


def my_actions_url(case: Case) -> str:
    """« Nos actions »: where an action's owners act (they may not see the case itself)."""
    try:
        return reverse("cases:my_actions")
    except NoReverseMatch:
        return case_url(case)


class _Recipients:
    """Who receives each level, as memberships. Coordinators, steering contacts, the members of an
    organisation and the readers of a compartment are fetched once per pass."""

    def __init__(self) -> None:
        self._coordinators: list[Membership] | None = None
        self._steering: list[Membership] | None = None
        self._organisations: dict[int, list[Membership]] = {}
        self._readers: dict[str, list[Membership]] = {}

    def coordinators(self) -> list[Membership]:
        if self._coordinators is None:
            self._coordinators = list(memberships_with(Capability.TRIAGE_REPORTS))
        return self._coordinators

    def steering(self) -> list[Membership]:
        if self._steering is None:
            contacts = Membership.objects.active().filter(is_steering_contact=True)
            self._steering = list(contacts.select_related("user", "organisation"))
        return self._steering

    def members_of(self, organisation_id: int) -> list[Membership]:
        """The active members of an organisation who read cases (never its analysts, DPO, admins)."""
        if organisation_id not in self._organisations:
            members = memberships_with(Capability.READ_CASES).filter(organisation_id=organisation_id)
            self._organisations[organisation_id] = list(members)
        return self._organisations[organisation_id]

    def readers_of(self, compartment: str) -> list[Membership]:
        """Cell members whose role reads a compartment on every case (magistrates and délégués for the
        judicial one)."""
        if compartment not in self._readers:
            roles = [role for role in access.CELL_ROLES if compartment in access.ROLE_COMPARTMENTS[role]]
            self._readers[compartment] = list(memberships_with(Capability.READ_CASES).filter(role__in=roles))
        return self._readers[compartment]

    def owner(self, case: Case, action: Action | None = None) -> list[Membership]:
        if action is not None:
            return self.action_owner(action) or self.coordinators()
        lead = case.lead
        if lead is not None and lead.is_active and lead.user.is_active:
            return [lead]
        return self.coordinators()

    def action_owner(self, action: Action) -> list[Membership]:
        """The action's owner person, else the active members of its owner organisation who read cases."""
        owner = action.owner
        usable = owner is not None and owner.is_active and owner.user.is_active
        if usable and action.owner_organisation.is_active:
            return [owner]  # type: ignore[list-item]
        return self.members_of(action.owner_organisation_id)

    def for_level(self, level: str, case: Case, action: Action | None = None) -> list[Membership]:
        if action is not None and action.compartment != Compartment.CORE:
            return self.confined(level, case, action)
        if level in (REMINDER, OWNER):
            return self.owner(case, action)
        if level == COORDINATOR:
            return self.coordinators()
        return self.steering()

    def confined(self, level: str, case: Case, action: Action) -> list[Membership]:
        """An action outside the core (judicial, health): only members who may read it
        (``can_see_action``) — never the coordinators or the steering contact unless they read it."""
        prefetch_related_objects([case], *access.COMPARTMENT_PREFETCH)  # no query per membership below
        action.case = case

        def allowed(members: Iterable[Membership]) -> list[Membership]:
            return [m for m in members if access.can_see_action(m, action)]

        if level in (REMINDER, OWNER):
            owners = allowed(self.action_owner(action)) or allowed(self.members_of(action.owner_organisation_id))
            return owners or allowed(self.readers_of(action.compartment))
        if level == COORDINATOR:
            return allowed([*self.coordinators(), *self.readers_of(action.compartment)])
        return allowed(self.steering())


def _title(case: Case, clock: Clock, level: str, confined: bool = False) -> str:
    """A reference and a clock, never content (an action is named by its organisation, not its title)."""
    label = clock.notice_label or clock.label
    what = label[:1].lower() + label[1:]
    values = {"reference": case.reference, "clock": what}
    if level == REMINDER:
        due = timezone.localtime(clock.due_at, timezone.get_default_timezone())
        return _("Dossier %(reference)s : %(clock)s à faire avant le %(date)s à %(time)s") % {
            **values,
            "date": due.strftime("%d/%m/%Y"),
            "time": due.strftime("%H:%M"),
        }
    if level == OWNER:
        return _("Dossier %(reference)s : %(clock)s en retard") % values
    if level == COORDINATOR and confined:
        return (
            _("Dossier %(reference)s : %(clock)s en retard — escalade aux membres de la cellule chargés de ce volet")
            % values
        )
    if level == COORDINATOR:
        return _("Dossier %(reference)s : %(clock)s en retard — escalade à la coordination") % values
    return _("Dossier %(reference)s : %(clock)s en retard — escalade au pilotage de la cellule") % values


def _escalate(
    case: Case,
    clock: Clock,
    levels: Sequence[str],
    recipients: _Recipients,
    result: TickResult,
    now: datetime,
    action: Action | None = None,
) -> None:
    """Record the notices of `levels` and notify for those this pass created, in one transaction.

    The unique constraint on ClockNotice makes concurrent passes harmless: only the pass that
    creates a row sends its notification.
    """
    confined = action is not None and action.compartment != Compartment.CORE
    with transaction.atomic():
        created = [
            level
            for level in levels
            if ClockNotice.objects.get_or_create(
                case=case, clock=clock.key, due_at=clock.due_at, level=level, defaults={"sent_at": now}
            )[1]
        ]
        notified: set[int] = set()
        for level in reversed(created):  # the most severe level first: one notification per membership
            members = list(
                {m.pk: m for m in recipients.for_level(level, case, action) if m.pk not in notified}.values()
            )
            notified.update(m.pk for m in members)
            setattr(result, level, getattr(result, level) + 1)
            if not members:
                logger.warning(
                    "Clock %s of case %s reached level %s but nobody receives it.", clock.key, case.pk, level
                )
                continue
            kind = KIND_REMINDER if level == REMINDER else KIND_ESCALATION
            # An action's owners act from « Nos actions » (they may not see the case).
            url = my_actions_url(case) if action is not None and level in (REMINDER, OWNER) else case_url(case)
            title = _title(case, clock, level, confined)
            rows = notify(memberships=members, kind=cast("Kind", kind), title=title, url=url)
            result.notifications += len(rows)


def watch_reminders_due(case: Case, now: datetime) -> list[tuple[str, datetime]]:
    """The watch reminders of a closed case due at `now` (key, due instant), not yet filtered by the
    notices already sent. The first one only when the watch lasts beyond it; none once the end
    reminder is due; none more than WATCH_GRACE late."""
    if case.state != State.CLOSED or case.watch_until is None or case.closed_at is None:
        return []
    now = _utc(now)
    end_at = _utc(_start_of_day(case.watch_until))
    first_at = _utc(case.closed_at) + WATCH_FIRST
    if end_at <= now:
        return [(WATCH_END_KEY, end_at)] if now < end_at + WATCH_GRACE else []
    if first_at <= now < first_at + WATCH_GRACE and first_at < end_at:
        return [(WATCH_FIRST_KEY, first_at)]
    return []


def _watch_title(case: Case, key: str) -> str:
    if key == WATCH_FIRST_KEY:
        return _("Dossier %(reference)s : clos depuis 30 jours, vérifiez que la situation reste apaisée") % {
            "reference": case.reference
        }
    return _("Dossier %(reference)s : fin de la période de veille, vérifiez que la situation reste apaisée") % {
        "reference": case.reference
    }


def _watch(case: Case, now: datetime, recipients: _Recipients, result: TickResult) -> None:
    """Send the watch reminders of a closed case, each once per closure."""
    sent = {(notice.clock, notice.due_at) for notice in case.clock_notices.all()}
    for key, due_at in watch_reminders_due(case, now):
        if (key, due_at) in sent:
            continue
        with transaction.atomic():
            _notice, created = ClockNotice.objects.get_or_create(
                case=case, clock=key, due_at=due_at, level=WATCH, defaults={"sent_at": now}
            )
            if not created:
                continue
            result.watch += 1
            members = list(recipients.owner(case))
            if not members:
                logger.warning("Watch reminder %s of case %s reached nobody.", key, case.pk)
                continue
            rows = notify(
                memberships=members, kind=cast("Kind", KIND_WATCH), title=_watch_title(case, key), url=case_url(case)
            )
            result.notifications += len(rows)


def tick(now: datetime | None = None) -> TickResult:
    """One pass over the open cases (clocks) and the closed cases under watch (watch reminders): send
    every reminder and escalation due at `now`, once.

    Idempotent: run it every minute. When nothing is due it costs two queries (cases, unread reports). A
    case that fails is logged (its id, never its content), rolled back, and retried on the next pass; the
    others go on.
    """
    now = _utc(now or timezone.now())
    result = TickResult()
    recipients = _Recipients()
    due = _attention_filter(now) | _watch_filter(now)
    ids = list(Case.objects.filter(due).order_by("pk").values_list("pk", flat=True))
    actions = Action.objects.select_related("owner_organisation", "owner__user", "owner__organisation")
    _tick_unread_reports(now, result)
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = (
            Case.objects.filter(pk__in=ids[start : start + CHUNK_SIZE])
            .select_related("lead__user", "lead__organisation")
            .prefetch_related("follow_ups", "clock_notices", Prefetch("actions", queryset=actions))
            .order_by("pk")
        )
        for case in chunk:
            result.cases += 1
            own = TickResult()
            try:
                _tick_case(case, now, recipients, own)
            except Exception as error:  # one case must not stop the pass
                # The id and where it failed (files, lines, functions), never the message: it may quote
                # the case's data.
                frames = traceback.extract_tb(error.__traceback__)
                logger.error(
                    "Clock tick: case %s failed (%s at %s), skipped until the next pass.",
                    case.pk,
                    type(error).__name__,
                    " < ".join(f"{frame.filename}:{frame.lineno} {frame.name}" for frame in reversed(frames)),
                )
                continue
            for item in fields(own):
                if item.name != "cases":
                    setattr(result, item.name, getattr(result, item.name) + getattr(own, item.name))
    if result.notices:
        logger.info("Clock tick: %s", result.counts())
    else:
        logger.debug("Clock tick: %s", result.counts())
    return result


def _tick_case(case: Case, now: datetime, recipients: _Recipients, result: TickResult) -> None:
    """The reminders and escalations of one case, in one transaction (a savepoint within an outer one).
    Nothing is opened when nothing is due."""
    if case.state not in OPEN_STATES:
        if watch_reminders_due(case, now):
            with transaction.atomic():
                _watch(case, now, recipients, result)
        return
    sent = {(notice.clock, notice.due_at, notice.level) for notice in case.clock_notices.all()}
    by_id = {action.pk: action for action in case.actions.all()}
    work = []
    for clock in clocks_for(case, now, readable=None):
        levels = [level for level in clock.levels_reached(now) if (clock.key, clock.due_at, level) not in sent]
        if levels:
            work.append((clock, levels, by_id.get(clock.action_id) if clock.action_id is not None else None))
    if not work:
        return
    with transaction.atomic():
        for clock, levels, action in work:
            _escalate(case, clock, levels, recipients, result, now, action)


# --- The safety net: reports nobody in the cell has opened -----------------------------------------
#
# Whatever its flags (the words may have missed a danger), a report that no member of the cell has
# opened (``Report.first_read_at``) within the P1 take-charge delay is escalated like a P1 clock: a
# reminder to the coordinators when the clock turns amber, then « en retard » at the due time, the
# coordination after one more delay, the cell's steering contact after two (audience:
# :func:`halte.access.reports.unread_report_recipients`). Each level at most once per report
# (``UnreadNotice``); one notification per person per pass, the most severe.

UNREAD_REPORT = "unread_report"


def unread_report_clock(report) -> Clock:
    """The clock of a report until someone in the cell opens it: the P1 take-charge delay."""
    target = targets_module.targets(Priority.P1)[targets_module.TAKE_CHARGE]
    received = _utc(report.received_at)
    if isinstance(target, timedelta):
        due_at, step = received + target, max(target, MINIMUM_STEP)
    else:  # SAME_DAY
        due_at, step = max(_utc(_end_of_day(_local_date(received))), received + SAME_DAY_MINIMUM), DAY_STEP
    return Clock(
        name=UNREAD_REPORT,
        label=_("Lecture du signalement"),
        due_at=due_at,
        done_at=report.first_read_at,
        started_at=received,
        escalation_step=step,
    )


def _unread_filter(now: datetime) -> Q:
    """Reports not yet opened whose safety-net clock may be amber or red at `now`, still owing the last
    level: a cheap superset, decided exactly by :meth:`Clock.levels_reached`."""
    from halte.reports.enums import Status
    from halte.reports.models import UnreadNotice

    target = targets_module.targets(Priority.P1)[targets_module.TAKE_CHARGE]
    # Amber starts a quarter of the delay before it is due ("same day": at least 3 hours after).
    amber_after = target - _amber_window(target) if isinstance(target, timedelta) else SAME_DAY_MINIMUM * 3 / 4
    cutoff = now - amber_after
    last_sent = UnreadNotice.objects.filter(report=OuterRef("pk"), level=STEERING)
    return Q(first_read_at__isnull=True, received_at__lte=cutoff) & ~Q(status=Status.CLOSED) & ~Q(Exists(last_sent))


def _unread_title(report, clock: Clock, level: str) -> str:
    values = {"reference": report.reference}
    if level == REMINDER:
        due = timezone.localtime(clock.due_at, timezone.get_default_timezone())
        return _("Signalement %(reference)s : personne ne l’a encore lu, à lire avant le %(date)s à %(time)s") % {
            **values,
            "date": due.strftime("%d/%m/%Y"),
            "time": due.strftime("%H:%M"),
        }
    if level == OWNER:
        return _("Signalement %(reference)s : toujours pas lu dans le délai de prise en charge P1") % values
    if level == COORDINATOR:
        return _("Signalement %(reference)s : toujours pas lu — escalade à la coordination") % values
    return _("Signalement %(reference)s : toujours pas lu — escalade au pilotage de la cellule") % values


def _tick_unread_reports(now: datetime, result: TickResult) -> None:
    """Send the safety net's reminders and escalations due at `now`, each level once per report."""
    from halte.access.reports import unread_report_recipients
    from halte.reports.models import Report, UnreadNotice

    reports = Report.objects.filter(_unread_filter(now)).prefetch_related("unread_notices").order_by("received_at")
    for report in reports.iterator(chunk_size=CHUNK_SIZE):
        clock = unread_report_clock(report)
        sent = {notice.level for notice in report.unread_notices.all()}
        levels = [level for level in clock.levels_reached(now) if level not in sent]
        if not levels:
            continue
        own = TickResult()  # added to the pass's counts once the report's transaction has committed
        try:
            with transaction.atomic():
                created = [
                    level
                    for level in levels
                    if UnreadNotice.objects.get_or_create(
                        report=report, level=level, defaults={"due_at": clock.due_at, "sent_at": now}
                    )[1]
                ]
                notified: set[int] = set()
                url = reverse("reports:detail", args=[report.public_id])
                for level in reversed(created):  # the most severe first: one notification per membership
                    own.unread_reports += 1
                    members = [m for m in unread_report_recipients(report, level) if m.pk not in notified]
                    members = list({m.pk: m for m in members}.values())
                    notified.update(m.pk for m in members)
                    if not members:
                        logger.warning("Unread report %s reached level %s but nobody receives it.", report.pk, level)
                        continue
                    kind = KIND_REMINDER if level == REMINDER else KIND_ESCALATION
                    title = _unread_title(report, clock, level)
                    own.notifications += len(notify(memberships=members, kind=cast("Kind", kind), title=title, url=url))
        except Exception as error:  # one report must not stop the pass (its id only: never its content)
            logger.error(
                "Clock tick: unread report %s failed (%s), retried on the next pass.", report.pk, type(error).__name__
            )
            continue
        result.unread_reports += own.unread_reports
        result.notifications += own.notifications
