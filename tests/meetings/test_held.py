"""A meeting recorded after it took place (an emergency meeting by phone this morning): its real date,
who took part, then its agenda and minutes — and no email to anyone, since it is over."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.core.submission import new_token
from halte.meetings import actions
from halte.meetings.models import Invitation, Meeting
from halte.notifications.models import Notification

from .conftest import make_case
from .test_pages import as_member


def a_while_ago(**delta):
    return timezone.localtime() - timedelta(**delta)


def held_form(people, moment, **overrides):
    data = {
        "title": "Réunion d’urgence de la cellule",
        "day": moment.date().isoformat(),
        "start": moment.strftime("%H:%M"),
        "duration_minutes": "20",
        "mode": "phone",
        "place": "",
        "members": [str(people.coordinator.pk), str(people.magistrate.pk), str(people.school_a_staff.pk)],
        "submission_token": new_token(),
    }
    return {**data, **overrides}


def test_an_emergency_phone_meeting_is_recorded_with_its_real_date_and_no_email(
    client, login, people, django_capture_on_commit_callbacks
):
    this_morning = a_while_ago(hours=2)
    as_member(client, login, people.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meetings:record_held"), held_form(people, this_morning))
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"{meeting.public_id}/")
    assert meeting.status == Meeting.Status.HELD
    assert meeting.mode == Meeting.Mode.PHONE and meeting.place == ""
    assert timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M") == this_morning.strftime("%d/%m/%Y %H:%M")
    assert meeting.held_at == meeting.starts_at and meeting.recorded_after_the_fact
    assert set(meeting.invitations.values_list("membership", "attendance", "sent_at")) == {
        (people.coordinator.pk, Invitation.Attendance.PRESENT, None),
        (people.magistrate.pk, Invitation.Attendance.PRESENT, None),
        (people.school_a_staff.pk, Invitation.Attendance.PRESENT, None),
    }
    assert mail.outbox == [] and not Notification.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.MEETING_SCHEDULED)
    assert event.detail["recorded_after_the_fact"] is True and event.detail["mode"] == "phone"
    page = client.get(response["Location"]).content.decode()
    assert "Par téléphone" in page and "enregistrée après coup" in page


def test_a_meeting_recorded_after_the_fact_is_not_said_to_wait_for_its_invitations(client, login, people):
    meeting = actions.record_held(
        actor=people.coordinator,
        title="Urgence",
        starts_at=a_while_ago(hours=3),
        duration_minutes=15,
        mode=Meeting.Mode.VIDEO,
        place="",
        attendees=[people.coordinator, people.magistrate],
    )
    as_member(client, login, people.coordinator)
    page = client.get(reverse("meetings:detail", args=[meeting.public_id])).content.decode()
    assert "Pas encore" not in page and "Invitation envoyée" not in page
    assert "Réunion enregistrée après coup" in page
    listing = client.get(reverse("meetings:list")).content.decode()
    assert "En visioconférence" in listing


def test_its_agenda_and_minutes_are_written_after_the_fact(client, login, people):
    meeting = actions.record_held(
        actor=people.coordinator,
        title="Urgence",
        starts_at=a_while_ago(hours=3),
        duration_minutes=15,
        mode=Meeting.Mode.VIDEO,
        place="",
        attendees=[people.coordinator, people.magistrate],
    )
    case = make_case(
        "HS-2026-000321",
        school=people.school_a_staff.school,
        lead=people.coordinator,
        opened_at=meeting.starts_at - timedelta(hours=1),  # a meeting cannot examine a case opened after it
    )
    as_member(client, login, people.coordinator)
    client.post(reverse("meetings:add_item", args=[meeting.public_id]), {"reference": case.reference})
    item = meeting.items.get()
    actions.record_minutes(item=item, actor=people.coordinator, minutes="Mesures de protection décidées.")
    case.refresh_from_db()
    assert case.cell_meeting_at == meeting.starts_at  # examined when the meeting really took place


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"day": (timezone.localdate() + timedelta(days=1)).isoformat()}, "day", "programmez plutôt la réunion"),
        ({"day": (timezone.localdate() - timedelta(days=400)).isoformat()}, "day", "ne s’enregistre plus ici"),
        ({"mode": "in_person", "place": ""}, "place", "Indiquez le lieu"),
        ({"members": []}, "members", "obligatoire"),
        ({"title": "Point sur HS-2026-000001"}, "title", "référence de dossier"),
        ({"duration_minutes": "100000"}, "duration_minutes", "600"),
    ],
)
def test_what_cannot_be_a_past_meeting_is_refused_in_french_and_nothing_is_saved(
    client, login, people, overrides, field, message
):
    as_member(client, login, people.coordinator)
    response = client.post(reverse("meetings:record_held"), held_form(people, a_while_ago(hours=1), **overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Meeting.objects.exists()


def test_a_time_later_today_is_refused(db):
    from halte.meetings.forms import HeldMeetingForm

    now = timezone.localtime().replace(hour=9, minute=0)
    form = HeldMeetingForm(
        {
            "title": "x",
            "day": now.date().isoformat(),
            "start": "18:00",
            "duration_minutes": "30",
            "mode": "phone",
            "members": [],
        },
        now=now,
    )
    assert not form.is_valid()
    assert "pas encore passée" in " ".join(form.errors["start"])


def test_the_action_holds_the_line_too(people):
    with pytest.raises(actions.MeetingRefused):
        actions.record_held(
            actor=people.coordinator,
            title="x",
            starts_at=timezone.now() + timedelta(hours=1),
            duration_minutes=30,
            mode="phone",
            place="",
            attendees=[people.coordinator],
        )
    with pytest.raises(actions.MeetingRefused, match="suivent des dossiers"):
        actions.record_held(
            actor=people.coordinator,
            title="x",
            starts_at=timezone.now() - timedelta(hours=1),
            duration_minutes=30,
            mode="phone",
            place="",
            attendees=[people.coordinator, people.admin],
        )
    assert not Meeting.objects.exists()


def test_a_double_click_records_one_meeting(client, login, people):
    as_member(client, login, people.coordinator)
    data = held_form(people, a_while_ago(hours=1))
    first = client.post(reverse("meetings:record_held"), data)
    second = client.post(reverse("meetings:record_held"), data)
    assert Meeting.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]


def test_a_planned_meeting_brought_forward_is_held_at_its_real_date_and_calendars_follow(
    client, login, people, django_capture_on_commit_callbacks
):
    from .conftest import make_meeting

    planned = make_meeting(people.coordinator, timezone.now() + timedelta(hours=6))
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_invitations(meeting=planned, actor=people.coordinator, memberships=[people.magistrate])
    mail.outbox.clear()
    as_member(client, login, people.coordinator)
    # Without a date, a meeting that has not started is refused, with a way out.
    client.post(reverse("meetings:mark_held", args=[planned.public_id]))
    planned.refresh_from_db()
    assert planned.status == Meeting.Status.PLANNED
    # In the future: refused, nothing changes.
    later = timezone.localtime() + timedelta(hours=1)
    client.post(
        reverse("meetings:mark_held", args=[planned.public_id]),
        {"day": later.date().isoformat(), "start": later.strftime("%H:%M")},
    )
    planned.refresh_from_db()
    assert planned.status == Meeting.Status.PLANNED and mail.outbox == []
    # Brought forward to this morning: held then, and the invited magistrate's calendar is told.
    earlier = a_while_ago(hours=2).replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("meetings:mark_held", args=[planned.public_id]),
            {"day": earlier.date().isoformat(), "start": earlier.strftime("%H:%M")},
        )
    planned.refresh_from_db()
    assert planned.status == Meeting.Status.HELD
    assert planned.starts_at == earlier and planned.held_at == earlier
    (update,) = mail.outbox
    assert update.to == [people.magistrate.user.email]
    assert "a été modifiée" in update.body


def test_the_plain_held_button_still_works_once_started(people):
    from .conftest import make_meeting

    started = make_meeting(people.coordinator, timezone.now() - timedelta(minutes=10))
    actions.mark_held(meeting=started, actor=people.coordinator)
    started.refresh_from_db()
    assert started.status == Meeting.Status.HELD and started.held_at >= started.starts_at
