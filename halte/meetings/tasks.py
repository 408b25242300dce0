"""Background task of meetings: sending the calendar invitations, out of the request."""

import logging

from django_tasks import task

from . import emails

logger = logging.getLogger(__name__)


@task()
def send_calendar_emails(messages: list[dict]) -> int:
    """Send prepared invitations (see :func:`halte.meetings.emails.prepare`). Returns how many were sent."""
    sent = 0
    for message in messages:
        try:
            sent += emails.build(message).send()
        except Exception:  # one failing address must not stop the others
            logger.exception("Meeting invitation email could not be sent.")
    return sent
