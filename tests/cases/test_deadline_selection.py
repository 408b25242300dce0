"""« Mes échéances » selected in SQL gives what the clocks computed in Python give.

The page used to build every clock of every open case of the member in Python and keep the soonest.
The database now computes each pending clock's due instant (milestones from the priority's targets,
"same day" at the end of the local day of opening, follow-ups at the end of their local day, actions)
and returns the first ones in order. The reference below is the former evaluation, kept as it was:
on a varied world (every priority, milestones recorded or not, DST changes, late evenings, follow-ups
and actions done or pending, every compartment, shares, a conflict of interest, co-workers, ties on
the due instant), the two must give the same rows, in the same order, with the same states at every
instant of a walk over the days around both changes of time.
"""

import heapq
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from halte.access import cases as access
from halte.cases import clocks, deadlines
from halte.cases.enums import OPEN_STATES, Compartment
from halte.cases.models import Action, Case, ConflictOfInterest, FollowUp, Share

PARIS = ZoneInfo("Europe/Paris")
MEMBERS = ["coordinator", "social_worker", "magistrate", "education_referent", "school_a_staff", "police"]


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def python_deadlines(membership, now, shown):
    """The former « Mes échéances »: every clock of every open case of mine, in Python."""
    from django.db.models import Exists, OuterRef, Q

    mine = (
        access.visible_cases(membership)
        .filter(state__in=OPEN_STATES)
        .filter(
            Q(lead=membership)
            | Exists(Case.co_workers.through.objects.filter(case_id=OuterRef("pk"), membership_id=membership.pk))
        )
        .prefetch_related(*clocks.prefetch(), *access.COMPARTMENT_PREFETCH)
        .order_by("pk")
    )
    pending = [
        {"case": case, "clock": clock}
        for case in mine
        for clock in clocks.clocks_for(case, now, readable=access.compartments(membership, case))
        if clock.done_at is None
    ]
    due = heapq.nsmallest(shown, pending, key=lambda row: (row["clock"].due_at, row["case"].pk))
    return due, len(pending)


def described(rows, now):
    return [
        (row["case"].pk, row["case"].reference, clock.key, clock.label, clock.due_at, clock.state(now))
        for row in rows
        for clock in [row["clock"]]
    ]


def build_world(people, seed: int, start: datetime, days: int) -> None:
    """Cases opened over `days` days from `start`, of every shape the page meets."""
    rng = random.Random(seed)
    members = [getattr(people, name) for name in MEMBERS]
    schools = [people.school_a_staff.school, people.school_b_staff.school]
    organisations = [people.coordinator.organisation, people.social_worker.organisation, people.police.organisation]
    states = [*OPEN_STATES, *OPEN_STATES, "closed", "redirected"]
    for index in range(70):
        opened = start + timedelta(minutes=rng.randrange(days * 24 * 60))
        if index % 9 == 0:  # late evenings: "same day" stretched to 4 hours, over midnight
            opened = opened.astimezone(PARIS).replace(hour=23, minute=rng.choice([0, 30, 59]))
        recorded = opened + timedelta(hours=rng.randrange(1, 60))
        case = Case.objects.create(
            reference=f"HS-2026-{seed * 1000 + index:06d}",
            priority=rng.choice(["P1", "P2", "P3", "P4"]),
            qualification="bullying",
            state=rng.choice(states),
            school=rng.choice(schools),
            lead=rng.choice([*members, None]),
            opened_at=opened,
            closed_at=recorded if rng.random() < 0.2 else None,
            taken_in_charge_at=recorded if rng.random() < 0.5 else None,
            first_measure_at=recorded if rng.random() < 0.3 else None,
            cell_meeting_at=recorded if rng.random() < 0.3 else None,
        )
        case.co_workers.add(*rng.sample(members, rng.randrange(3)))
        if rng.random() < 0.3:
            case.other_schools.add(rng.choice(schools))
        for day in rng.sample([7, 15, 30, 90], rng.randrange(4)):
            FollowUp.objects.create(
                case=case,
                day=day,
                due_on=(opened + timedelta(days=rng.randrange(-2, 12))).astimezone(PARIS).date(),
                done_at=recorded if rng.random() < 0.3 else None,
            )
        shared_due = opened + timedelta(hours=rng.randrange(2, 200))
        for _ in range(rng.randrange(5)):
            done = rng.random() < 0.3
            Action.objects.create(
                case=case,
                title=f"Action {rng.randrange(100)}",
                compartment=rng.choice(Compartment.values),
                owner_organisation=rng.choice(organisations),
                # Ties on the due instant within a case, and actions without a due time.
                due_at=rng.choice([shared_due, opened + timedelta(hours=rng.randrange(-5, 300)), None]),
                status=rng.choice(["done", "cancelled"]) if done else "open",
                done_at=recorded if done else None,
                created_at=opened + timedelta(minutes=rng.randrange(600)),
            )
        if rng.random() < 0.3:
            Share.objects.create(
                case=case,
                organisation=rng.choice(
                    [people.police.organisation, people.school_a_staff.organisation, people.social_worker.organisation]
                ),
                compartments=rng.sample(
                    [Compartment.CORE, Compartment.HEALTH, Compartment.JUDICIAL], rng.randrange(1, 3)
                ),
                legal_basis="art_40",
                expires_on=timezone.localdate() + timedelta(days=rng.choice([-1, 0, 30])),
                revoked_at=timezone.now() if rng.random() < 0.2 else None,
                created_by=people.coordinator,
            )
        if index % 17 == 5:
            ConflictOfInterest.objects.create(
                case=case,
                organisation=rng.choice([people.coordinator.organisation, people.social_worker.organisation]),
                reason="Lien familial",
                decided_by=people.coordinator,
            )


