"""Intake takes its reference number last: concurrent intakes do not queue on the counter while they
write, and the numbers stay unique and gap-free."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.core.models import Counter
from halte.delivery.models import Job
from halte.notifications.models import Notification
from halte.reports import actions
from halte.reports.models import Report
from tests.races import in_threads, join, on_postgresql


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def data(text="On se moque de moi tous les jours au self."):
    return actions.ReportData(channel="public_form", reporter_kind="victim", description=text)


def numbers(references) -> list[int]:
    return sorted(int(reference.rsplit("-", 1)[1]) for reference in references)


def test_every_row_written_before_the_number_carries_the_reference(people):
    report = actions.submit_report(data=data(), actor=None).report
    report.refresh_from_db()
    year = timezone.localdate().year
    assert report.reference == f"SIG-{year}-000001"
    titles = list(Notification.objects.values_list("title", flat=True))
    assert titles and all(report.reference in title for title in titles)
    jobs = list(Job.objects.all())
    assert jobs and all(report.reference in job.title for job in jobs)
    assert all(report.reference in str(job.payload) for job in jobs)
    event = AuditEvent.objects.get(action=Action.REPORT_RECEIVED)
    assert event.target_label == report.reference
    # Nothing keeps the stand-in.
    assert not Notification.objects.filter(title__contains="~").exists()
    assert not Job.objects.filter(title__contains="~").exists()


def test_a_rolled_back_intake_gives_its_number_back(people):
    first = actions.submit_report(data=data(), actor=None).report
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.submit_report(data=data(), actor=None)
        raise RuntimeError("rolled back")

    def refuse(report):
        raise ValueError("the work alongside fails")

    with pytest.raises(ValueError):
        actions.submit_report(data=data(), actor=None, alongside=refuse)
    second = actions.submit_report(data=data(), actor=None).report
    assert numbers([first.reference, second.reference]) == [1, 2]
    assert Counter.objects.get(name="report").value == 2


@pytest.mark.django_db(transaction=True)
def test_the_number_must_be_taken_in_a_transaction():
    from halte.core.references import next_reference

    with pytest.raises(RuntimeError):
        next_reference("report", "SIG")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_intake_that_is_still_writing_does_not_hold_the_counter(people):
    """The first intake stops in the middle of its transaction (after its rows, before its number);
    a second intake files its report meanwhile, and the counter can be locked by someone else."""
    writing, release = threading.Event(), threading.Event()

    def slow(report):
        writing.set()
        assert release.wait(30)

    threads, results = in_threads(lambda: actions.submit_report(data=data(), actor=None, alongside=slow))
    try:
        assert writing.wait(30)
        # Under the former code the first intake held the counter from its first statement: the
        # second one would wait here until the first one committed.
        second = actions.submit_report(data=data("Ils m'insultent en ligne."), actor=None).report
        with transaction.atomic(), connection.cursor() as cursor:
            table = Counter._meta.db_table
            cursor.execute(f"SELECT value FROM {table} WHERE name = 'report' FOR UPDATE NOWAIT")  # noqa: S608
            assert cursor.fetchone() == (1,)
    finally:
        release.set()
        join(threads)
    first = results[0]
    assert isinstance(first, actions.Submission), first
    assert numbers([second.reference, first.report.reference]) == [1, 2]
    assert second.reference.endswith("-000001")  # the first to take a number is the first to finish writing


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_unique_gap_free_references(people):
    count = 8
    start = threading.Barrier(count)

    def attempt(index):
        start.wait(30)
        if index % 4 == 3:
            # Some fail after writing their rows: their numbers are never taken.
            return actions.submit_report(data=data(), actor=None, alongside=_fail)
        return actions.submit_report(data=data(), actor=None)

    threads, results = in_threads(*(lambda i=i: attempt(i) for i in range(count)))
    join(threads)
    failed = [r for r in results if isinstance(r, ValueError)]
    assert len(failed) == 2, results
    references = list(Report.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == count - 2
    assert numbers(references) == list(range(1, count - 1))
    assert Counter.objects.get(name="report").value == count - 2


def _fail(report):
    raise ValueError("refused alongside")
