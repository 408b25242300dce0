"""``clocks.due_by_filter``: the database's superset of the open cases with a pending clock due by a
moment. The home's « étapes dues » trusts it to miss nothing, so it is checked against the exact
clocks on cases of every priority, opened at many instants, with follow-ups and actions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from halte.cases import clocks
from halte.cases.models import Action, Case, FollowUp
from halte.www.today import end_of_today

pytestmark = pytest.mark.django_db


def _exact(case, until, now):
    return any(c.done_at is None and c.due_at <= until for c in clocks.clocks_for(case, now))


def test_every_case_with_a_clock_due_by_the_end_of_today_is_in_the_filter(people):
    now = timezone.now()
    until = end_of_today(now)
    owner = people.coordinator.organisation
    index = 0
    for priority in ("P1", "P2", "P3", "P4"):
        for hours in (0, 1, 3, 5, 20, 23, 25, 47, 49, 71, 73, 24 * 6, 24 * 8, 24 * 13, 24 * 15, 24 * 40):
            index += 1
            case = Case.objects.create(
                reference=f"HS-2026-{index:06d}",
                priority=priority,
                qualification="bullying",
                state="triaged",
                opened_at=now - timedelta(hours=hours),
            )
            if hours in (25, 24 * 8):
                case.taken_in_charge_at = now
                case.first_measure_at = now
                case.cell_meeting_at = now
                case.save()
                FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate(now) + timedelta(days=hours % 3))
            if hours == 49:
                Action.objects.create(
                    case=case,
                    title="Action",
                    owner_organisation=owner,
                    due_at=now + timedelta(hours=2),
                    created_by=people.coordinator,
                )
    # A closed case never is, whatever its clocks.
    Case.objects.create(
        reference="HS-2026-999999",
        priority="P1",
        qualification="bullying",
        state="closed",
        opened_at=now - timedelta(days=3),
        closed_at=now,
    )
    selected = set(Case.objects.filter(clocks.due_by_filter(until)).values_list("pk", flat=True))
    expected = {case.pk for case in Case.objects.all() if _exact(case, until, now)}
    assert expected  # the test has something to check
    assert expected <= selected
    assert Case.objects.get(reference="HS-2026-999999").pk not in selected
    # A superset, but not everything: a P4 case opened an hour ago owes nothing today.
    p4_fresh = Case.objects.get(priority="P4", opened_at=now - timedelta(hours=1))
    assert p4_fresh.pk not in selected
