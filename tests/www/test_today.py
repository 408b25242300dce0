"""« Aujourd'hui », the staff home: per role, what is due today or late, the reports to triage, the
actions owed, the next meeting, the follow-ups to record — counts and first items, read through the
access policy, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.cases.models import Action, Case, FollowUp
from halte.meetings.models import Invitation, Meeting
from halte.reports.models import Report


def home(client):
    response = client.get(reverse("www:staff_home"))
    assert response.status_code == 200
    return response.content.decode()


def block(page, name):
    """The HTML of one block of the home, or None when the block is not there."""
    start = page.find(f'id="bloc-{name}"')
    if start == -1:
        return None
    return page[start : page.find("</section>", start)]


@pytest.fixture
def day(people):
    """School A: a P1 case opened two days ago with nothing done (late steps), a follow-up due today,
    an action owed by the coordination, late. School B: a late P2 case. A P1 report waiting for
    triage, a closed report, a meeting tomorrow (the social worker invited) and one sooner
    (nobody invited: the coordination sees it)."""
    now = timezone.now()
    school_a, school_b = people.school_a_staff.school, people.school_b_staff.school
    late_a = Case.objects.create(
        reference="HS-2026-000101",
        priority="P1",
        qualification="bullying",
        state="triaged",
        school=school_a,
        lead=people.coordinator,
        opened_at=now - timedelta(days=2),
    )
    late_b = Case.objects.create(
        reference="HS-2026-000102",
        priority="P2",
        qualification="bullying",
        state="triaged",
        school=school_b,
        opened_at=now - timedelta(days=5),
    )
    FollowUp.objects.create(case=late_a, day=7, due_on=timezone.localdate(now))
    Action.objects.create(
        case=late_a,
        title="Appeler la famille de la victime",
        owner_organisation=people.coordinator.organisation,
        due_at=now - timedelta(hours=2),
        created_by=people.coordinator,
    )
    waiting = Report.objects.create(
        reference="SIG-2026-000201",
        channel="web",
        reporter_kind="pupil",
        description="Récit.",
        proposed_priority="P1",
        is_worrying=True,
    )
    Report.objects.create(
        reference="SIG-2026-000202", channel="web", reporter_kind="pupil", description="Récit.", status="closed"
    )
    tomorrow = Meeting.objects.create(
        title="Cellule de décembre", starts_at=now + timedelta(days=1), place="DSDEN", organiser=people.coordinator
    )
    Invitation.objects.create(meeting=tomorrow, membership=people.social_worker)
    Meeting.objects.create(
        title="Cellule restreinte", starts_at=now + timedelta(hours=20), place="DSDEN", organiser=people.coordinator
    )
    return {"late_a": late_a, "late_b": late_b, "waiting": waiting, "tomorrow": tomorrow}


def test_coordinator_sees_what_is_due_today(client, people, login, day):
    login(client, people.coordinator)
    page = home(client)
    reports = block(page, "signalements")
    assert "1 signalement à trier" in reports
    assert "1 critique ou préoccupant" in reports
    assert reverse("reports:detail", args=[day["waiting"].public_id]) in reports
    assert "SIG-2026-000202" not in page  # closed: nothing to triage
    steps = block(page, "echeances")
    assert "HS-2026-000101" in steps and "HS-2026-000102" in steps
    assert "en retard depuis le" in steps
    assert "pour aujourd’hui" in steps  # the follow-up due tonight
    actions = block(page, "actions")
    assert "1 action à mener par votre structure" in actions
    assert "Appeler la famille de la victime" in actions
    assert "En retard" in actions
    follow_ups = block(page, "suivis")
    assert "1 point de suivi à enregistrer" in follow_ups
    assert "HS-2026-000101" in follow_ups
    meeting = block(page, "reunion")
    assert "Cellule restreinte" in meeting  # the coordination sees every meeting: the next one
    assert "Raccourcis" in page
    assert reverse("reports:queue") in page and reverse("cases:list") in page


def test_a_late_triaged_report_leaves_the_queue(client, people, login, day):
    from halte.cases.models import Triage as TriageModel

    TriageModel.objects.create(
        report=day["waiting"], outcome="redirect", qualification="bullying", decided_by=people.coordinator
    )
    login(client, people.coordinator)
    assert "Aucun signalement à trier" in block(home(client), "signalements")


def test_social_worker_sees_the_meeting_it_is_invited_to_and_no_triage(client, people, login, day):
    login(client, people.social_worker)
    page = home(client)
    assert block(page, "signalements") is None
    assert "Cellule de décembre" in block(page, "reunion")
    assert "Cellule restreinte" not in page
    # It leads no case: no follow-up to record, though it sees the late cases of the cell.
    assert "Aucun point de suivi" in block(page, "suivis")
    assert "HS-2026-000101" in block(page, "echeances")


def test_school_staff_see_their_school_only(client, people, login, day):
    login(client, people.school_b_staff)
    page = home(client)
    assert block(page, "signalements") is None
    # Schools record the follow-ups of their own cases: school B has none due, school A's is not shown.
    assert "Aucun point de suivi n’attend" in block(page, "suivis")
    steps = block(page, "echeances")
    assert "HS-2026-000102" in steps
    assert "HS-2026-000101" not in page
    assert "Appeler la famille" not in page  # owed by the coordination, not by school B
    assert "Aucune réunion à venir" in block(page, "reunion")
    assert "Collège B" in page


def test_the_school_of_the_case_finds_its_follow_up_due_today(client, people, login, day):
    login(client, people.school_a_staff)
    assert "HS-2026-000101" in block(home(client), "suivis")


def test_roles_without_case_content_get_shortcuts_only(client, people, login, day):
    for membership in (people.analyst, people.dpo, people.admin):
        client.logout()
        login(client, membership)
        page = home(client)
        for name in ("signalements", "echeances", "actions", "suivis", "reunion"):
            assert block(page, name) is None, (membership.role, name)
        assert "HS-2026-0001" not in page and "SIG-2026" not in page
        assert "Raccourcis" in page


def test_empty_states_in_plain_french(client, people, login):
    login(client, people.coordinator)
    page = home(client)
    assert "Aucun signalement n’attend de tri." in page
    assert "Aucune étape n’est due aujourd’hui ni en retard" in page
    assert "Votre structure n’a aucune action en cours." in page
    assert "Aucun point de suivi n’attend d’être enregistré" in page
    assert "Aucune réunion à venir" in page


HOME_QUERIES = 21  # session, user, device, membership, unread count; the five blocks: counts, items, prefetches


def test_the_home_runs_a_fixed_number_of_queries(client, people, login, day, django_assert_num_queries):
    login(client, people.coordinator)
    home(client)  # warm the session
    with django_assert_num_queries(HOME_QUERIES):
        home(client)
    now = timezone.now()
    for index in range(15):
        case = Case.objects.create(
            reference=f"HS-2026-{300 + index:06d}",
            priority="P1",
            qualification="bullying",
            state="triaged",
            school=people.school_a_staff.school if index % 2 else people.school_b_staff.school,
            lead=people.coordinator,
            opened_at=now - timedelta(days=1),
        )
        FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate(now) - timedelta(days=1))
        Action.objects.create(
            case=case,
            title=f"Action {index}",
            owner_organisation=people.coordinator.organisation,
            due_at=now + timedelta(hours=1),
            created_by=people.coordinator,
        )
        Report.objects.create(
            reference=f"SIG-2026-{300 + index:06d}", channel="web", reporter_kind="pupil", description="Récit."
        )
    with django_assert_num_queries(HOME_QUERIES):
        page = home(client)
    assert "16 signalements à trier" in page
    assert "16 points de suivi à enregistrer" in page
