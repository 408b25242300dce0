"""The dashboard at scale, on PostgreSQL: tens of thousands of cases written by the database
(:mod:`tests.stats.bulk`), figures checked against hand-written SQL (:mod:`halte.stats.floor_sql`), a
query count that does not grow with the rows, and plans without a subquery run once per row."""

from __future__ import annotations

import math
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.stats import figures, floor_sql, periods
from halte.stats import tables as t
from halte.stats.filters import Filters

from .bulk import populate
from .conftest import rows_of_html_table

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL at scale")

DASHBOARD = reverse("stats:dashboard")
# The dashboard's queries, whatever the number of cases (session, membership, notifications included).
DASHBOARD_QUERIES = 22
MANY = 20_000
CASE_TABLES = ("cases_case", "reports_report", "cases_involvement", "cases_transition", "meetings_agendaitem")


def _populate(n, schools, people):
    now = timezone.now()
    populate(n, now=now, school_ids=[school.pk for school in schools.values()], actor_id=people.coordinator.pk)
    return now


def _dashboard_queries(client, login, people, query=None) -> list[dict]:
    login(client, people.analyst)
    client.get(DASHBOARD)  # sessions and caches warmed up
    with CaptureQueriesContext(connection) as captured:
        response = client.get(DASHBOARD, query or {})
    assert response.status_code == 200
    return captured.captured_queries


def _per_row_subplans(plan: str) -> list[str]:
    """The subqueries a plan runs again for each row: referenced as "(SubPlan n)". A "hashed SubPlan" is
    run once into a hash table, an "InitPlan" once."""
    return [reference for hashed, reference in re.findall(r"(hashed )?(SubPlan \d+)\)", plan) if not hashed]


def _plans_of_the_figures(queries: list[dict]) -> list[tuple[str, str]]:
    # The figures over cases and what hangs on them (prevention's coverage reads the directory, one row
    # per school, whatever the number of cases).
    figures_queries = [query["sql"] for query in queries if any(f'"{table}"' in query["sql"] for table in CASE_TABLES)]
    assert len(figures_queries) >= 10
    plans = []
    with connection.cursor() as cursor:
        for sql in figures_queries:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def _periods(now):
    current = periods.current_school_year(now)
    return [periods.school_year(current), periods.school_year(current - 1)]


def _cells(table: t.Table) -> dict[str, list]:
    return {row.label: row.cells for row in table.rows}


def _close(hours: float | None, seconds: float | None) -> bool:
    if hours is None or seconds is None:
        return hours is None and seconds is None
    return math.isclose(hours * figures.HOUR, seconds, rel_tol=1e-9, abs_tol=1e-6)


@pytest.fixture
def many(people, schools):
    return _populate(MANY, schools, people)


def test_the_bulk_population_is_what_the_figures_need(many):
    from halte.cases.models import Case, Involvement, Transition
    from halte.reports.models import Report

    assert Case.objects.count() == MANY
    assert Case.objects.filter(merged_into__isnull=False).exists()
    assert Case.objects.filter(reports__isnull=True).exists()  # delays from the opening
    assert Report.objects.filter(case__isnull=True).exists()
    assert Transition.objects.filter(name="reopen").exists()
    assert Involvement.objects.filter(role="alleged_author").count() == MANY


def test_figures_equal_the_hand_written_sql(many):
    for period in _periods(many):
        starts_at, ends_at = period.range()
        ctx = figures.Context(filters=Filters(period=period), now=many)

        priorities, _clocks = figures.priorities_and_clocks(ctx)
        expected = floor_sql.priorities(starts_at, ends_at)
        assert sum(expected.values()) > 1000
        assert [row.cells[0] for row in priorities.rows] == [
            t.Count(expected.get(p, 0)) for p in ("P1", "P2", "P3", "P4")
        ]

        (delays,) = figures.delays(ctx)
        floor = floor_sql.delays(starts_at, ends_at)
        for row, step in zip(delays.rows, floor_sql.DELAY_STEPS, strict=True):
            n, median, p90 = floor[step]
            assert n > 100
            assert row.cells[0] == t.Count(n)
            assert _close(row.cells[1].hours, median), (step, row.cells[1], median)
            assert _close(row.cells[2].hours, p90), (step, row.cells[2], p90)

        (people_table,) = figures.repeated_people(ctx)
        floor_people = floor_sql.repeated_people(starts_at, ends_at)
        cells = list(_cells(people_table).values())
        for cells_of_role, role in zip(cells, ("alleged_author", "victim"), strict=True):
            people, repeated = floor_people[role]
            assert 0 < repeated < people or role == "alleged_author"
            assert cells_of_role[:2] == [t.Count(people), t.Count(repeated)]

        (reopen_table,) = figures.reopenings(ctx)
        windows = tuple(window for _months, window in figures.REOPEN_WINDOWS)
        closed_6, reopened_6, closed_12, reopened_12 = floor_sql.reopenings(starts_at, ends_at, many, windows)
        six, twelve = reopen_table.rows
        assert six.cells[:2] == [t.Count(closed_6), t.Count(reopened_6)]
        assert twelve.cells[:2] == [t.Count(closed_12), t.Count(reopened_12)]
    # The previous school year has closings old enough to be observed, some reopened, some not.
    assert 0 < reopened_12 < closed_12


def test_the_dashboard_runs_as_many_queries_with_200_cases(client, login, people, schools):
    _populate(200, schools, people)
    assert len(_dashboard_queries(client, login, people)) == DASHBOARD_QUERIES


def test_the_dashboard_runs_as_many_queries_with_many_cases_and_no_subquery_per_row(many, client, login, people):
    queries = _dashboard_queries(client, login, people)
    assert len(queries) == DASHBOARD_QUERIES
    page = client.get(DASHBOARD).content.decode()
    assert int(rows_of_html_table(page, "dossiers-priorites")["Total"][0].replace("\u202f", "")) > 1000
    plans = _plans_of_the_figures(queries)
    for sql, plan in plans:
        assert not _per_row_subplans(plan), (sql, plan)
    assert any("percentile_cont" in sql and "MATERIALIZED" in sql for sql, _plan in plans)
    # With the channel filter (a case's channel is that of its first report), the same.
    queries = _dashboard_queries(client, login, people, {"canal": "phone"})
    assert len(queries) == DASHBOARD_QUERIES
    for sql, plan in _plans_of_the_figures(queries):
        assert not _per_row_subplans(plan), (sql, plan)


def test_a_subquery_run_for_each_row_is_told_from_one_run_once():
    per_row = (
        "Aggregate\n  ->  Seq Scan on cases_case\n  Filter: (COALESCE((SubPlan 1), opened_at) > now())\n  SubPlan 1"
    )
    hashed = "Seq Scan on cases_case\n  Filter: (hashed SubPlan 1)\n  SubPlan 1\n    ->  Seq Scan on reports_report"
    assert _per_row_subplans(per_row) == ["SubPlan 1"]
    assert _per_row_subplans(hashed) == []


def test_jit_is_off_for_the_applications_connections(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
