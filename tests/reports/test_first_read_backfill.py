"""The migration that counts the reports handled before the safety net as read, so that it does not
escalate the whole history at once, and leaves the reports never opened to it."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from halte.audit.journal import record
from halte.audit.models import Action
from halte.reports.actions import ReportData, submit_report
from halte.reports.models import Report

backfill = importlib.import_module("halte.reports.migrations.0007_backfill_first_read").backfill


def a_report(**changes) -> Report:
    data = ReportData(channel="api", reporter_kind="parent", description="Insultes.")
    report = submit_report(data=data, actor=None).report
    Report.objects.filter(pk=report.pk).update(first_read_at=None, **changes)
    return Report.objects.get(pk=report.pk)


@pytest.mark.django_db
def test_handled_and_journaled_reports_count_as_read_the_others_do_not(people):
    taken = a_report(status="in_progress")
    journaled = a_report()
    event = record(Action.REPORT_READ, actor=people.coordinator.user, membership=people.coordinator, target=journaled)
    never_opened = a_report(received_at=timezone.now() - timedelta(days=3))
    backfill(apps, None)
    taken.refresh_from_db()
    journaled.refresh_from_db()
    never_opened.refresh_from_db()
    assert taken.first_read_at == taken.received_at
    assert journaled.first_read_at == event.at
    assert never_opened.first_read_at is None
