"""Send notifications: one in-app row per person and an email job per person, both written in the
caller's transaction (halte/delivery): committed together, sent by the worker, retried on failure,
never sent for a change that rolled back, and a slow mail server never holds a request.

Emails carry a title and a link, never content: a mailbox is not a place for a child's story.
"""

from collections.abc import Iterable

from halte.delivery.queue import enqueue

from .models import Kind, Notification
from .tasks import send_notification_email


def notify(
    *,
    users: Iterable,
    kind: Kind | str,
    title: str,
    url: str,
    email: bool = True,
    email_title: str | None = None,
) -> list[Notification]:
    """`title` is shown in Halte; the email carries `email_title` when given (a neutral wording for
    titles that say something about a case), else the title. Titles longer than the column are cut."""
    title = shorten(title)
    recipients = {user.pk: user for user in users if user.is_active}.values()
    rows = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, title=title, url=url) for user in recipients]
    )
    if email:
        subject = shorten(email_title) if email_title else title
        for user in recipients:
            if user.email:
                enqueue(send_notification_email, user.email, subject, url, title=subject, recipient=user.email)
    return rows


def shorten(title: str) -> str:
    """Fit a title in the notification's column, cut at a word with an ellipsis."""
    limit = Notification._meta.get_field("title").max_length or 200
    if len(title) <= limit:
        return title
    return title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"
