"""Dropping a whole month of the journal past its retention, and nothing else.

Old days are written as the chain trigger would have written them on those days: the rows are
inserted now, then their links moved to the old day and recomputed (past the triggers, as the
database's owner), so that ``verify_journal`` finds them whole before the drop.
"""

from datetime import UTC, date, datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from halte.audit import chain, months, verify
from halte.audit.journal import record
from halte.audit.models import Action, AuditEvent, ChainLink, DroppedMonth
from halte.core import retention

from .chaintools import past_the_triggers, seal_now

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own guards")


def write_old_day(day: date, count: int) -> list[int]:
    """``count`` journal rows chained on ``day`` (UTC) as the trigger would have chained them."""
    seal_now()
    events = []
    for n in range(count):
        event = AuditEvent(action=Action.CASE_READ, detail={"n": n, "day": day.isoformat()})
        event.at = datetime(day.year, day.month, day.day, 10, n, tzinfo=UTC)
        event.save(force_insert=True)
        events.append(event)
    previous = chain.genesis(day)
    with past_the_triggers() as cursor:
        for seq, event in enumerate(events, start=1):
            previous = chain.step(previous, event.digest, event.pk)
            cursor.execute(
                "UPDATE audit_chainlink SET day = %s, seq = %s, hash = %s WHERE event_id = %s",
                [day, seq, previous, event.pk],
            )
    return [event.pk for event in events]


@pytest.fixture
def old_journal(db):
    today = timezone.now().astimezone(UTC).date()
    two_years = today.replace(year=today.year - 2, day=1)
    old = {
        "dropped_a": write_old_day(two_years.replace(day=3), 3),
        "dropped_b": write_old_day(two_years.replace(day=20), 2),
        "next_month": write_old_day(months._next_month(two_years).replace(day=1), 2),
        "recent": write_old_day(today.replace(day=1), 1) if today.day > 1 else [],
    }
    assert verify.verify().ok
    return two_years, old


def test_a_month_past_retention_goes_whole_and_the_rest_still_verifies(old_journal):
    month, old = old_journal
    heads_before = {day: verify.check_day(day).head for day in verify.chained_days()}
    assert month in months.droppable_months()
    removed = months.drop_month(month)
    assert removed == 5
    assert not AuditEvent.objects.filter(pk__in=old["dropped_a"] + old["dropped_b"]).exists()
    assert not ChainLink.objects.filter(day__gte=month, day__lt=months._next_month(month)).exists()
    assert AuditEvent.objects.filter(pk__in=old["next_month"]).count() == 2
    assert DroppedMonth.objects.get().rows == 5
    # The checkpoint row, written before the drop, states each day; the drop row follows.
    checkpoint = AuditEvent.objects.get(action=Action.JOURNAL_MONTH_DROPPING)
    assert checkpoint.detail["rows"] == 5
    assert checkpoint.detail["days"] == {
        day.isoformat(): [head.count, head.head]
        for day, head in heads_before.items()
        if day.month == month.month and day.year == month.year
    }
    assert AuditEvent.objects.filter(action=Action.JOURNAL_MONTH_DROPPED, detail__rows=5).exists()
    # The DPO's daily checkpoints of the dropped days still match, from the journal's own row.
    outcome = verify.verify(checkpoints=list(heads_before.values()))
    assert outcome.ok, [b.describe() for b in outcome.breaks]


def test_a_day_that_vanished_without_a_checkpoint_row_is_still_a_break(old_journal):
    _, old = old_journal
    heads_before = [verify.check_day(day).head for day in verify.chained_days()]
    with past_the_triggers() as cursor:  # the owner removes a day by hand, not through drop_month
        ids = ",".join(str(pk) for pk in old["next_month"])
        cursor.execute(f"DELETE FROM audit_chainlink WHERE event_id IN ({ids})")  # noqa: S608
        cursor.execute(f"DELETE FROM audit_auditevent WHERE id IN ({ids})")  # noqa: S608
    outcome = verify.verify(checkpoints=heads_before)
    assert not outcome.ok
    assert "réécrit" in outcome.breaks[0].describe()


