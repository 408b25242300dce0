"""Send notifications: one in-app row per person and an email queued as a background task (so a
slow mail server never holds a request).

The email's task is recorded in the caller's transaction when the task queue lives in the same
database (django-tasks' database backend: the task row commits, or rolls back, with the rows it is
about); nothing can be lost between the commit and the enqueue. A queue outside the database (the
immediate backend of development and tests) is given the task once the transaction has committed.

Emails carry a title and a link, never content: a mailbox is not a place for a child's story.
"""

from collections.abc import Iterable

from django.db import transaction
from django_tasks_db import DatabaseBackend

from .models import Kind, Notification
from .tasks import send_notification_emails


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
        addresses = [user.email for user in recipients]
        subject = shorten(email_title) if email_title else title
        enqueue_with_transaction(send_notification_emails, addresses, subject, url)
    return rows


def queue_is_transactional(task) -> bool:
    """Whether enqueuing ``task`` writes a row in the default database, inside the current transaction.

    A backend may say so itself with ``enqueues_in_transaction``; django-tasks' database backend does
    (``DBTaskResult.objects.create`` on the default connection).
    """
    backend = task.get_backend()
    return bool(getattr(backend, "enqueues_in_transaction", isinstance(backend, DatabaseBackend)))


def enqueue_with_transaction(task, *args) -> None:
    """Queue work that must follow the current transaction: in it when the queue is in the database,
    else on commit (a rolled-back change queues nothing either way)."""
    if queue_is_transactional(task):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))


def shorten(title: str) -> str:
    """Fit a title in the notification's column, cut at a word with an ellipsis."""
    limit = Notification._meta.get_field("title").max_length or 200
    if len(title) <= limit:
        return title
    return title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"
