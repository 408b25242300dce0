"""« Mes échéances » computed by the database: the pending clocks of a member's open cases, soonest first.

:func:`halte.cases.clocks.clocks_for` builds a case's clocks in Python; the page needs the soonest of
every open case the member leads or works on, which at a national scale is tens of thousands of cases.
Here each kind of pending clock is a query that computes its due instant as the clocks do:

- a milestone (take charge, first measure, cell meeting) not yet recorded: the opening plus its
  priority's target (:mod:`halte.cases.targets`), or "same day": the end of the local day of opening,
  at least 4 hours after it;
- a follow-up not yet done: the end of its local day;
- an open action with a due time, of a compartment the member reads on its case
  (:func:`halte.access.cases.readable_actions`).

The three are one ``UNION ALL`` ordered by (due instant, case, the order ``clocks_for`` gives a case's
clocks); on PostgreSQL each part is cut to the rows shown first, so that the database reads only those
from its indexes. The rows become :class:`~halte.cases.clocks.Clock` objects, whose state is computed
as everywhere else. The number of pending clocks is counted up to a bound (« plus de N » beyond).
``tests/cases/test_deadline_selection.py`` checks all this against the Python evaluation.

Local days are Europe/Paris (``settings.TIME_ZONE``): PostgreSQL converts with ``AT TIME ZONE``;
SQLite, which has no time zones, gets the same conversion as a Python function of its connection.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Case as Choose
from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Field,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Greatest, TruncDate
from django.urls import reverse
from django.utils.translation import gettext as _

from halte.access import cases as access

from . import clocks
from . import targets as targets_module
from .enums import OPEN_STATES, ActionStatus, Priority
from .models import Action, Case, FollowUp

# What each row of the union carries, in this order (the same in every part).
COLUMNS = (
    "k_case",
    "k_reference",
    "k_public",
    "k_priority",
    "k_due",
    "k_started",
    "k_rank",
    "k_key",
    "k_day",
    "k_action",
    "k_title",
)
# Within a case and a due instant, the order clocks_for gives: milestones, follow-ups, actions.
FOLLOW_UP_RANK = len(clocks.MILESTONES)
ACTION_RANK = FOLLOW_UP_RANK + 1
ORDER = ("k_due", "k_case", "k_rank", "k_key")


class EndOfLocalDay(Func):
    """The last instant of a local day (23:59:59.999999 in ``settings.TIME_ZONE``) as a datetime, as
    ``clocks._end_of_day`` computes it: the next local midnight less a microsecond."""

    function = "halte_end_of_local_day"  # PostgreSQL and SQLite below; no other database
    output_field = DateTimeField()

    def as_postgresql(self, compiler, connection, **extra):
        day, params = compiler.compile(self.source_expressions[0])
        sql = f"((((({day})::date + 1)::timestamp) AT TIME ZONE %s) - interval '1 microsecond')"
        return sql, (*params, settings.TIME_ZONE)

    def as_sqlite(self, compiler, connection, **extra):
        day, params = compiler.compile(self.source_expressions[0])
        return f"halte_end_of_local_day({day}, %s)", (*params, settings.TIME_ZONE)


def end_of_local_day(day: str | None, zone: str) -> str | None:
    """SQLite's EndOfLocalDay: a day ('YYYY-MM-DD…') to the UTC instant as Django stores datetimes."""
    if day is None:
        return None
    end = datetime.combine(date.fromisoformat(str(day)[:10]), time.max, tzinfo=ZoneInfo(zone))
    return str(end.astimezone(UTC).replace(tzinfo=None))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("halte_end_of_local_day", 2, end_of_local_day, deterministic=True)


def _at(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DateTimeField())


def _milestone_due(name: str) -> tuple[Choose, list[str]]:
    """The due instant of a milestone by the case's priority, and the priorities that have it."""
    whens, priorities = [], []
    for priority in Priority.values:
        target = targets_module.targets(priority).get(name)
        if target is None:
            continue
        due: Expression
        if isinstance(target, str):  # SAME_DAY: the end of the local day of opening, at least 4 hours after
            local_day = TruncDate("opened_at", tzinfo=ZoneInfo(settings.TIME_ZONE))
            due = Greatest(EndOfLocalDay(local_day), _at(F("opened_at") + clocks.SAME_DAY_MINIMUM))
        else:
            due = _at(F("opened_at") + target)
        whens.append(When(priority=priority, then=due))
        priorities.append(priority)
    return Choose(*whens, output_field=DateTimeField()), priorities


def my_open_cases(membership) -> QuerySet[Case]:
    """The open cases the member sees and leads or works on."""
    co_worker = Case.co_workers.through.objects.filter(case_id=OuterRef("pk"), membership_id=membership.pk)
    return (
        access.visible_cases(membership).filter(state__in=OPEN_STATES).filter(Q(lead=membership) | Q(Exists(co_worker)))
    )


def _columns(queryset: QuerySet, **values) -> QuerySet:
    return queryset.annotate(**values).values(*COLUMNS).order_by()


