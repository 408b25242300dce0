"""Background work of meetings: sending one calendar invitation, through the job queue (halte/delivery)."""

from django.utils.translation import gettext as _

from halte.delivery.queue import task

from . import emails


class NotSent(Exception):
    pass


@task("meetings.calendar_email")
def send_calendar_email(message: dict) -> None:
    """Send one prepared invitation (see :func:`halte.meetings.emails.prepare`); raise if not accepted."""
    if emails.build(message).send(fail_silently=False) != 1:
        raise NotSent(_("Le serveur de messagerie n’a accepté aucun message."))