@pytest.mark.parametrize(
    ("seed", "start", "walk_from"),
    [
        (1, paris("2026-03-20 08:00"), paris("2026-03-27 00:00")),  # spring forward on 29 March
        (2, paris("2026-10-18 08:00"), paris("2026-10-24 00:00")),  # fall back on 25 October
    ],
)
def test_the_sql_selection_gives_the_former_rows_in_order_with_their_states(people, seed, start, walk_from):
    build_world(people, seed, start, days=10)
    for name in MEMBERS:
        membership = getattr(people, name)
        for shown in (3, 200):
            expected, total = python_deadlines(membership, walk_from, shown)
            found = deadlines.pending_clocks(membership, shown=shown, bound=1000)
            assert found.counted == total and not found.more, name
            assert found.further == total - len(expected), name
            assert all(row["case"].url == f"/dossiers/{row['case'].public_id}/" for row in found.rows)
            instant = walk_from
            while instant < walk_from + timedelta(days=5):
                assert described(found.rows, instant) == described(expected, instant), (name, shown, instant)
                instant += timedelta(hours=5, minutes=10)


def test_the_count_stops_at_its_bound(people):
    build_world(people, 3, paris("2026-11-20 08:00"), days=10)
    membership = people.coordinator
    _rows, total = python_deadlines(membership, timezone.now(), 5)
    assert total > 8
    found = deadlines.pending_clocks(membership, shown=5, bound=8)
    assert found.more and found.counted == 8 and found.further == 3
    exact = deadlines.pending_clocks(membership, shown=5, bound=total)
    assert not exact.more and exact.counted == total


def test_the_end_of_a_local_day_is_the_one_python_computes(people):
    """The database's end of a Paris day, across both changes of time, in winter and in summer."""
    from django.db.models import DateField, Value

    Case.objects.create(reference="HS-2026-999999", priority="P4", qualification="bullying")
    for day in (date(2026, 3, 28), date(2026, 3, 29), date(2026, 7, 14), date(2026, 10, 25), date(2026, 12, 31)):
        end = (
            Case.objects.annotate(end=deadlines.EndOfLocalDay(Value(day, output_field=DateField())))
            .values_list("end", flat=True)
            .get()
        )
        assert end == clocks._end_of_day(day), day