def _parts(membership) -> list[tuple[QuerySet, tuple[str, ...]]]:
    """The query of each kind of pending clock, with an order that gives its rows as ``ORDER`` does and
    that an index can give (a follow-up's end of day grows with its day)."""
    mine = my_open_cases(membership)
    text: Field = CharField()
    number: Field = IntegerField()
    no_number = Cast(Value(None), number)
    parts: list[tuple[QuerySet, tuple[str, ...]]] = []
    for rank, (name, field) in enumerate(clocks.MILESTONES):
        due, priorities = _milestone_due(name)
        if not priorities:
            continue
        pending = mine.filter(priority__in=priorities, **{f"{field}__isnull": True})
        columns = _columns(
            pending,
            k_case=F("pk"),
            k_reference=F("reference"),
            k_public=F("public_id"),
            k_priority=F("priority"),
            k_due=due,
            k_started=F("opened_at"),
            k_rank=Value(rank, output_field=number),
            k_key=Value(name, output_field=text),
            k_day=no_number,
            k_action=no_number,
            k_title=Value("", output_field=text),
        )
        parts.append((columns, ORDER))
    mine_ids = mine.order_by().values("pk")
    follow_ups = _columns(
        FollowUp.objects.filter(case__in=mine_ids, done_at__isnull=True),
        k_case=F("case_id"),
        k_reference=F("case__reference"),
        k_public=F("case__public_id"),
        k_priority=F("case__priority"),
        k_due=EndOfLocalDay(F("due_on")),
        k_started=F("case__opened_at"),
        k_rank=Value(FOLLOW_UP_RANK, output_field=number),
        k_key=Concat(Value(f"{targets_module.FOLLOW_UP}_"), Cast("day", text), output_field=text),
        k_day=Cast("day", number),
        k_action=no_number,
        k_title=Value("", output_field=text),
    )
    parts.append((follow_ups, ("due_on", "case_id", "k_key")))
    actions = _columns(
        Action.objects.filter(case__in=mine_ids, status=ActionStatus.OPEN, due_at__isnull=False).filter(
            access.readable_actions(membership)
        ),
        k_case=F("case_id"),
        k_reference=F("case__reference"),
        k_public=F("case__public_id"),
        k_priority=F("case__priority"),
        k_due=F("due_at"),
        k_started=F("created_at"),
        k_rank=Value(ACTION_RANK, output_field=number),
        k_key=Concat(Value(f"{clocks.ACTION}_"), Cast("id", text), output_field=text),
        k_day=no_number,
        k_action=F("id"),
        k_title=F("title"),
    )
    parts.append((actions, ("due_at", "case_id", "k_key")))
    return parts


def _union(parts: list[tuple[QuerySet, tuple[str, ...]]], cut: int, *, ordered: bool) -> QuerySet:
    """The parts as one UNION ALL; on PostgreSQL each part cut to its first `cut` rows (in order when
    `ordered`), so that the database reads no more of any part."""
    if connection.features.supports_slicing_ordering_in_compound:
        queries = [(query.order_by(*order) if ordered else query)[:cut] for query, order in parts]
    else:
        queries = [query for query, _order in parts]
    first, *others = queries
    return first.union(*others, all=True)


def _clock(row: dict) -> clocks.Clock:
    """The clock of a row, as :func:`clocks.clocks_for` builds it (pending: no done time)."""
    rank, due, started = row["k_rank"], row["k_due"], row["k_started"]
    if rank == ACTION_RANK:
        return clocks.Clock(
            name=clocks.ACTION,
            label=_("Action : %(title)s") % {"title": row["k_title"]},
            due_at=due,
            done_at=None,
            started_at=min(started, due),
            escalation_step=clocks.DAY_STEP,
            action_id=row["k_action"],
            amber_window=clocks.ACTION_AMBER,
        )
    if rank == FOLLOW_UP_RANK:
        return clocks.Clock(
            name=targets_module.FOLLOW_UP,
            label=_("Point de suivi J+%(day)d") % {"day": row["k_day"]},
            due_at=due,
            done_at=None,
            started_at=started,
            day=row["k_day"],
            escalation_step=clocks.DAY_STEP,
        )
    name = row["k_key"]
    target = targets_module.targets(row["k_priority"])[name]
    step = max(target, clocks.MINIMUM_STEP) if not isinstance(target, str) else clocks.DAY_STEP
    return clocks.Clock(
        name=name,
        label=str(targets_module.CLOCK_LABELS[name]),
        due_at=due,
        done_at=None,
        started_at=started,
        escalation_step=step,
    )


@dataclass(frozen=True)
class CaseRef:
    """What a row says of its case (a model instance would compute every field's default)."""

    pk: int
    reference: str
    public_id: uuid.UUID
    priority: str
    url: str  # the case page, reversed once per case rather than once per row


@dataclass
class Deadlines:
    rows: list[dict]  # {"case": CaseRef, "clock": Clock}, soonest first
    counted: int  # the pending clocks, counted up to the bound
    more: bool  # more than the bound: « plus de »

    @property
    def further(self) -> int:
        """The pending clocks counted beyond those shown."""
        return self.counted - len(self.rows)


def pending_clocks(membership, *, shown: int, bound: int) -> Deadlines:
    """The `shown` soonest pending clocks of the member's open cases (late ones first), and how many
    are pending in all, counted up to `bound`. Two queries."""
    parts = _parts(membership)
    rows = list(_union(parts, shown, ordered=True).order_by(*ORDER)[:shown])
    # Counted on the case column alone: the due instants, references and titles are not computed.
    counting = [(query.values("k_case"), order) for query, order in parts]
    counted = _union(counting, bound + 1, ordered=False)[: bound + 1].count()
    cases: dict[int, CaseRef] = {}
    result = []
    for row in rows:
        case = cases.get(row["k_case"])
        if case is None:
            url = reverse("cases:detail", args=[row["k_public"]])
            case = cases[row["k_case"]] = CaseRef(
                row["k_case"], row["k_reference"], row["k_public"], row["k_priority"], url
            )
        result.append({"case": case, "clock": _clock(row)})
    return Deadlines(rows=result, counted=min(counted, bound), more=counted > bound)
