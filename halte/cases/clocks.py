"""Clocks of a case and the periodic job that reminds and escalates (product brief §6).

A *clock* runs from the opening of a case to a due time set by the case's priority
(:mod:`halte.cases.targets`): take charge, first protective measure, cell meeting, and one clock per
follow-up checkpoint. It stops when its milestone is recorded, or when the case is closed or
redirected. Its state is one of:

- ``done``: the milestone is recorded (or the case is no longer open);
- ``red``: overdue, i.e. ``now > due_at``;
- ``amber``: the last quarter of the clock's span has begun, capped at 24 hours — amber starts at
  ``due_at - min((due_at - started_at) / 4, 24 h)``. A 4-hour clock turns amber one hour before it
  is due; a 7-day clock one day before (not 42 hours); a follow-up 24 hours before the end of its
  day, i.e. from the start of that day. Durations are real hours, daylight-saving changes included;
- ``green`` otherwise.

"Same day" means before the end of the cell's local day (``settings.TIME_ZONE``, Europe/Paris) the
case was opened, but never less than 4 hours after the opening. A follow-up is due at the end of its
``due_on`` day.

Escalation (:func:`tick`), for every clock of every open case, each level at most once per
(case, clock, due time) thanks to :class:`~halte.cases.models.ClockNotice`:

1. ``reminder`` — the clock turns amber: the owner (the case lead, or the coordinators without one);
2. ``owner`` — the clock is overdue: the owner;
3. ``coordinator`` — overdue by more than the clock's *step*: every coordinator;
4. ``steering`` — overdue by more than twice the step: the cell's steering contact(s).

The step is the clock's own target duration (at least one hour); 24 hours for "same day" clocks and
follow-ups. A clock found already overdue skips the reminder; when one pass reaches several levels at
once, each person gets one notification, the most severe one. Nothing is written to the audit
journal (the ``ClockNotice`` rows are the record); counts go to the log.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from typing import TYPE_CHECKING, cast

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from halte.access.policy import Capability, memberships_with
from halte.accounts.models import Membership
from halte.notifications.service import notify

from . import targets as targets_module
from .enums import OPEN_STATES, Priority
from .models import Case, ClockNotice, FollowUp

if TYPE_CHECKING:
    from halte.accounts.models import User
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

# Notification kinds (Notification.kind is a free CharField; these are not in notifications.Kind).
KIND_REMINDER = "clock_reminder"
KIND_ESCALATION = "clock_escalation"

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
    name: str  # take_charge, first_measure, cell_meeting or follow_up
    label: str  # French, for people: « Prise en charge », « Point de suivi J+7 »…
    due_at: datetime
    done_at: datetime | None
    started_at: datetime
    day: int | None = None  # follow-ups only: the J+ day
    escalation_step: timedelta = DAY_STEP

    def __post_init__(self) -> None:
        # Kept in UTC so that every difference and every addition below counts real hours.
        object.__setattr__(self, "due_at", _utc(self.due_at))
        object.__setattr__(self, "started_at", _utc(self.started_at))

    @property
    def key(self) -> str:
        """What identifies the clock within its case (ClockNotice.clock): one per follow-up."""
        return self.name if self.day is None else f"{self.name}_{self.day}"

    @property
    def amber_from(self) -> datetime:
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


def clocks_for(case: Case, now: datetime | None = None) -> list[Clock]:
    """The clocks of a case, milestones first then follow-ups by due time. No query when the
    case's ``follow_ups`` are prefetched (list pages: ``prefetch_related("follow_ups")``)."""
    now = now or timezone.now()
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
    follow_ups = sorted(case.follow_ups.all(), key=lambda row: (row.due_on, row.day))
    for follow_up in follow_ups:
        clocks.append(
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
    return clocks


def clocks_by_case(cases: Iterable[Case], now: datetime | None = None) -> dict[int, list[Clock]]:
    """Clocks of a page of cases, keyed by case id. Give it cases fetched with
    ``prefetch_related("follow_ups")`` and it runs no query at all."""
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
    cases for which some clock of :func:`clocks_for` is red at `now`.
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
    clauses = [*_milestone_clauses("lt", cutoff), Q(Exists(late_follow_up))]
    return Q(state__in=OPEN_STATES) & reduce(operator.or_, clauses)


def _attention_filter(now: datetime) -> Q:
    """Open cases that may have a clock amber or red at `now`: a cheap superset for tick().

    Exact for clocks with a duration; for "same day" clocks amber cannot start before 3 hours (three
    quarters of at least 4 hours), and a follow-up cannot be amber before the day preceding it
    (amber lasts at most 24 hours). :meth:`Clock.levels_reached` then decides exactly.
    """
    now = _utc(now)
    today = _local_date(now)

    def cutoff(target: timedelta | str) -> datetime:
        if isinstance(target, timedelta):
            return now - target + _amber_window(target)
        return now - SAME_DAY_MINIMUM * 3 / 4

    soon = FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_on__lte=today + timedelta(days=1))
    clauses = [*_milestone_clauses("lte", cutoff), Q(Exists(soon))]
    return Q(state__in=OPEN_STATES) & reduce(operator.or_, clauses)


