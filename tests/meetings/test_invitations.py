"""Invitations: who is invited, what the email says (and never says), when it leaves, updates and
cancellations, in-app notifications, and attendance."""

import email
from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.directory.cells import cell_of_membership
from halte.meetings import actions
from halte.meetings.models import Invitation, Meeting
from halte.notifications.models import Kind, Notification

from .conftest import CORE_MARK, make_case, make_meeting


@pytest.fixture
def meeting(people):
    return make_meeting(people.coordinator, timezone.now() + timedelta(days=6), place="Tribunal judiciaire, salle B")


@pytest.fixture
def with_cases(meeting, people):
    """Two cases on the agenda: their references must never reach an email."""
    for number in (41, 42):
        case = make_case(f"HS-2026-0000{number}", school=people.school_a_staff.school)
        meeting.items.create(case=case, reason="added", position=number)
    return meeting


def calendar_part(message) -> email.message.Message:
    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def calendar_of(message) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(calendar_part(message).get_payload(decode=True))


def ics_text(message) -> str:
    return calendar_part(message).get_payload(decode=True).decode()


def attendees_of(event) -> list[str]:
    attendees = event.get("ATTENDEE", [])
    return [str(a) for a in (attendees if isinstance(attendees, list) else [attendees])]


def assert_each_file_names_only_its_recipient(people, names):
    """Every calendar file names the organiser and its recipient, no one else invited."""
    emails = {getattr(people, name).user.email for name in names}
    assert {m.to[0] for m in mail.outbox} == emails
    for message in mail.outbox:
        (event,) = calendar_of(message).walk("VEVENT")
        assert attendees_of(event) == [f"mailto:{message.to[0]}"]
        assert str(event["ORGANIZER"]) == f"mailto:{people.coordinator.user.email}"
        text = ics_text(message)
        for other in emails - {message.to[0]}:
            assert other not in text


def invite(meeting, people, *names, capture):
    with capture(execute=True):
        return actions.send_invitations(
            meeting=meeting, actor=people.coordinator, memberships=[getattr(people, n) for n in names]
        )


def test_each_invited_person_gets_an_email_with_the_calendar_attached(
    with_cases, people, django_capture_on_commit_callbacks
):
    meeting = with_cases
    result = invite(meeting, people, "magistrate", "school_a_staff", capture=django_capture_on_commit_callbacks)
    assert result.sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [people.magistrate.user.email, people.school_a_staff.user.email]
    )
    for message in mail.outbox:
        part = calendar_part(message)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        assert part.get_content_charset() == "utf-8"
        assert part.get_filename() == "invitation.ics"
        calendar = calendar_of(message)
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event["UID"] == f"{meeting.public_id}@halte"


def test_the_email_says_when_where_and_links_but_names_no_case(with_cases, people, django_capture_on_commit_callbacks):
    meeting = with_cases
    invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    local = timezone.localtime(meeting.starts_at)
    assert local.strftime("%H:%M") in message.body
    assert str(local.day) in message.body
    assert meeting.place in message.body
    assert reverse("meetings:detail", args=[meeting.public_id]) in message.body
    # Signed by the cell of the organiser's département, not by the software.
    assert cell_of_membership(meeting.organiser).name in message.body
    ics = calendar_part(message).get_payload(decode=True).decode()
    for text in (message.subject, message.body, ics):
        assert "HS-2026" not in text
        assert CORE_MARK not in text


