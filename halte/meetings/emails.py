"""Invitation emails of the cell's meetings, each with its iCalendar file.

An email says when and where, and links to the meeting page. It never names a case: the agenda is
read in Halte, by those allowed to. Nor does it say who else is invited: each person's calendar file
names the organiser and that person only (a school invited hints at a case of that school).

Messages are prepared inside the transaction that changes the meeting (so they describe what is
committed), and queued in that same transaction (one job per person, halte/delivery): a rolled-back
change sends nothing and a slow mail server never holds a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from halte.core import mail
from halte.directory.cells import cell_of_membership

from . import ical
from .models import Meeting

ICS_FILENAME = "invitation.ics"

INVITE = "invite"
UPDATE = "update"
CANCEL = "cancel"  # the meeting is cancelled
WITHDRAWN = "withdrawn"  # the meeting goes on, without this person
_METHODS = {INVITE: ical.REQUEST, UPDATE: ical.REQUEST, CANCEL: ical.CANCEL, WITHDRAWN: ical.CANCEL}


def meeting_url(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.public_id])


def when(meeting: Meeting) -> str:
    """« jeudi 3 décembre 2026, de 14:00 à 16:00 » in Paris time."""
    zone = timezone.get_default_timezone()
    start = timezone.localtime(meeting.starts_at, zone)
    end = timezone.localtime(meeting.starts_at + timedelta(minutes=meeting.duration_minutes), zone)
    return _("%(day)s, de %(start)s à %(end)s") % {
        "day": formats.date_format(start, "l j F Y"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def short_when(meeting: Meeting) -> str:
    start = timezone.localtime(meeting.starts_at, timezone.get_default_timezone())
    return _("%(day)s à %(time)s") % {"day": start.strftime("%d/%m/%Y"), "time": start.strftime("%H:%M")}


def _person(membership) -> ical.Person:
    return ical.Person(name=membership.user.get_full_name(), email=membership.user.email)


def calendar_for(meeting: Meeting, attendees: Iterable, *, method: str = ical.REQUEST, now=None) -> str:
    """The .ics text of a meeting listing the given memberships as attendees (one person's own file:
    just that person, never the whole list)."""
    link = f"{settings.SITE_URL}{meeting_url(meeting)}"
    event = ical.Event(
        uid=f"{meeting.public_id}@halte",
        sequence=meeting.sequence,
        summary=meeting.title,
        location=meeting.place,
        starts_at=meeting.starts_at,
        duration=timedelta(minutes=meeting.duration_minutes),
        organiser=_person(meeting.organiser),
        attendees=[_person(m) for m in attendees],
        description=_("Ordre du jour et documents dans Halte : %(link)s") % {"link": link},
        url=link,
    )
    return ical.calendar(event, method=method, now=now)


def _subject(meeting: Meeting, kind: str) -> str:
    values = {"title": meeting.title, "when": short_when(meeting)}
    if kind == CANCEL:
        text = _("Réunion annulée : %(title)s du %(when)s") % values
    elif kind == WITHDRAWN:
        text = _("Invitation retirée : %(title)s du %(when)s") % values
    elif kind == UPDATE:
        text = _("Réunion modifiée : %(title)s du %(when)s") % values
    else:
        text = _("Invitation : %(title)s du %(when)s") % values
    return f"{settings.HALTE['SERVICE_NAME']} — {text}"


def _body(meeting: Meeting, kind: str) -> str:
    values = {
        "title": meeting.title,
        "when": when(meeting),
        "place": meeting.where,
        "link": f"{settings.SITE_URL}{meeting_url(meeting)}",
    }
    if kind == CANCEL:
        intro = _("La réunion « %(title)s » est annulée.") % values
    elif kind == WITHDRAWN:
        intro = _("Votre invitation à la réunion « %(title)s » est retirée.") % values
    elif kind == UPDATE:
        intro = _("La réunion « %(title)s » a été modifiée. Voici ses nouvelles informations.") % values
    else:
        intro = _("Vous êtes invité(e) à la réunion « %(title)s ».") % values
    details = _("Date : %(when)s\nLieu : %(place)s") % values
    where = _("Les informations sur la réunion se consultent dans Halte, après connexion :\n%(link)s") % values
    if _METHODS[kind] == ical.CANCEL:
        attachment = _("Le fichier joint retire la réunion de votre agenda.")
    else:
        attachment = _("Le fichier joint ajoute la réunion à votre agenda.")
    notice = _("Ce message ne contient volontairement aucune information sur les dossiers. Merci de ne pas y répondre.")
    # Signed by the cell of the organiser's département (halte.directory.cells), never by the software.
    cell = cell_of_membership(meeting.organiser)
    return f"{_('Bonjour,')}\n\n{intro}\n\n{details}\n\n{where}\n\n{attachment}\n{notice}\n\n{cell.name}\n"


def prepare(meeting: Meeting, recipients: Iterable, *, kind: str, now=None) -> list[dict]:
    """One message per recipient membership: plain data, ready for the task queue. Each calendar
    file names the organiser and its recipient only."""
    method = _METHODS[kind]
    subject, body = _subject(meeting, kind), _body(meeting, kind)
    return [
        {
            "to": m.user.email,
            "subject": subject,
            "body": body,
            "ics": calendar_for(meeting, [m], method=method, now=now),
            "method": method,
        }
        for m in recipients
        if m.user.is_active and m.user.email
    ]


def build(message: dict) -> EmailMultiAlternatives:
    email = mail.compose(message["subject"], message["body"], [message["to"]])
    # Django adds charset=utf-8 to a text attachment: text/calendar; method=REQUEST; charset=utf-8.
    email.attach(ICS_FILENAME, message["ics"], f"text/calendar; method={message['method']}")
    return email


def send_after_commit(messages: list[dict]) -> None:
    """Queue one job per invitation in the current transaction: sent once it commits, never if it rolls back."""
    from halte.delivery.queue import enqueue

    from .tasks import send_calendar_email

    for message in messages:
        enqueue(send_calendar_email, message, title=message["subject"], recipient=message["to"])
