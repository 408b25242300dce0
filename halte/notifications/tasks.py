"""Background tasks of notifications: sending emails out of the request, through the task queue."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_notification_emails(addresses: list[str], title: str, url: str) -> int:
    """One email per address with a title and a link, never content. Returns how many were sent."""
    body = _(
        "Bonjour,\n\n%(title)s.\n\nPour en savoir plus, connectez-vous à Halte :\n%(link)s\n\n"
        "Ce message ne contient volontairement aucun détail. Merci de ne pas y répondre.\n"
    ) % {"title": title, "link": f"{settings.SITE_URL}{url}"}
    sent = 0
    for address in addresses:
        try:
            sent += send_mail(f"Halte — {title}", body, None, [address])
        except Exception:  # one failing address must not stop the others, nor lose the in-app notification
            logger.exception("Notification email could not be sent.")
    return sent