# --- Escalation -----------------------------------------------------------------------------------


@dataclass
class TickResult:
    """What one pass of :func:`tick` did: notices created per level, notifications, cases examined."""

    reminder: int = 0
    owner: int = 0
    coordinator: int = 0
    steering: int = 0
    notifications: int = 0
    cases: int = 0

    @property
    def notices(self) -> int:
        return self.reminder + self.owner + self.coordinator + self.steering

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
        counts = [self.reminder, self.owner, self.coordinator, self.steering]
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


class _Recipients:
    """Who receives each level. Coordinators and steering contacts are fetched once per pass."""

    def __init__(self) -> None:
        self._coordinators: list[User] | None = None
        self._steering: list[User] | None = None

    def coordinators(self) -> list[User]:
        if self._coordinators is None:
            self._coordinators = [m.user for m in memberships_with(Capability.TRIAGE_REPORTS)]
        return self._coordinators

    def steering(self) -> list[User]:
        if self._steering is None:
            contacts = Membership.objects.active().filter(is_steering_contact=True).select_related("user")
            self._steering = [m.user for m in contacts]
        return self._steering

    def owner(self, case: Case) -> list[User]:
        lead = case.lead
        if lead is not None and lead.is_active and lead.user.is_active:
            return [lead.user]
        return self.coordinators()

    def for_level(self, level: str, case: Case) -> list[User]:
        if level in (REMINDER, OWNER):
            return self.owner(case)
        if level == COORDINATOR:
            return self.coordinators()
        return self.steering()


def _title(case: Case, clock: Clock, level: str) -> str:
    """A reference and a clock, never content."""
    what = clock.label[:1].lower() + clock.label[1:]
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
    if level == COORDINATOR:
        return _("Dossier %(reference)s : %(clock)s en retard — escalade à la coordination") % values
    return _("Dossier %(reference)s : %(clock)s en retard — escalade au pilotage de la cellule") % values


def _escalate(case: Case, clock: Clock, levels: Sequence[str], recipients: _Recipients, result: TickResult) -> None:
    """Record the notices of `levels` and notify for those this pass created, in one transaction.

    The unique constraint on ClockNotice makes concurrent passes harmless: only the pass that
    creates a row sends its notification.
    """
    with transaction.atomic():
        created = [
            level
            for level in levels
            if ClockNotice.objects.get_or_create(case=case, clock=clock.key, due_at=clock.due_at, level=level)[1]
        ]
        notified: set[int] = set()
        for level in reversed(created):  # the most severe level first: one notification per person
            users = [user for user in recipients.for_level(level, case) if user.pk not in notified]
            notified.update(user.pk for user in users)
            setattr(result, level, getattr(result, level) + 1)
            if not users:
                logger.warning(
                    "Clock %s of case %s reached level %s but nobody receives it.", clock.key, case.pk, level
                )
                continue
            kind = KIND_REMINDER if level == REMINDER else KIND_ESCALATION
            rows = notify(users=users, kind=cast("Kind", kind), title=_title(case, clock, level), url=case_url(case))
            result.notifications += len(rows)


def tick(now: datetime | None = None) -> TickResult:
    """One pass over the open cases: send every reminder and escalation due at `now`, once.

    Idempotent: run it every minute. When nothing is due it costs one query.
    """
    now = _utc(now or timezone.now())
    result = TickResult()
    recipients = _Recipients()
    ids = list(Case.objects.filter(_attention_filter(now)).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = (
            Case.objects.filter(pk__in=ids[start : start + CHUNK_SIZE])
            .select_related("lead__user")
            .prefetch_related("follow_ups", "clock_notices")
            .order_by("pk")
        )
        for case in chunk:
            result.cases += 1
            sent = {(notice.clock, notice.due_at, notice.level) for notice in case.clock_notices.all()}
            for clock in clocks_for(case, now):
                levels = [level for level in clock.levels_reached(now) if (clock.key, clock.due_at, level) not in sent]
                if levels:
                    _escalate(case, clock, levels, recipients, result)
    if result.notices:
        logger.info("Clock tick: %s", result.counts())
    else:
        logger.debug("Clock tick: %s", result.counts())
    return result
