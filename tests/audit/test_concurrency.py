"""Several transactions append to the journal at once on PostgreSQL: the chain never forks, never skips
a rank, and the lock that orders them is held only while each one commits."""

import threading

import pytest
from django.db import connection, transaction

from halte.audit import verify
from halte.audit.journal import record
from halte.audit.models import Action, AuditEvent, ChainLink

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
EACH = 25


def in_thread(target, *args):
    errors = []

    def run():
        try:
            target(*args)
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_many_writers_at_once_make_one_unbroken_chain():
    barrier = threading.Barrier(THREADS)

    def write(n):
        barrier.wait(timeout=30)
        for i in range(EACH):
            with transaction.atomic():
                record(Action.CASE_READ, detail={"writer": n, "i": i, "texte": "consultation — élève"})
                # Work after the audit row, so that the transactions overlap.
                AuditEvent.objects.filter(detail__writer=n).count()

    started = [in_thread(write, n) for n in range(THREADS)]
    for thread, _errors in started:
        thread.join(timeout=120)
    assert [e for _t, errors in started for e in errors] == []
    links = list(ChainLink.objects.order_by("day", "seq").values_list("day", "seq"))
    assert len(links) == THREADS * EACH
    for day in {d for d, _s in links}:
        assert [s for d, s in links if d == day] == list(range(1, 1 + sum(1 for d2, _ in links if d2 == day)))
    result = verify.verify()
    assert result.ok, [b.describe() for b in result.breaks]
    assert result.rows == THREADS * EACH


def test_an_open_transaction_with_an_audit_row_does_not_hold_up_other_writers():
    written = threading.Event()
    release = threading.Event()

    def slow():
        with transaction.atomic():
            record(Action.CASE_READ, detail={"who": "slow"})
            written.set()
            assert release.wait(timeout=30)

    slow_thread, slow_errors = in_thread(slow)
    assert written.wait(timeout=30)
    fast_thread, fast_errors = in_thread(lambda: record(Action.CASE_READ, detail={"who": "fast"}))
    fast_thread.join(timeout=10)
    finished_while_slow_was_open = not fast_thread.is_alive()
    release.set()
    slow_thread.join(timeout=30)
    fast_thread.join(timeout=30)
    assert slow_errors == [] and fast_errors == []
    assert finished_while_slow_was_open
    order = list(ChainLink.objects.order_by("day", "seq").values_list("event__detail__who", flat=True))
    assert order == ["fast", "slow"]  # ranks follow commits, not inserts
    assert verify.verify().ok
