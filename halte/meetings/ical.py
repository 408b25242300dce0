"""iCalendar invitations of the cell's meetings, written by hand (RFC 5545, methods of RFC 5546).

One VCALENDAR with one VEVENT per meeting. ``METHOD:REQUEST`` invites or updates, ``METHOD:CANCEL``
(with ``STATUS:CANCELLED``) withdraws. The event's UID is stable per meeting and its SEQUENCE is the
meeting's, so calendar programs replace the previous version instead of adding a second event.

Times are given in the cell's local time with ``TZID=Europe/Paris`` and the VTIMEZONE that defines
it (the European rules in force since 1996: summer time from the last Sunday of March at 02:00 to
the last Sunday of October at 03:00). DTSTAMP is in UTC. Text is escaped (§3.3.11), lines end with
CRLF and are folded at 75 octets without cutting a UTF-8 character in two (§3.1).

The invitation carries the meeting's title, place, time and a link — never a case reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from halte.core.icalendar import CONTROL_CHARACTERS, ics_document, ics_escape, ics_time

PRODID = "-//Halte//Reunions de la cellule//FR"
TZID = "Europe/Paris"

REQUEST = "REQUEST"
CANCEL = "CANCEL"

# Europe/Paris as a VTIMEZONE: CET (+01:00) in winter, CEST (+02:00) in summer.
VTIMEZONE_PARIS = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19810329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19961027T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


_PARAM_UNSAFE = re.compile(r'[\x00-\x1f\x7f"]')


@dataclass(frozen=True)
class Person:
    """An organiser or an attendee: a name and an email address."""

    name: str
    email: str


@dataclass(frozen=True)
class Event:
    uid: str
    sequence: int
    summary: str
    location: str
    starts_at: datetime  # aware
    duration: timedelta
    organiser: Person
    attendees: Sequence[Person]
    description: str = ""
    url: str = ""


def param_value(value: str) -> str:
    """A parameter value (§3.2), always quoted: a name may hold ``:``, ``;`` or ``,``; DQUOTE is not allowed."""
    return '"' + _PARAM_UNSAFE.sub("", value.replace('"', "'")) + '"'


def _local_stamp(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(TZID)).strftime("%Y%m%dT%H%M%S")


def _mailto(person: Person) -> str:
    return "mailto:" + CONTROL_CHARACTERS.sub("", person.email).replace(" ", "")


def _event_lines(event: Event, *, method: str, now: datetime) -> list[str]:
    ends_at = event.starts_at.astimezone(UTC) + event.duration  # real minutes, whatever the clocks do
    lines = [
        "BEGIN:VEVENT",
        f"UID:{ics_escape(event.uid)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{ics_time(now)}",
        f"DTSTART;TZID={TZID}:{_local_stamp(event.starts_at)}",
        f"DTEND;TZID={TZID}:{_local_stamp(ends_at)}",
        f"SUMMARY:{ics_escape(event.summary)}",
        f"LOCATION:{ics_escape(event.location)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{ics_escape(event.description)}")
    if event.url:
        lines.append(f"URL:{CONTROL_CHARACTERS.sub('', event.url)}")
    lines.append(f"ORGANIZER;CN={param_value(event.organiser.name)}:{_mailto(event.organiser)}")
    for attendee in event.attendees:
        lines.append(
            f"ATTENDEE;CN={param_value(attendee.name)};CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
            f"PARTSTAT=NEEDS-ACTION;RSVP={'TRUE' if method == REQUEST else 'FALSE'}:{_mailto(attendee)}"
        )
    lines += [
        f"STATUS:{'CANCELLED' if method == CANCEL else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    return lines


def calendar(event: Event, *, method: str = REQUEST, now: datetime | None = None) -> str:
    """The whole .ics text: CRLF line ends, folded lines, one VTIMEZONE and one VEVENT."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"Unsupported iTIP method: {method}")
    now = now or datetime.now(UTC)
    lines: Iterable[str] = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        *VTIMEZONE_PARIS,
        *_event_lines(event, method=method, now=now),
        "END:VCALENDAR",
    ]
    return ics_document(list(lines))
