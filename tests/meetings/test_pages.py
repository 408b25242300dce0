"""Meeting pages: scheduling (and its French errors), the list (order, scope, query count), the agenda
buttons, cancelling, marking held, and the section of the case page."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.actions import create_action
from halte.cases.models import Case
from halte.core.submission import new_token
from halte.meetings import actions
from halte.meetings.models import AgendaItem, Decision, Invitation, Meeting

from .conftest import MINUTES_MARK, make_case, make_meeting

PARIS = ZoneInfo("Europe/Paris")


def as_member(client, login, membership):
    client.logout()
    login(client, membership)
    return client


def form_data(on, start="14:00", **overrides):
    data = {
        "title": "Réunion de la cellule",
        "day": on.isoformat(),
        "start": start,
        "duration_minutes": "120",
        "place": "DSDEN de la Somme, salle 2",
        "submission_token": new_token(),
    }
    data.update(overrides)
    return data


# --- Scheduling ------------------------------------------------------------------------------------


def test_the_form_offers_the_default_title(client, login, people):
    as_member(client, login, people.coordinator)
    page = client.get(reverse("meetings:schedule")).content.decode()
    assert 'value="Réunion de la cellule"' in page
    assert "hors de l’établissement scolaire" in page


def test_scheduling_a_meeting_in_paris_time(client, login, people):
    as_member(client, login, people.coordinator)
    day = timezone.localdate() + timedelta(days=10)
    response = client.post(reverse("meetings:schedule"), form_data(day, "09:30"))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("meetings:detail", args=[meeting.public_id])
    assert timezone.localtime(meeting.starts_at, PARIS).replace(tzinfo=None) == datetime.combine(
        day, datetime.min.time()
    ).replace(hour=9, minute=30)
    assert meeting.organiser == people.coordinator
    assert meeting.status == Meeting.Status.PLANNED
    assert AuditEvent.objects.filter(action=AuditAction.MEETING_SCHEDULED).count() == 1


def next_spring_forward(after):
    """The next last Sunday of March after `after` (clocks jump from 02:00 to 03:00 in Paris)."""
    year = after.year if after < datetime(after.year, 3, 20).date() else after.year + 1
    day = datetime(year, 3, 31).date()
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day": "2020-01-10"}, "Choisissez une date et une heure à venir."),
        ({"day": "31/02/2027"}, "Saisissez une date valide."),
        ({"start": "25:00"}, "Saisissez une heure valide."),
        ({"duration_minutes": "5"}, "supérieure ou égale à 15"),
        ({"place": ""}, "Ce champ est obligatoire."),
        ({"title": "Situation HS-2026-000042"}, "N’indiquez pas de référence de dossier ici"),
        ({"place": "x" * 300}, "au plus 255 caractères"),
    ],
)
def test_bad_input_is_answered_in_french(client, login, people, overrides, message):
    as_member(client, login, people.coordinator)
    response = client.post(
        reverse("meetings:schedule"), form_data(timezone.localdate() + timedelta(days=3), **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("\u202f", " ").replace("&nbsp;", " ")
    assert not Meeting.objects.exists()


def two_years_after(day):
    try:
        return day.replace(year=day.year + 2)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 2, day=28)


@pytest.mark.parametrize(
    ("day", "start", "message"),
    [
        # 9999-12-31 23:00 + 2 hours does not fit in a datetime: refused before any arithmetic.
        ("9999-12-31", "23:00", "Choisissez une date dans les deux ans qui viennent"),
        # 00:05 in Paris on 1 January of year 1 is in year 0 in UTC: refused as well, not a 500.
        ("0001-01-01", "00:05", "Choisissez une date et une heure à venir."),
    ],
)
def test_dates_out_of_range_are_refused_in_french(client, login, people, day, start, message):
    as_member(client, login, people.coordinator)
    response = client.post(reverse("meetings:schedule"), form_data(timezone.localdate(), start, day=day))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_meeting_is_planned_at_most_two_years_ahead(client, login, people):
    as_member(client, login, people.coordinator)
    latest = two_years_after(timezone.localdate())
    response = client.post(reverse("meetings:schedule"), form_data(latest + timedelta(days=1)))
    assert response.status_code == 400
    assert f"au plus tard le {latest:%d/%m/%Y}" in response.content.decode()
    assert not Meeting.objects.exists()
    response = client.post(reverse("meetings:schedule"), form_data(latest))
    assert response.status_code == 302
    assert timezone.localtime(Meeting.objects.get().starts_at).date() == latest


def test_the_actions_themselves_refuse_a_date_too_far_ahead(people):
    far = timezone.make_aware(datetime.combine(two_years_after(timezone.localdate()) + timedelta(days=1), time(14)))
    with pytest.raises(actions.MeetingRefused, match="deux ans"):
        actions.schedule(actor=people.coordinator, title="Réunion", starts_at=far, duration_minutes=60, place="DSDEN")
    assert not Meeting.objects.exists()
    meeting = make_meeting(people.coordinator, timezone.now() + timedelta(days=4))
    with pytest.raises(actions.MeetingRefused, match="deux ans"):
        actions.update(meeting=meeting, actor=people.coordinator, starts_at=far)
    meeting.refresh_from_db()
    assert meeting.starts_at != far and meeting.sequence == 0


def test_editing_refuses_a_date_too_far_ahead(client, login, people):
    meeting = make_meeting(people.coordinator, timezone.now() + timedelta(days=4))
    before = meeting.starts_at
    as_member(client, login, people.coordinator)
    url = reverse("meetings:edit", args=[meeting.public_id])
    for day in ("9999-12-31", (two_years_after(timezone.localdate()) + timedelta(days=1)).isoformat()):
        response = client.post(url, form_data(timezone.localdate(), "23:00", day=day))
        assert response.status_code == 400
        assert "Choisissez une date dans les deux ans qui viennent" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.sequence) == (before, 0)
    # The meeting page and its calendar file still open.
    assert client.get(reverse("meetings:detail", args=[meeting.public_id])).status_code == 200
    assert client.get(reverse("meetings:invitation_ics", args=[meeting.public_id])).status_code == 200


def test_an_hour_that_does_not_exist_is_refused(client, login, people):
    as_member(client, login, people.coordinator)
    day = next_spring_forward(timezone.localdate())
    response = client.post(reverse("meetings:schedule"), form_data(day, "02:30"))
    assert response.status_code == 400
    assert "Cette heure n’existe pas ce jour-là" in response.content.decode()
    assert not Meeting.objects.exists()


def test_editing_prefills_and_bumps_the_sequence(client, login, people):
    meeting = make_meeting(people.coordinator, timezone.now() + timedelta(days=4))
    as_member(client, login, people.coordinator)
    url = reverse("meetings:edit", args=[meeting.public_id])
    assert client.get(url).context["form"].initial["place"] == meeting.place
    local = timezone.localtime(meeting.starts_at, PARIS)
    response = client.post(url, form_data(local.date(), local.strftime("%H:%M"), place="Préfecture de la Somme"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.place, meeting.sequence) == ("Préfecture de la Somme", 1)


def test_cancelling_through_the_page_needs_a_reason(client, login, people, django_capture_on_commit_callbacks):
    meeting = make_meeting(people.coordinator)
    Invitation.objects.create(meeting=meeting, membership=people.magistrate, sent_at=timezone.now(), sent_sequence=0)
    as_member(client, login, people.coordinator)
    url = reverse("meetings:cancel", args=[meeting.public_id])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Reportée faute de quorum"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert meeting.cancelled_reason == "Reportée faute de quorum"
    assert [m.to for m in mail.outbox] == [[people.magistrate.user.email]]
    # Cancelled: no more edits.
    assert client.get(reverse("meetings:edit", args=[meeting.public_id])).status_code == 302
    page = client.get(reverse("meetings:detail", args=[meeting.public_id])).content.decode()
    assert "Reportée faute de quorum" in page


def test_marking_held_waits_for_the_start(client, login, people):
    future = make_meeting(people.coordinator, timezone.now() + timedelta(hours=2))
    past = make_meeting(people.coordinator, timezone.now() - timedelta(hours=2))
    as_member(client, login, people.coordinator)
    client.post(reverse("meetings:mark_held", args=[future.public_id]))
    client.post(reverse("meetings:mark_held", args=[past.public_id]))
    future.refresh_from_db()
    past.refresh_from_db()
    assert future.status == Meeting.Status.PLANNED
    assert past.status == Meeting.Status.HELD


# --- Who sees whom --------------------------------------------------------------------------------


@pytest.fixture
def two_schools(people):
    """A meeting where both schools are invited: neither may learn that the other is."""
    meeting = make_meeting(people.coordinator, timezone.now() + timedelta(days=5))
    for membership, mark in [(people.school_a_staff, "INVITE-A"), (people.school_b_staff, "INVITE-B")]:
        membership.user.last_name = mark
        membership.user.save(update_fields=["last_name"])
        Invitation.objects.create(meeting=meeting, membership=membership, sent_at=timezone.now(), sent_sequence=0)
    Invitation.objects.filter(membership=people.school_a_staff).update(attendance=Invitation.Attendance.EXCUSED)
    return meeting


def test_an_invitee_sees_only_their_own_invitation(client, login, people, two_schools):
    as_member(client, login, people.school_a_staff)
    page = client.get(reverse("meetings:detail", args=[two_schools.public_id])).content.decode()
    assert "Vous êtes invité(e) à cette réunion." in page
    assert "Excusé(e)" in page  # their own attendance (no civility: the inclusive word)
    assert "INVITE-B" not in page
    assert people.school_b_staff.organisation.name not in page
    assert "Personnes invitées" not in page
    assert reverse("meetings:attendance", args=[two_schools.public_id]) not in page


def test_the_coordination_sees_every_invitation(client, login, people, two_schools):
    as_member(client, login, people.coordinator)
    page = client.get(reverse("meetings:detail", args=[two_schools.public_id])).content.decode()
    assert "INVITE-A" in page
    assert "INVITE-B" in page
    assert people.school_b_staff.organisation.name in page
    assert "Vous êtes invité(e)" not in page
    assert reverse("meetings:attendance", args=[two_schools.public_id]) in page


def test_the_list_counts_invitations_for_the_coordination_only(client, login, people, two_schools):
    as_member(client, login, people.school_a_staff)
    assert "Personnes invitées" not in client.get(reverse("meetings:list")).content.decode()
    as_member(client, login, people.coordinator)
    assert "Personnes invitées" in client.get(reverse("meetings:list")).content.decode()


# --- List ------------------------------------------------------------------------------------------


def test_the_list_shows_upcoming_first_then_past(client, login, people):
    now = timezone.now()
    titles = {
        "Passée récente": now - timedelta(days=2),
        "Passée ancienne": now - timedelta(days=40),
        "Prochaine": now + timedelta(days=1),
        "Plus tard": now + timedelta(days=20),
    }
    for title, starts_at in titles.items():
        make_meeting(people.coordinator, starts_at, title=title)
    as_member(client, login, people.coordinator)
    page = client.get(reverse("meetings:list")).content.decode()
    positions = [page.index(title) for title in ("Prochaine", "Plus tard", "Passée récente", "Passée ancienne")]
    assert positions == sorted(positions)


def test_others_list_only_the_meetings_they_are_invited_to(client, login, people):
    mine = make_meeting(people.coordinator, title="Réunion avec le parquet")
    make_meeting(people.coordinator, title="Réunion sans le parquet")
    Invitation.objects.create(meeting=mine, membership=people.magistrate)
    as_member(client, login, people.magistrate)
    page = client.get(reverse("meetings:list")).content.decode()
    assert "Réunion avec le parquet" in page
    assert "Réunion sans le parquet" not in page
    assert reverse("meetings:schedule") not in page


def many_meetings(people, count):
    start = Meeting.objects.count()
    for index in range(count):
        meeting = make_meeting(people.coordinator, timezone.now() + timedelta(days=index - count // 2))
        Invitation.objects.create(meeting=meeting, membership=people.magistrate)
        case = make_case(f"HS-2026-{start + index:06d}")
        AgendaItem.objects.create(meeting=meeting, case=case, reason=AgendaItem.Reason.ADDED)


@pytest.mark.parametrize("name", ["coordinator", "magistrate"])
def test_the_list_query_count_does_not_grow(client, login, people, name):
    as_member(client, login, getattr(people, name))
    counts = []
    for count in (1, 20):
        many_meetings(people, count)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("meetings:list"))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


LIST_QUERIES = 10  # with the header's count of unread notifications


def test_the_list_query_count_is_pinned(client, login, people, django_assert_num_queries):
    many_meetings(people, 30)  # more than one page
    as_member(client, login, people.coordinator)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("meetings:list"))
    assert response.content.decode().count('href="/cellule/reunions/') >= 25
    with django_assert_num_queries(LIST_QUERIES):
        client.get(reverse("meetings:list") + "?page=2")


# --- Agenda buttons --------------------------------------------------------------------------------


@pytest.fixture
def planned(people):
    return make_meeting(people.coordinator, timezone.now() + timedelta(days=3))


def references(meeting) -> list[str]:
    return list(meeting.items.order_by("position", "id").values_list("case__reference", flat=True))


def test_accepting_the_proposal_puts_the_ticked_cases_on_the_agenda(client, login, people, planned):
    recent = timezone.now() - timedelta(hours=1)
    first = make_case("HS-2026-000001", priority="P1", opened_at=recent, taken_in_charge_at=recent)
    second = make_case("HS-2026-000002", priority="P2", opened_at=recent, taken_in_charge_at=recent)
    as_member(client, login, people.coordinator)
    page = client.get(reverse("meetings:detail", args=[planned.public_id])).content.decode()
    assert "HS-2026-000001" in page
    assert "Nouveau dossier P1 ou P2" in page
    url = reverse("meetings:accept_proposal", args=[planned.public_id])
    response = client.post(url, {"cases": [str(second.public_id)]})
    assert response.status_code == 302
    assert references(planned) == ["HS-2026-000002"]
    client.post(url, {"cases": [str(first.public_id)]})
    assert references(planned) == ["HS-2026-000002", "HS-2026-000001"]
    assert planned.items.get(case=first).reason == AgendaItem.Reason.NEW_URGENT
    assert AuditEvent.objects.filter(action=AuditAction.MEETING_AGENDA_CHANGED).count() == 2


def test_accepting_nothing_is_a_french_message(client, login, people, planned):
    make_case("HS-2026-000001", priority="P1", cell_meeting_at=None)
    as_member(client, login, people.coordinator)
    url = reverse("meetings:accept_proposal", args=[planned.public_id])
    response = client.post(url, {}, follow=True)
    assert "Cochez au moins un dossier." in response.content.decode()
    assert not planned.items.exists()


def test_adding_by_reference(client, login, people, planned):
    make_case("HS-2026-000007")
    target = make_case("HS-2026-000008")
    make_case("HS-2026-000009", merged_into=target)
    as_member(client, login, people.coordinator)
    url = reverse("meetings:add_item", args=[planned.public_id])
    assert client.post(url, {"reference": " hs-2026-000007 "}).status_code == 302
    assert references(planned) == ["HS-2026-000007"]
    assert planned.items.get().reason == AgendaItem.Reason.ADDED
    # Typed as the header search accepts it: spaces, no zeros.
    assert client.post(url, {"reference": "hs 2026 8"}).status_code == 302
    assert references(planned) == ["HS-2026-000007", "HS-2026-000008"]
    planned.items.filter(case=target).delete()
    for reference, message in [
        ("HS-2026-000007", "déjà à l’ordre du jour"),
        ("HS-2026-999999", "Aucun dossier ne porte cette référence."),
        ("HS-2026-000009", "fusionné"),
        ("", "Ce champ est obligatoire."),
    ]:
        page = client.post(url, {"reference": reference}, follow=True).content.decode()
        assert message in page, reference
    assert references(planned) == ["HS-2026-000007"]


def test_moving_and_removing_items(client, login, people, planned):
    for number in (1, 2, 3):
        actions.add_item(meeting=planned, actor=people.coordinator, case=make_case(f"HS-2026-00000{number}"))
    item = {ref: planned.items.get(case__reference=ref) for ref in references(planned)}
    as_member(client, login, people.coordinator)

    def post(name, reference):
        return client.post(reverse(name, args=[planned.public_id, item[reference].public_id]))

    post("meetings:move_up", "HS-2026-000003")
    assert references(planned) == ["HS-2026-000001", "HS-2026-000003", "HS-2026-000002"]
    post("meetings:move_down", "HS-2026-000001")
    assert references(planned) == ["HS-2026-000003", "HS-2026-000001", "HS-2026-000002"]
    post("meetings:move_up", "HS-2026-000003")  # already first: nothing moves
    assert references(planned) == ["HS-2026-000003", "HS-2026-000001", "HS-2026-000002"]
    post("meetings:remove_item", "HS-2026-000001")
    assert references(planned) == ["HS-2026-000003", "HS-2026-000002"]
    assert list(planned.items.order_by("position").values_list("position", flat=True)) == [0, 1]


def test_an_item_with_minutes_stays(client, login, people, cell):
    actions.record_minutes(item=cell.item_a, actor=people.coordinator, minutes=MINUTES_MARK)
    as_member(client, login, people.coordinator)
    url = reverse("meetings:remove_item", args=[cell.meeting.public_id, cell.item_a.public_id])
    page = client.post(url, follow=True).content.decode()
    assert "Ce dossier a déjà un compte rendu" in page
    assert cell.meeting.items.filter(pk=cell.item_a.pk).exists()


# --- The case page -------------------------------------------------------------------------------


def test_the_case_page_shows_meetings_minutes_and_decisions(client, login, people, cell):
    actions.record_minutes(
        item=cell.item_a,
        actor=people.coordinator,
        minutes=MINUTES_MARK,
        decisions=[
            actions.DecisionData(
                title="Changer l’élève de groupe en EPS",
                owner_organisation=people.school_a_staff.organisation,
                owner=None,
                due_at=datetime(2027, 1, 15, 23, 59, tzinfo=PARIS),
            )
        ],
    )
    url = reverse("cases:detail", args=[cell.case_a.public_id])
    page = as_member(client, login, people.school_a_staff).get(url).content.decode()
    assert "Réunions de la cellule" in page
    assert MINUTES_MARK in page
    assert "Changer l’élève de groupe en EPS" in page
    assert "15/01/2027" in page
    assert people.school_a_staff.organisation.name in page
    assert "Inscrire à l’ordre du jour" not in page  # the coordination only
    # The police reads only the judicial part of case A: no meetings section.
    page = as_member(client, login, people.police).get(url).content.decode()
    assert "Réunions de la cellule" not in page
    assert MINUTES_MARK not in page


def test_the_coordination_enrols_a_case_from_its_page(client, login, people, cell):
    upcoming = make_meeting(people.coordinator, timezone.now() + timedelta(days=2), title="Prochaine réunion")
    make_meeting(
        people.coordinator, timezone.now() + timedelta(days=9), status=Meeting.Status.CANCELLED, title="Annulée"
    )
    as_member(client, login, people.coordinator)
    page = client.get(reverse("cases:detail", args=[cell.case_a.public_id])).content.decode()
    assert "Inscrire à l’ordre du jour" in page
    assert "Prochaine réunion" in page
    assert "Annulée —" not in page
    assert cell.meeting.title + " — " + timezone.localtime(cell.meeting.starts_at).strftime("%d/%m/%Y") in page
    url = reverse("meetings:enrol", args=[cell.case_a.public_id])
    response = client.post(url, {"meeting": str(upcoming.public_id)})
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[cell.case_a.public_id])
    assert upcoming.items.filter(case=cell.case_a).exists()
    # Twice: a clear refusal, not an error page.
    page = client.post(url, {"meeting": str(upcoming.public_id)}, follow=True).content.decode()
    assert "Rien n’a été enregistré" in page
    assert upcoming.items.count() == 1


def test_a_merged_case_is_not_offered_for_enrolment(client, login, people, cell):
    make_meeting(people.coordinator, timezone.now() + timedelta(days=2))
    Case.objects.filter(pk=cell.case_b.pk).update(merged_into=cell.case_a)
    as_member(client, login, people.coordinator)
    page = client.get(reverse("cases:detail", args=[cell.case_b.public_id])).content.decode()
    assert "Inscrire à l’ordre du jour" not in page


def test_decisions_follow_the_compartment_of_their_action(client, login, people, cell):
    """A decision whose action belongs to the judicial part is shown only to readers of that part."""
    actions.record_minutes(item=cell.item_a, actor=people.coordinator, minutes=MINUTES_MARK)
    judicial = create_action(
        case=cell.case_a,
        actor=people.magistrate,
        title="ACTION-JUDICIAIRE",
        owner_organisation=people.magistrate.organisation,
        compartment="judicial",
    )
    Decision.objects.create(item=cell.item_a, action=judicial)
    case_url = reverse("cases:detail", args=[cell.case_a.public_id])
    item_url = reverse("meetings:item", args=[cell.meeting.public_id, cell.item_a.public_id])
    for name, shown in [("magistrate", True), ("school_a_staff", False), ("education_referent", False)]:
        as_member(client, login, getattr(people, name))
        for url in (case_url, item_url):
            page = client.get(url).content.decode()
            assert MINUTES_MARK in page, (name, url)
            assert ("ACTION-JUDICIAIRE" in page) is shown, (name, url)


@pytest.mark.parametrize("name", ["coordinator", "school_a_staff"])
def test_the_meeting_page_query_count_does_not_grow_with_the_agenda(client, login, people, name):
    meeting = make_meeting(people.coordinator, timezone.now() + timedelta(days=2))
    Invitation.objects.create(meeting=meeting, membership=people.school_a_staff)
    school = people.school_a_staff.school
    as_member(client, login, getattr(people, name))
    url = reverse("meetings:detail", args=[meeting.public_id])
    counts = []
    for batch in (1, 8):
        start = meeting.items.count()
        for index in range(batch):
            case = make_case(f"HS-2026-{start + index:06d}", school=school if index % 2 else None, priority="P1")
            AgendaItem.objects.create(
                meeting=meeting, case=case, reason=AgendaItem.Reason.ADDED, position=start + index
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Attendance reads as a word about the person --------------------------------------------------


def _civility(membership, civility):
    membership.user.civility = civility
    membership.user.save(update_fields=["civility"])


def test_attendance_reads_as_a_word_about_each_person_agreeing_with_her(client, login, people):
    """The column is « Présence »; the value is what a coordinator writes next to a name: « A pris part »,
    « Excusée », « Absent », or the inclusive « Excusé(e) » without a civility."""
    from halte.accounts.models import Civility

    meeting = make_meeting(people.coordinator, timezone.now() - timedelta(hours=3))
    rows = [
        (people.magistrate, Civility.MADAME, "excused", "Excusée"),
        (people.police, Civility.MONSIEUR, "absent", "Absent"),
        (people.social_worker, Civility.MADAME, "absent", "Absente"),
        (people.school_a_staff, "", "excused", "Excusé(e)"),
        (people.education_referent, Civility.MADAME, "present", "A pris part"),
    ]
    for membership, civility, attendance, _word in rows:
        _civility(membership, civility)
        Invitation.objects.create(meeting=meeting, membership=membership, attendance=attendance)
    as_member(client, login, people.coordinator)
    page = client.get(reverse("meetings:detail", args=[meeting.public_id])).content.decode()
    for membership, *_given, word in rows:
        name = membership.user.get_full_name()
        row = page[page.index(name) :].split("</tr>")[0]
        assert f"<td>{word}</td>" in row, (name, word)
    assert "<td>Présence</td>" not in page and "<td>Absence" not in page
    # The radio buttons of « Relever les présences » agree too.
    invitation = Invitation.objects.get(membership=people.magistrate)
    field = client.get(reverse("meetings:detail", args=[meeting.public_id])).context["attendance_form"][
        f"presence_{invitation.pk}"
    ]
    assert [str(label) for _value, label in field.field.choices] == [
        "Non renseignée",
        "A pris part",
        "Excusée",
        "Absente",
    ]


def test_an_invitee_reads_her_own_attendance_agreeing_with_her(client, login, people, two_schools):
    from halte.accounts.models import Civility

    _civility(people.school_a_staff, Civility.MADAME)
    as_member(client, login, people.school_a_staff)
    page = client.get(reverse("meetings:detail", args=[two_schools.public_id])).content.decode()
    assert "Votre présence :" in page and "Excusée" in page
    assert "Absence excusée" not in page
