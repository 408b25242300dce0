"""List pages at scale: their number of queries does not grow with rows, their counts stop at a
bound (« plus de N »), and on PostgreSQL their first page is read from the indexes made for it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.access import cases as access
from halte.cases import clocks
from halte.cases.enums import OPEN_STATES
from halte.cases.models import Action, Case, FollowUp
from halte.core import paging

LISTS = [
    reverse("cases:list"),
    reverse("cases:list") + "?overdue=on",
    reverse("cases:list") + "?mine=on",
    reverse("cases:deadlines"),
    reverse("cases:my_actions"),
    reverse("cases:my_actions") + "?status=late",
]


def add_cases(count, *, people, start=0, state="in_intervention", school=None):
    now = timezone.now()
    school = school or people.school_a_staff.school
    cases = Case.objects.bulk_create(
        [
            Case(
                reference=f"HS-2026-{start + index:06d}",
                priority=("P1", "P2", "P3")[index % 3],
                qualification="bullying",
                state=state,
                school=school,
                lead=people.coordinator,
                opened_at=now - timedelta(days=index % 40, hours=index % 7),
            )
            for index in range(count)
        ]
    )
    Action.objects.bulk_create(
        [
            Action(
                case=case,
                title="Appeler la famille",
                owner_organisation=people.coordinator.organisation,
                due_at=now + timedelta(hours=(index % 9) - 4),
            )
            for index, case in enumerate(cases)
            for _ in range(2)
        ]
    )
    FollowUp.objects.bulk_create(
        [
            FollowUp(case=case, day=7, due_on=(now - timedelta(days=index % 3)).date())
            for index, case in enumerate(cases)
        ]
    )
    return cases


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("member", ["coordinator", "school_a_staff"])
def test_the_lists_cost_the_same_number_of_queries_for_two_cases_or_sixty(client, login, people, member):
    login(client, getattr(people, member))
    add_cases(2, people=people)
    few = {url: queries_of(client, url) for url in LISTS}
    add_cases(60, people=people, start=100)
    many = {url: queries_of(client, url) for url in LISTS}
    assert many == few


def test_a_count_above_the_bound_says_more_than(client, login, people, monkeypatch):
    monkeypatch.setattr(paging, "DEFAULT_LIMIT", 30)
    login(client, people.coordinator)
    add_cases(20, people=people)
    assert "20 dossiers" in client.get(reverse("cases:list")).content.decode()
    add_cases(20, people=people, start=100)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("cases:list")).content.decode()
    assert "Plus de 30 dossiers" in page
    counts = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT COUNT(*) FROM (SELECT "cases_case"')
    ]
    assert counts and all("LIMIT 31" in sql for sql in counts), counts
    # The pages offered stop at the bound; a page beyond shows the last one, never an error.
    last = client.get(reverse("cases:list") + "?page=99").content.decode()
    assert "HS-2026-" in last


def test_the_actions_count_is_bounded_too(client, login, people, monkeypatch):
    monkeypatch.setattr(paging, "DEFAULT_LIMIT", 10)
    login(client, people.coordinator)
    add_cases(8, people=people)
    assert "Plus de 10 actions" in client.get(reverse("cases:my_actions")).content.decode()


def test_my_deadlines_show_the_soonest_whatever_the_number_of_my_cases(client, login, people, monkeypatch):
    """« Mes échéances » shows a bounded number of rows, and they are the soonest of all my cases — not
    the clocks of whichever cases the database happened to return first."""
    from halte.cases import views

    monkeypatch.setattr(views, "DEADLINES_SHOWN", 3)
    login(client, people.coordinator)
    cases = add_cases(12, people=people)
    Action.objects.all().delete()
    FollowUp.objects.all().delete()
    now = timezone.now()
    Case.objects.update(taken_in_charge_at=now, first_measure_at=now, cell_meeting_at=now)
    # The soonest checkpoints belong to the last cases created: a first-come selection misses them.
    for index, case in enumerate(cases):
        FollowUp.objects.create(case=case, day=7, due_on=(now + timedelta(days=40 - index)).date())
    page = client.get(reverse("cases:deadlines")).content.decode()
    soonest = [case.reference for case in cases[-3:]]
    for reference in soonest:
        assert reference in page, reference
    assert cases[0].reference not in page
    assert "9 autres échéances, plus lointaines" in page


def test_my_deadlines_count_stops_at_the_bound(client, login, people, monkeypatch):
    """Beyond the rows shown, the other pending clocks are counted up to the bound, then « plus de »."""
    from halte.cases import views

    monkeypatch.setattr(views, "DEADLINES_SHOWN", 3)
    monkeypatch.setattr(paging, "DEFAULT_LIMIT", 10)
    login(client, people.coordinator)
    add_cases(1, people=people)  # a P1 case: 3 milestones, 2 actions and a follow-up pending
    page = client.get(reverse("cases:deadlines")).content.decode()
    assert "Et 3 autres échéances, plus lointaines" in page
    add_cases(8, people=people, start=100)
    page = client.get(reverse("cases:deadlines")).content.decode()
    assert "Et plus de 7 autres échéances, plus lointaines" in page


# --- PostgreSQL: the plans ------------------------------------------------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans: PostgreSQL")


@pytest.fixture
def many_cases(people):
    """A realistic shape: most cases closed, a tenth open, two actions each (most of them done)."""
    other = type(people.school_b_staff.school).objects.exclude(pk=people.school_a_staff.school.pk).first()
    add_cases(9000, people=people, start=100000, state="closed", school=other)
    add_cases(1000, people=people, start=200000, school=other)
    add_cases(300, people=people, start=300000)
    Action.objects.filter(case__state="closed").update(status="done")
    with connection.cursor() as cursor:
        for model in (Case, Action, FollowUp):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return people


def plan(queryset) -> str:
    return queryset.explain()


def list_queryset(membership, *extra):
    return (
        access.visible_cases(membership)
        .filter(*extra, merged_into__isnull=True, state__in=OPEN_STATES)
        .order_by("priority", "opened_at", "id")[:25]
    )


@on_postgresql
def test_the_list_queries_are_read_from_their_indexes(many_cases):
    """One test for the four plans: the data set costs more than the plans."""
    # The first page of open cases, in the index's order: no sort of every open case.
    found = plan(list_queryset(many_cases.coordinator))
    assert "case_open_list_idx" in found, found
    assert "Sort" not in found.split("\n")[1], found

    # A school's cases: each branch of the union reads by school, no case is read otherwise.
    found = plan(list_queryset(many_cases.school_a_staff))
    assert "Seq Scan on cases_case " not in found, found
    assert "Index Cond: (school_id = " in found, found

    # « En retard »: late core actions come from their partial index, not from every action.
    found = plan(list_queryset(many_cases.coordinator, clocks.overdue_filter(timezone.now())))
    assert "Seq Scan on cases_action" not in found, found
    assert "action_open_core_idx" in found, found

    # « Nos actions »: the open actions owed, soonest due first.
    owed = access.owed_actions(many_cases.coordinator).filter(status="open").order_by("due_at", "id")[:25]
    found = plan(owed)
    assert "action_open_owed_idx" in found, found


@on_postgresql
def test_the_first_pages_of_my_actions_and_deadlines_are_read_from_their_indexes(many_cases, client, login):
    """The queries the pages run, read from their indexes: no open action, follow-up or pending
    milestone is found by reading a whole table."""
    from halte.cases import deadlines

    # As in a cell: follow-ups of closed cases done, most milestones recorded, the coordinator leading a
    # part of the open cases only.
    now = timezone.now()
    FollowUp.objects.filter(case__state="closed").update(done_at=now)
    Case.objects.filter(reference__gte="HS-2026-200100").update(
        taken_in_charge_at=now, first_measure_at=now, cell_meeting_at=now, lead=many_cases.education_referent
    )
    with connection.cursor() as cursor:
        for model in (Case, Action, FollowUp):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    login(client, many_cases.coordinator)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("cases:my_actions")).status_code == 200
        assert client.get(reverse("cases:deadlines")).status_code == 200
    plans = {}
    for query in captured.captured_queries:
        sql = query["sql"]
        if "cases_action" in sql or "cases_followup" in sql:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {sql}")
                plans[sql] = "\n".join(row[0] for row in cursor.fetchall())
    everything = "\n".join(plans.values())
    for table in ("cases_action", "cases_followup"):
        assert f"Seq Scan on {table} " not in everything, everything

    # « Nos actions »: its page from the open actions owed, in order.
    page = next(
        found for sql, found in plans.items() if sql.startswith('SELECT "cases_action"."id"') and "LIMIT 25" in sql
    )
    # From the member's organisation's open actions by an index on the owner (the partial one in due order,
    # or the owner/status one and a sort of those rows: the planner picks by the statistics of the run).
    assert "action_open_owed_idx" in page or "action_owner_idx" in page, page

    # « Mes échéances »: pending milestones from their partial indexes (not every open case), pending
    # follow-ups and open actions from indexes (which ones depends on how many cases are the member's).
    rows = plan(deadlines._union(deadlines._parts(many_cases.coordinator), 200, ordered=True))
    for index in ("case_pending_charge_idx", "case_pending_measure_idx", "case_pending_meeting_idx"):
        assert index in rows, rows
    assert "Seq Scan on cases_followup" not in rows and "Seq Scan on cases_action" not in rows, rows