def test_emails_leave_only_after_commit(meeting, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actions.send_invitations(meeting=meeting, actor=people.coordinator, memberships=[people.magistrate])
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1


def test_a_refused_change_sends_nothing(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", "police", capture=django_capture_on_commit_callbacks)
    Invitation.objects.filter(membership=people.police).update(attendance=Invitation.Attendance.EXCUSED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(actions.MeetingRefused):
        actions.send_invitations(
            meeting=meeting, actor=people.coordinator, memberships=[people.magistrate, people.social_worker]
        )
    assert callbacks == []
    assert mail.outbox == []
    assert set(meeting.invitations.values_list("membership", flat=True)) == {people.magistrate.pk, people.police.pk}


def test_in_app_notification_without_a_second_email(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", "police", capture=django_capture_on_commit_callbacks)
    notes = Notification.objects.filter(kind=Kind.MEETING_INVITATION)
    assert {n.recipient_id for n in notes} == {people.magistrate.user_id, people.police.user_id}
    assert {n.url for n in notes} == {reverse("meetings:detail", args=[meeting.public_id])}
    assert len(mail.outbox) == 2  # the calendar emails only: notify() was told not to email


def test_sending_again_emails_only_the_newcomers(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    result = invite(meeting, people, "magistrate", "social_worker", capture=django_capture_on_commit_callbacks)
    assert result.sent == 1
    assert [m.to for m in mail.outbox] == [[people.social_worker.user.email]]
    (event,) = calendar_of(mail.outbox[0]).walk("VEVENT")
    assert attendees_of(event) == [f"mailto:{people.social_worker.user.email}"]
    assert people.magistrate.user.email not in ics_text(mail.outbox[0])


def test_taking_someone_off_sends_them_a_cancellation(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", "police", capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    result = invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    assert result.removed == 1
    (message,) = mail.outbox
    assert message.to == [people.police.user.email]
    assert calendar_part(message).get_param("method") == "CANCEL"
    assert calendar_of(message)["METHOD"] == "CANCEL"
    assert not meeting.invitations.filter(membership=people.police).exists()


def sequence_of(message) -> int:
    (event,) = calendar_of(message).walk("VEVENT")
    return int(event["SEQUENCE"])


def test_a_withdrawal_outranks_the_invitation_it_withdraws(meeting, people, django_capture_on_commit_callbacks):
    """RFC 5545 §3.8.7.4: a calendar keeps the copy with the highest SEQUENCE. A CANCEL at the same
    SEQUENCE as the REQUEST it withdraws is ignored by the partners' calendars: the meeting stays there."""
    invite(meeting, people, "magistrate", "police", capture=django_capture_on_commit_callbacks)
    request = next(m for m in mail.outbox if m.to == [people.police.user.email])
    mail.outbox.clear()
    invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    (cancel,) = mail.outbox  # the magistrate, whose copy did not change, gets nothing
    assert calendar_of(cancel)["METHOD"] == "CANCEL"
    assert sequence_of(cancel) > sequence_of(request)
    mail.outbox.clear()
    # Invited again: the new invitation must outrank the cancellation, or it would be ignored in turn.
    invite(meeting, people, "magistrate", "police", capture=django_capture_on_commit_callbacks)
    (again,) = mail.outbox
    assert calendar_of(again)["METHOD"] == "REQUEST"
    assert sequence_of(again) > sequence_of(cancel)
    mail.outbox.clear()
    # An update after all this reaches both, above every copy they hold.
    with django_capture_on_commit_callbacks(execute=True):
        actions.update(meeting=meeting, actor=people.coordinator, place="Préfecture, salle Picardie")
    assert {m.to[0] for m in mail.outbox} == {people.magistrate.user.email, people.police.user.email}
    assert all(sequence_of(m) > sequence_of(again) for m in mail.outbox)


def test_editing_sends_the_new_version_with_a_higher_sequence(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        updated = actions.update(meeting=meeting, actor=people.coordinator, place="Préfecture, salle Picardie")
    assert updated.sequence == 1
    (message,) = mail.outbox
    (event,) = calendar_of(message).walk("VEVENT")
    assert event["SEQUENCE"] == 1
    assert event["LOCATION"] == "Préfecture, salle Picardie"
    assert Invitation.objects.get(membership=people.magistrate).sent_sequence == 1
    assert AuditEvent.objects.filter(action=AuditAction.MEETING_CHANGED).count() == 1


def test_an_edit_that_changes_nothing_keeps_the_sequence(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        same = actions.update(meeting=meeting, actor=people.coordinator, place=meeting.place, title=meeting.title)
    assert same.sequence == 0
    assert mail.outbox == []


def test_cancelling_sends_cancel_to_everyone_invited(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", "police", capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel(meeting=meeting, actor=people.coordinator, reason="Grève des transports")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        calendar = calendar_of(message)
        assert calendar["METHOD"] == "CANCEL"
        (event,) = calendar.walk("VEVENT")
        assert event["STATUS"] == "CANCELLED"
        assert event["SEQUENCE"] == 1
        assert "Grève" not in message.body  # the reason stays in Halte


def test_a_cancelled_meeting_cannot_be_edited_or_reinvited(meeting, people):
    actions.cancel(meeting=meeting, actor=people.coordinator, reason="Reportée")
    with pytest.raises(actions.MeetingRefused):
        actions.update(meeting=meeting, actor=people.coordinator, place="Ailleurs")
    with pytest.raises(actions.MeetingRefused):
        actions.send_invitations(meeting=meeting, actor=people.coordinator, memberships=[people.magistrate])


def test_the_invitation_page_preselects_the_cell_members(client, login, people, meeting):
    login(client, people.coordinator)
    response = client.get(reverse("meetings:invitations", args=[meeting.public_id]))
    assert response.status_code == 200
    form = response.context["form"]
    preselected = set(form.initial["members"])
    cell = {
        people.coordinator.pk,
        people.magistrate.pk,
        people.prosecutor_delegate.pk,
        people.education_referent.pk,
        people.social_worker.pk,
    }
    assert preselected == cell
    # Anyone else who reads cases can be added; those who never read cases cannot.
    groups = [options for _group, options in form.fields["other"].choices if isinstance(options, list)]
    others = {value for options in groups for value, _label in options}
    assert people.police.pk in others
    assert people.school_a_staff.pk in others
    assert people.analyst.pk not in others
    assert people.admin.pk not in others


def test_the_invitation_page_sends(client, login, people, meeting, django_capture_on_commit_callbacks):
    login(client, people.coordinator)
    url = reverse("meetings:invitations", args=[meeting.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"members": [people.magistrate.pk], "other": people.police.pk})
    assert response.status_code == 302
    assert set(meeting.invitations.values_list("membership", flat=True)) == {people.magistrate.pk, people.police.pk}
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action=AuditAction.MEETING_INVITATIONS_SENT).exists()


def test_inviting_someone_who_never_reads_cases_is_a_form_error(client, login, people, meeting):
    login(client, people.coordinator)
    url = reverse("meetings:invitations", args=[meeting.public_id])
    response = client.post(url, {"members": [people.magistrate.pk], "other": people.analyst.pk})
    assert response.status_code == 400
    assert "Ce choix n’est pas (ou plus) proposé" in response.content.decode()
    assert not meeting.invitations.exists()


def test_attendance_is_recorded(client, login, people, meeting, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", "police", capture=django_capture_on_commit_callbacks)
    magistrate = meeting.invitations.get(membership=people.magistrate)
    police = meeting.invitations.get(membership=people.police)
    login(client, people.coordinator)
    url = reverse("meetings:attendance", args=[meeting.public_id])
    response = client.post(url, {f"presence_{magistrate.pk}": "present", f"presence_{police.pk}": "excused"})
    assert response.status_code == 302
    magistrate.refresh_from_db()
    police.refresh_from_db()
    assert (magistrate.attendance, police.attendance) == ("present", "excused")
    assert AuditEvent.objects.filter(action=AuditAction.MEETING_ATTENDANCE).count() == 1


def test_bad_attendance_is_refused_in_french(client, login, people, meeting, django_capture_on_commit_callbacks):
    invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    invitation = meeting.invitations.get()
    login(client, people.coordinator)
    url = reverse("meetings:attendance", args=[meeting.public_id])
    response = client.post(url, {f"presence_{invitation.pk}": "sleeping"}, follow=True)
    assert response.status_code == 200
    assert "Rien n’a été enregistré" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.attendance == ""


WHO_SEES_WHOM = ("magistrate", "school_a_staff", "school_b_staff", "police")


def test_an_invitation_does_not_tell_who_else_is_invited(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, *WHO_SEES_WHOM, capture=django_capture_on_commit_callbacks)
    assert_each_file_names_only_its_recipient(people, WHO_SEES_WHOM)
    for message in mail.outbox:
        for name in WHO_SEES_WHOM:
            other = getattr(people, name)
            if other.user.email != message.to[0]:
                assert other.user.email not in message.body
                assert other.organisation.name not in message.body


def test_updates_and_cancellations_do_not_tell_who_else_is_invited(meeting, people, django_capture_on_commit_callbacks):
    invite(meeting, people, *WHO_SEES_WHOM, capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update(meeting=meeting, actor=people.coordinator, place="Préfecture, salle Picardie")
    assert_each_file_names_only_its_recipient(people, WHO_SEES_WHOM)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel(meeting=meeting, actor=people.coordinator, reason="Reportée")
    assert_each_file_names_only_its_recipient(people, WHO_SEES_WHOM)


def test_a_withdrawal_names_only_its_recipient(meeting, people, django_capture_on_commit_callbacks):
    invite(
        meeting, people, "magistrate", "school_a_staff", "school_b_staff", capture=django_capture_on_commit_callbacks
    )
    mail.outbox.clear()
    invite(meeting, people, "magistrate", capture=django_capture_on_commit_callbacks)
    assert_each_file_names_only_its_recipient(people, ("school_a_staff", "school_b_staff"))


def test_a_person_sitting_twice_in_the_cell_is_preselected_once(client, login, people, meeting):
    from halte.accounts.models import Membership, Role

    # The DSDEN referent also stands in for the coordinator: two cell memberships, one person.
    second = Membership.objects.create(
        user=people.education_referent.user, organisation=people.coordinator.organisation, role=Role.COORDINATOR
    )
    login(client, people.coordinator)
    form = client.get(reverse("meetings:invitations", args=[meeting.public_id])).context["form"]
    chosen = [pk for pk in form.initial["members"] if pk in (people.education_referent.pk, second.pk)]
    assert len(chosen) == 1
