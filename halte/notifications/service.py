"""Send notifications: one in-app row per person and, once the transaction commits, an email
(queued as a background task, so a slow mail server never holds a request).

Emails carry a title and a link, never content: a mailbox is not a place for a child's story.
"""

from collections.abc import Iterable

from django.db import transaction

from .models import Kind, Notification
from .tasks import send_notification_emails


def notify(*, users: Iterable, kind: Kind | str, title: str, url: str, email: bool = True) -> list[Notification]:
    recipients = {user.pk: user for user in users if user.is_active}.values()
    rows = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, title=title, url=url) for user in recipients]
    )
    if email:
        addresses = [user.email for user in recipients]
        transaction.on_commit(lambda: send_notification_emails.enqueue(addresses, title, url))
    return rows
