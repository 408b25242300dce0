"""The safety net: a report nobody in the cell has opened within the P1 take-charge delay is escalated
like a P1 clock, whatever its flags (words can miss a danger), by the periodic pass, each level once."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from halte.access import reports as report_access
from halte.accounts.models import Role
from halte.cases import clocks
from halte.notifications.models import Kind, Notification
from halte.reports import actions
from halte.reports.actions import ReportData, submit_report
from halte.reports.models import Report, UnreadNotice
from tests.factories import MembershipFactory

PARIS = ZoneInfo("Europe/Paris")
RECEIVED = datetime(2026, 11, 25, 9, 0, tzinfo=PARIS)
SECRET = "MOTS-DU-RECIT-QUI-NE-SORTENT-PAS"


def at(hours: float, minutes: int = 0) -> datetime:
    return RECEIVED + timedelta(hours=hours, minutes=minutes)


@pytest.fixture
def cell(db):
    class Cell:
        coordinator = MembershipFactory(role=Role.COORDINATOR)
        other_coordinator = MembershipFactory(role=Role.COORDINATOR)
        steering = MembershipFactory(role=Role.EDUCATION_REFERENT, is_steering_contact=True)
        bystander = MembershipFactory(role=Role.SOCIAL_WORKER)
        gone = MembershipFactory(role=Role.COORDINATOR, is_active=False)

        def got(self, member):
            return list(Notification.objects.filter(recipient=member.user).order_by("id").values_list("kind", "title"))

    return Cell()


def a_report(description=f"On se moque de moi à la cantine. {SECRET}", received_at=RECEIVED) -> Report:
    data = ReportData(channel="api", reporter_kind="victim", description=description, received_at=received_at)
    report = submit_report(data=data, actor=None).report
    Notification.objects.all().delete()  # the intake notice is not the subject here
    return report


@pytest.mark.django_db
def test_a_report_without_any_flag_is_escalated_like_a_p1_clock(cell):
    report = a_report()
    assert report.flags == []
    assert clocks.tick(at(2, 50)).unread_reports == 0
    # Amber in the last quarter of the 4 hours: a reminder to the coordinators.
    assert clocks.tick(at(3, 10)).unread_reports == 1
    [(kind, title)] = cell.got(cell.coordinator)
    assert kind == Kind.CLOCK_REMINDER and report.reference in title and "à lire avant le 25/11/2026 à 13:00" in title
    assert cell.got(cell.other_coordinator) and not cell.got(cell.steering) and not cell.got(cell.bystander)
    assert clocks.tick(at(3, 20)).unread_reports == 0  # each level once
    assert clocks.tick(at(4, 10)).unread_reports == 1  # overdue
    assert clocks.tick(at(8, 10)).unread_reports == 1  # one more delay: the coordination
    assert "escalade à la coordination" in cell.got(cell.coordinator)[-1][1]
    assert not cell.got(cell.steering)
    assert clocks.tick(at(12, 10)).unread_reports == 1  # two more delays: the steering contact
    [(kind, title)] = cell.got(cell.steering)
    assert kind == Kind.CLOCK_ESCALATION and "escalade au pilotage" in title
    assert clocks.tick(at(48)).unread_reports == 0
    assert sorted(UnreadNotice.objects.values_list("level", flat=True)) == [
        "coordinator",
        "owner",
        "reminder",
        "steering",
    ]
    assert not cell.got(cell.gone)
    titles = [title for member in (cell.coordinator, cell.steering) for _kind, title in cell.got(member)]
    assert all(SECRET not in title for title in titles)  # a reference and a link, never the account
    url = Notification.objects.filter(recipient=cell.coordinator.user).first().url
    assert url == reverse("reports:detail", args=[report.public_id])


@pytest.mark.django_db
def test_a_report_read_in_time_is_left_alone(cell):
    report = a_report()
    actions.mark_read(report=report, actor=cell.coordinator)
    assert clocks.tick(at(12, 10)).unread_reports == 0
    assert not cell.got(cell.coordinator)


@pytest.mark.django_db
def test_reading_it_stops_the_escalation(cell):
    report = a_report()
    clocks.tick(at(4, 10))
    actions.mark_read(report=report, actor=cell.other_coordinator)
    assert clocks.tick(at(12, 10)).unread_reports == 0
    assert len(cell.got(cell.coordinator)) == 1


@pytest.mark.django_db
def test_found_late_each_person_gets_one_notification_the_most_severe(cell):
    a_report()
    result = clocks.tick(at(13))
    assert result.unread_reports == 3  # owner, coordinator, steering: no reminder once overdue
    [(_kind, title)] = cell.got(cell.coordinator)
    assert "escalade à la coordination" in title
    assert len(cell.got(cell.steering)) == 1


@pytest.mark.django_db
def test_a_closed_report_is_not_escalated(cell):
    report = a_report()
    Report.objects.filter(pk=report.pk).update(status="closed")
    assert clocks.tick(at(13)).unread_reports == 0


@pytest.mark.django_db
def test_a_critical_report_follows_the_same_net(cell):
    a_report("il a pris tous les cachets de la boite de sa mere")
    assert clocks.tick(at(4, 10)).unread_reports == 1


@pytest.mark.django_db
def test_a_report_that_fails_does_not_stop_the_others_and_is_retried(cell, monkeypatch):
    first = a_report()
    second = a_report(received_at=RECEIVED + timedelta(minutes=1))
    real = report_access.unread_report_recipients

    def broken(report, level):
        if report.pk == first.pk:
            raise RuntimeError("base indisponible")
        return real(report, level)

    monkeypatch.setattr(report_access, "unread_report_recipients", broken)
    assert clocks.tick(at(4, 10)).unread_reports == 1
    assert not UnreadNotice.objects.filter(report=first).exists()
    assert UnreadNotice.objects.filter(report=second).exists()
    monkeypatch.setattr(report_access, "unread_report_recipients", real)
    assert clocks.tick(at(4, 11)).unread_reports == 1


@pytest.mark.django_db
def test_the_command_counts_the_unread_reports(cell):
    a_report()
    out = StringIO()
    call_command("tick", "--now", at(4, 10).isoformat(), stdout=out)
    assert "1 alerte de signalement non lu" in out.getvalue()


@pytest.mark.django_db
def test_who_is_told_about_an_unread_report(cell):
    report = a_report()
    coordinators = {cell.coordinator.pk, cell.other_coordinator.pk}
    for level in ("reminder", "owner", "coordinator"):
        assert {m.pk for m in report_access.unread_report_recipients(report, level)} >= coordinators
        assert cell.steering.pk not in {m.pk for m in report_access.unread_report_recipients(report, level)}
    told = {m.pk for m in report_access.unread_report_recipients(report, "steering")}
    assert cell.steering.pk in told and not told & coordinators
    everyone = {
        m.pk for level in ("reminder", "steering") for m in report_access.unread_report_recipients(report, level)
    }
    assert cell.gone.pk not in everyone and cell.bystander.pk not in everyone