def test_a_month_within_retention_is_refused(old_journal):
    today = timezone.now().astimezone(UTC).date()
    recent = today.replace(year=today.year - 1, day=1)  # the next month's first day is within the year
    with pytest.raises(months.MonthNotDroppable):
        months.drop_month(months._next_month(recent))
    assert months._next_month(recent) not in months.droppable_months()
    with pytest.raises(months.MonthNotDroppable):
        months.drop_month(old_journal[0].replace(day=2))  # not a whole month


def test_a_month_whose_chain_is_broken_is_kept_as_evidence(old_journal):
    month, old = old_journal
    with past_the_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_label = 'réécrit' WHERE id = %s", [old["dropped_b"][0]])
    with pytest.raises(months.MonthNotDroppable):
        months.drop_month(month)
    assert AuditEvent.objects.filter(pk__in=old["dropped_b"]).count() == 2
    assert not AuditEvent.objects.filter(action=Action.JOURNAL_MONTH_DROPPING).exists()


def test_the_retention_pass_drops_one_month_and_journals_it(old_journal):
    month, _ = old_journal
    outcome = retention.run(rules=["journal"])
    assert outcome.count("journal") == 1
    assert DroppedMonth.objects.filter(month=month).exists()
    assert retention.plan()["journal"].count == 1  # the next month, at the next pass
    assert retention.run(rules=["journal"]).count("journal") == 1
    assert retention.plan()["journal"].count == 0


@on_postgresql
@pytest.mark.parametrize(
    "attack",
    [
        "DELETE FROM audit_auditevent WHERE id = {one}",
        "DELETE FROM audit_chainlink WHERE event_id = {one}",
        "UPDATE audit_auditevent SET target_label = 'x' WHERE id = {one}",
        "DELETE FROM audit_auditevent WHERE id IN ({month})",
    ],
)
def test_single_rows_stay_impossible_to_delete_even_past_retention(old_journal, attack):
    _, old = old_journal
    statement = attack.format(one=old["dropped_a"][0], month=",".join(map(str, old["dropped_a"] + old["dropped_b"])))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(pk=old["dropped_a"][0]).exists()


@on_postgresql
def test_the_database_refuses_a_drop_without_its_checkpoint_or_within_retention(old_journal):
    month, old = old_journal
    with pytest.raises(DatabaseError, match="no checkpoint"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT halte_audit_drop_month(%s)", [month])
    today = timezone.now().astimezone(UTC).date()
    with pytest.raises(DatabaseError, match="retention"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT halte_audit_drop_month(%s)", [today.replace(day=1)])
    # A checkpoint that does not match the month (a row added since) is refused too.
    with transaction.atomic():
        record(Action.JOURNAL_MONTH_DROPPING, detail={"month": f"{month:%Y-%m}", "rows": 4, "days": {}})
    with pytest.raises(DatabaseError, match="holds 5 rows"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT halte_audit_drop_month(%s)", [month])
    assert AuditEvent.objects.filter(pk__in=old["dropped_a"]).count() == 3


@on_postgresql
def test_a_row_of_a_dropped_month_cannot_be_deleted_by_another_transaction(old_journal):
    """The guard accepts a deletion only in the transaction that recorded the month's drop."""
    month, old = old_journal
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_droppedmonth (month, txid, rows, dropped_at) VALUES (%s, 1, 0, now())", [month]
        )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old["dropped_a"][0]])


@on_postgresql
def test_the_application_role_drops_a_month_through_the_function_only(old_journal):
    """`tick` runs as the application's role of the deployment guide: the drop works through the
    database's function, and the same role still cannot delete one row by itself."""
    from .test_chain import readme_grants

    month, old = old_journal
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE halte_app NOLOGIN")  # rolled back with the test's transaction
        cursor.execute("GRANT USAGE ON SCHEMA public TO halte_app")
        for statement in readme_grants():
            cursor.execute(statement)
        cursor.execute("SET ROLE halte_app")
        try:
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old["next_month"][0]])
            assert months.drop_month(month) == 5
        finally:
            cursor.execute("RESET ROLE")
    assert not AuditEvent.objects.filter(pk__in=old["dropped_a"]).exists()
    assert AuditEvent.objects.filter(pk__in=old["next_month"]).count() == 2
