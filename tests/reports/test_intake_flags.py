"""What intake keeps of the flags (the words that fired them, the proposed priority), how the queue
orders reports by it, and where the words are shown highlighted: the report page and the triage page.
Opening a report as a member of the cell is its first reading (the safety net stops)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.cases import severity
from halte.notifications.models import Kind, Notification
from halte.reports import actions
from halte.reports.actions import PupilData, ReportData, submit_report
from halte.reports.models import Report

CRITICAL_WORDS = "mon beau pere ma frapé avec sa ceinture hier soir"
LOWERED_WORDS = "Il est insulté tous les jours mais il n'a jamais parlé de se tuer."


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def file_report(description, *, received_at=None, **kw):
    data = ReportData(
        channel="api",
        reporter_kind="victim",
        description=description,
        school_text="Collège Jules-Verne",
        received_at=received_at,
        pupils=[PupilData(first_name="Léo", role="victim", class_name="5e B")],
        **kw,
    )
    return submit_report(data=data, actor=None).report


@pytest.mark.django_db
def test_a_critical_signal_in_words_alone_gives_p1_and_the_immediate_alert(people):
    report = file_report(CRITICAL_WORDS)
    assert report.flags == ["family_danger"] and report.is_worrying
    assert report.proposed_priority == "P1"
    hits = report.flag_hits
    assert {hit["flag"] for hit in hits} == {"family_danger"} and {hit["level"] for hit in hits} == {"critical"}
    assert all(report.description[hit["start"] : hit["end"]] == hit["words"] for hit in hits)
    assert any("beau pere ma frapé" in hit["words"] for hit in hits)
    alert = Notification.objects.get(recipient=people.coordinator.user)
    assert alert.kind == Kind.WORRYING_REPORT and report.reference in alert.title
    assert CRITICAL_WORDS not in alert.title  # a reference, never the content


@pytest.mark.django_db
def test_a_lowered_signal_is_still_worrying_but_does_not_tick_the_critical_criterion(people):
    report = file_report(LOWERED_WORDS)
    assert report.flags == ["self_harm"] and report.is_worrying
    assert [h["level"] for h in report.flag_hits] == ["to_check"]
    assert Notification.objects.get(recipient=people.coordinator.user).kind == Kind.WORRYING_REPORT
    assert not severity.criteria_from_report(report).self_harm_or_suicidal
    assert report.proposed_priority != "P1"


@pytest.mark.django_db
def test_the_proposed_priority_is_what_triage_proposes(people):
    report = file_report("Trois élèves l'insultent tous les jours depuis des mois et le menacent.")
    proposal = severity.assess(severity.criteria_from_report(Report.objects.get(pk=report.pk)), "bullying")
    assert report.proposed_priority == proposal.priority == "P2"


@pytest.mark.django_db
def test_the_queue_lists_a_critical_report_first_even_when_it_is_the_newest(client, people, login):
    now = timezone.now()
    old_mild = file_report("On se moque de mon accent.", received_at=now - timedelta(days=5))
    lowered = file_report(LOWERED_WORDS, received_at=now - timedelta(days=1))
    serious = file_report(
        "Trois élèves l'insultent tous les jours depuis des mois et le menacent.", received_at=now - timedelta(days=2)
    )
    critical = file_report(CRITICAL_WORDS, received_at=now)
    login(client, people.coordinator)
    page = client.get(reverse("reports:queue")).content.decode()
    positions = [page.index(r.reference) for r in (critical, serious, lowered, old_mild)]
    assert positions == sorted(positions)
    assert "P1 — critique" in page and "Danger dans la famille" in page
    assert "Automutilation ou idées suicidaires" in page and "(à vérifier)" in page


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 12])
def test_the_queue_query_count_does_not_grow_with_flags(client, people, login, django_assert_num_queries, count):
    for index in range(count):
        file_report(CRITICAL_WORDS if index % 2 else LOWERED_WORDS)
    login(client, people.coordinator)
    # Session, user, OTP device, membership, session save, count, one page of reports with their schools,
    # the header's unread notifications.
    with django_assert_num_queries(10):
        assert client.get(reverse("reports:queue")).status_code == 200


@pytest.mark.django_db
def test_the_report_page_highlights_the_words_with_a_text_alternative(client, people, login):
    report = file_report("Bonjour <b>madame</b>. " + CRITICAL_WORDS)
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert '<mark class="halte-signal">' in page
    assert "Début du passage signalé (Danger dans la famille)" in page
    assert "« beau pere ma frapé »" in page or "« beau pere ma frapé avec sa ceinture »" in page
    assert "&lt;b&gt;madame&lt;/b&gt;" in page  # the account stays escaped
    assert "Critique" in page and "Priorité proposée : P1 — critique" in page


@pytest.mark.django_db
def test_the_report_page_says_why_a_flag_is_only_to_check(client, people, login):
    report = file_report(LOWERED_WORDS)
    login(client, people.coordinator)
    page = client.get(reverse("reports:detail", args=[report.public_id])).content.decode()
    assert "À vérifier" in page and "alerte abaissée par une négation" in page
    assert "Automutilation ou idées suicidaires, à vérifier" in page


@pytest.mark.django_db
def test_the_triage_page_highlights_the_words_and_proposes_p1(client, people, login):
    report = file_report(CRITICAL_WORDS)
    login(client, people.coordinator)
    page = client.get(reverse("cases:triage", args=[report.public_id])).content.decode()
    assert '<mark class="halte-signal">' in page and "Alertes à l’arrivée" in page
    assert "priorité P1" in page


# --- First reading ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_coordinator_opening_the_report_is_its_first_reading_once(client, people, login):
    report = file_report("On se moque de moi.")
    login(client, people.coordinator)
    url = reverse("reports:detail", args=[report.public_id])
    client.get(url)
    client.get(url)
    report.refresh_from_db()
    assert report.first_read_at is not None and report.first_read_by == people.coordinator
    reads = AuditEvent.objects.filter(action=Action.REPORT_READ, target_id=str(report.public_id)).order_by("at", "id")
    assert [event.detail.get("first_read", False) for event in reads] == [True, False]


@pytest.mark.django_db
def test_school_staff_reading_their_own_report_is_not_the_cell_reading_it(client, people, login):
    staff = people.school_a_staff
    data = ReportData(channel="school", reporter_kind="school_staff", description="Insultes.", school=staff.school)
    report = submit_report(data=data, actor=staff).report
    login(client, staff)
    assert client.get(reverse("reports:detail", args=[report.public_id])).status_code == 200
    report.refresh_from_db()
    assert report.first_read_at is None


@pytest.mark.django_db
def test_the_triage_page_is_a_first_reading(client, people, login):
    report = file_report("On se moque de moi.")
    login(client, people.coordinator)
    client.get(reverse("cases:triage", args=[report.public_id]))
    report.refresh_from_db()
    assert report.first_read_by == people.coordinator


@pytest.mark.django_db
def test_only_one_reading_is_the_first_when_two_happen_at_once(people):
    report = file_report("On se moque de moi.")
    stale = Report.objects.get(pk=report.pk)  # loaded before anyone read it
    assert actions.mark_read(report=report, actor=people.coordinator) is True
    assert actions.mark_read(report=stale, actor=people.coordinator) is False
    assert AuditEvent.objects.filter(action=Action.REPORT_READ, detail__first_read=True).count() == 1


@pytest.mark.django_db
def test_taking_charge_without_the_page_counts_as_reading(people):
    report = file_report("On se moque de moi.")
    actions.take_charge(report=report, actor=people.coordinator)
    report.refresh_from_db()
    assert report.first_read_by == people.coordinator
