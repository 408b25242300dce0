"""The .ics files, read back with the `icalendar` library: right instants in winter and summer, a
VTIMEZONE whose rules are right, stable UID, SEQUENCE, METHOD, escaping, folding and CRLF."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from halte.core.icalendar import ics_fold
from halte.meetings import emails, ical
from halte.meetings.models import Invitation

from .conftest import make_meeting

PARIS = ZoneInfo("Europe/Paris")
STAMP = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text.encode("utf-8"))


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def attendees_of(event: icalendar.Event) -> list:
    attendees = event.get("ATTENDEE", [])
    return attendees if isinstance(attendees, list) else [attendees]


@pytest.fixture
def invited(people):
    return [people.magistrate, people.school_a_staff]


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2026, 12, 3, 14, 0), datetime(2026, 12, 3, 13, 0, tzinfo=UTC)),  # winter: UTC+1
        (datetime(2027, 6, 10, 14, 0), datetime(2027, 6, 10, 12, 0, tzinfo=UTC)),  # summer: UTC+2
    ],
)
def test_dtstart_is_the_right_instant_in_paris(people, invited, local, utc):
    meeting = make_meeting(people.coordinator, local.replace(tzinfo=PARIS), duration_minutes=90)
    event = event_of(parse(emails.calendar_for(meeting, invited, now=STAMP)))
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    start = event.decoded("DTSTART")
    assert start.astimezone(UTC) == utc
    assert start.replace(tzinfo=None) == local
    assert event.decoded("DTEND").astimezone(UTC) == utc + timedelta(minutes=90)
    assert event.decoded("DTSTAMP") == STAMP


def test_the_vtimezone_rules_give_paris_offsets(people, invited):
    """Not only the TZID name: the VTIMEZONE itself must describe Paris (for clients that read it)."""
    meeting = make_meeting(people.coordinator, datetime(2026, 12, 3, 14, tzinfo=PARIS))
    (vtimezone,) = parse(emails.calendar_for(meeting, invited)).walk("VTIMEZONE")
    assert vtimezone["TZID"] == "Europe/Paris"
    described = vtimezone.to_tz(lookup_tzid=False)
    for moment in [
        datetime(2026, 12, 3, 14),
        datetime(2027, 6, 10, 14),
        datetime(2027, 3, 28, 1, 59),  # last Sunday of March 2027, just before the change
        datetime(2027, 3, 28, 3, 1),
        datetime(2027, 10, 31, 1, 0),  # last Sunday of October 2027
        datetime(2027, 10, 31, 4, 0),
        datetime(2030, 7, 1, 9, 0),
    ]:
        assert moment.replace(tzinfo=described).utcoffset() == moment.replace(tzinfo=PARIS).utcoffset(), moment


def test_duration_counts_real_minutes_across_the_change_to_summer_time(people, invited):
    # 01:30 on 28 March 2027 + 2 hours = 04:30 local time (02:00 jumps to 03:00).
    meeting = make_meeting(people.coordinator, datetime(2027, 3, 28, 1, 30, tzinfo=PARIS), duration_minutes=120)
    event = event_of(parse(emails.calendar_for(meeting, invited)))
    assert event.decoded("DTEND").replace(tzinfo=None) == datetime(2027, 3, 28, 4, 30)


def test_uid_sequence_method_and_people(people, invited):
    meeting = make_meeting(people.coordinator, datetime(2026, 12, 3, 14, tzinfo=PARIS), sequence=3)
    calendar = parse(emails.calendar_for(meeting, invited))
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == ical.PRODID
    event = event_of(calendar)
    assert event["UID"] == f"{meeting.public_id}@halte"
    assert event["SEQUENCE"] == 3
    assert event["SUMMARY"] == meeting.title
    assert event["LOCATION"] == meeting.place
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["ORGANIZER"]) == f"mailto:{people.coordinator.user.email}"
    assert event["ORGANIZER"].params["CN"] == people.coordinator.user.get_full_name()
    attendees = attendees_of(event)
    assert sorted(str(a) for a in attendees) == sorted(f"mailto:{m.user.email}" for m in invited)
    assert {a.params["RSVP"] for a in attendees} == {"TRUE"}


def test_the_uid_is_stable_and_the_sequence_follows_the_meeting(people, invited):
    meeting = make_meeting(people.coordinator, datetime(2026, 12, 3, 14, tzinfo=PARIS))
    first = event_of(parse(emails.calendar_for(meeting, invited)))
    meeting.sequence += 1
    meeting.place = "Tribunal judiciaire d’Amiens"
    second = event_of(parse(emails.calendar_for(meeting, invited)))
    assert first["UID"] == second["UID"]
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)


def test_a_cancellation_says_cancel_and_cancelled(people, invited):
    meeting = make_meeting(people.coordinator, datetime(2027, 6, 10, 14, tzinfo=PARIS))
    calendar = parse(emails.calendar_for(meeting, invited, method=ical.CANCEL))
    assert calendar["METHOD"] == "CANCEL"
    event = event_of(calendar)
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == f"{meeting.public_id}@halte"


def test_text_is_escaped_and_read_back_unchanged(people, invited):
    title = "Point d’étape; cellule, Somme \\ nord\nsecond line"
    place = "Salle 3, 1er étage; entrée B"
    people.coordinator.user.last_name = 'Dupont, "Marie"; Anne'
    meeting = make_meeting(people.coordinator, datetime(2026, 12, 3, 14, tzinfo=PARIS), title=title, place=place)
    text = emails.calendar_for(meeting, invited)
    assert "SUMMARY:Point d’étape\\; cellule\\, Somme \\\\ nord\\nsecond line" in text
    event = event_of(parse(text))
    assert event["SUMMARY"] == title
    assert event["LOCATION"] == place
    assert event["ORGANIZER"].params["CN"] == people.coordinator.user.get_full_name().replace('"', "'")


def test_lines_are_folded_at_75_octets_and_end_with_crlf(people, invited):
    place = "Maison départementale de la solidarité, salle « Jules Verne », 2ᵉ étage — " * 3
    assert len(place.strip()) <= 255  # the column's length, which PostgreSQL enforces
    meeting = make_meeting(people.coordinator, datetime(2026, 12, 3, 14, tzinfo=PARIS), place=place.strip())
    text = emails.calendar_for(meeting, invited)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    continuations = [line for line in lines if line.startswith(" ")]
    assert len(continuations) >= 3  # the long LOCATION really was folded
    assert event_of(parse(text))["LOCATION"] == place.strip()


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=400))
def test_fold_never_exceeds_75_octets_and_unfolds_to_the_same_line(line):
    folded = ics_fold(line)
    physical = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert folded.replace("\r\n ", "") == line


def test_the_download_is_the_calendar_of_the_meeting(client, login, people):
    meeting = make_meeting(people.coordinator, datetime(2027, 6, 10, 14, tzinfo=PARIS))
    for name in ("magistrate", "school_a_staff", "school_b_staff"):
        Invitation.objects.create(meeting=meeting, membership=getattr(people, name))
    # Names no one else of the cast may carry by chance (the factories draw names at random).
    for other, last_name in ((people.school_a_staff, "Invitéedailleurs"), (people.school_b_staff, "Autrinvité")):
        other.user.last_name = last_name
        other.user.save(update_fields=["last_name"])
    login(client, people.magistrate)
    response = client.get(f"/cellule/reunions/{meeting.public_id}/invitation.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="reunion-cellule-2027-06-10.ics"'
    assert b"\r\n" in response.content
    event = event_of(icalendar.Calendar.from_ical(response.content))
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 6, 10, 12, 0, tzinfo=UTC)
    # One's own file: the organiser and oneself, never the other people invited.
    assert [str(a) for a in attendees_of(event)] == [f"mailto:{people.magistrate.user.email}"]
    assert str(event["ORGANIZER"]) == f"mailto:{people.coordinator.user.email}"
    for other in (people.school_a_staff, people.school_b_staff):
        assert f"mailto:{other.user.email}".encode() not in response.content
        assert other.user.last_name.encode() not in response.content


def test_the_coordination_downloads_the_calendar_without_the_list_of_invitees(client, login, people):
    meeting = make_meeting(people.coordinator, datetime(2027, 6, 10, 14, tzinfo=PARIS))
    for name in ("magistrate", "school_b_staff"):
        Invitation.objects.create(meeting=meeting, membership=getattr(people, name))
    login(client, people.coordinator)
    response = client.get(f"/cellule/reunions/{meeting.public_id}/invitation.ics")
    assert response.status_code == 200
    event = event_of(icalendar.Calendar.from_ical(response.content))
    assert str(event["ORGANIZER"]) == f"mailto:{people.coordinator.user.email}"
    assert attendees_of(event) == []
    for other in (people.magistrate, people.school_b_staff):
        assert f"mailto:{other.user.email}".encode() not in response.content
