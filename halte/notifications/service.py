"""Send notifications: one in-app row per person and, once the transaction commits, an email.

Emails carry a title and a link, never content: a mailbox is not a place for a child's story.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Kind, Notification

logger = logging.getLogger(__name__)


def notify(*, users: Iterable, kind: Kind | str, title: str, url: str, email: bool = True) -> list[Notification]:
    recipients = {user.pk: user for user in users if user.is_active}.values()
    rows = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, title=title, url=url) for user in recipients]
    )
    if email:
        addresses = [user.email for user in recipients]
        transaction.on_commit(lambda: _send_emails(addresses, title, url))
    return rows


def _send_emails(addresses: list[str], title: str, url: str) -> None:
    body = _(
        "Bonjour,\n\n%(title)s.\n\nPour en savoir plus, connectez-vous à Halte :\n%(link)s\n\n"
        "Ce message ne contient volontairement aucun détail. Merci de ne pas y répondre.\n"
    ) % {"title": title, "link": f"{settings.SITE_URL}{url}"}
    for address in addresses:
        try:
            send_mail(f"Halte — {title}", body, None, [address])
        except Exception:  # an email server failure must not lose the in-app notification
            logger.exception("Notification email could not be sent.")
