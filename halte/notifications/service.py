"""Send notifications: one in-app row per membership and an email queued as a background task (so a
slow mail server never holds a request).

The email's task is recorded in the caller's transaction when the task queue lives in the same
database (the task row commits, or rolls back, with the rows it is about); nothing can be lost
between the commit and the enqueue. A queue outside the database (the immediate backend of
development and tests) is given the task once the transaction has committed.

A notification is written for the membership it concerns (a person acts through one role in one
organisation at a time): only that membership sees it (``Notification.objects.visible_to``), and the
email says for which role and structure, so that the person picks the right one at login.

Emails carry a title and a link, never content: a mailbox is not a place for a child's story.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks_db import DatabaseBackend

from halte.access import policy

from .models import Kind, Notification
from .tasks import send_notification_emails

logger = logging.getLogger(__name__)


def notify(
    *,
    memberships: Iterable,
    kind: Kind | str,
    title: str,
    url: str,
    email: bool = True,
    email_title: str | None = None,
) -> list[Notification]:
    """`title` is shown in Halte; the email carries `email_title` when given (a neutral wording for
    titles that say something about a case), else the title. Titles longer than the column are cut.
    Ended memberships (or of an inactive person or organisation) receive nothing. A membership whose
    role may not open the link's page (a steering contact told of a report it cannot read) gets the
    staff home instead: a notification never leads to a refusal."""
    title = shorten(title)
    recipients = list({m.pk: m for m in memberships if is_usable(m)}.values())
    links = {m.pk: link_for(m, url) for m in recipients}
    rows = Notification.objects.bulk_create(
        [Notification(recipient=m.user, membership=m, kind=kind, title=title, url=links[m.pk]) for m in recipients]
    )
    if email and recipients:
        subject = shorten(email_title) if email_title else title
        batches: dict[tuple[str, str], list[str]] = {}
        for membership in recipients:
            batches.setdefault((as_whom(membership), links[membership.pk]), []).append(membership.user.email)
        for (label, link), addresses in batches.items():
            line = _("%(title)s — pour votre rôle %(as_whom)s") % {"title": subject, "as_whom": label}
            enqueue_with_transaction(send_notification_emails, addresses, line, link)
    return rows


def link_for(membership, url: str) -> str:
    if policy.page_allows(membership, url):
        return url
    logger.warning("A notification link refused to its membership's role was replaced by the staff home.")
    return reverse("www:staff_home")


def is_usable(membership) -> bool:
    return bool(membership.is_active and membership.organisation.is_active and membership.user.is_active)


def as_whom(membership) -> str:
    """« Coordinateur ou coordinatrice de la cellule (DSDEN de la Somme) »: which role, where."""
    organisation = membership.organisation
    return _("« %(role)s » (%(organisation)s)") % {
        "role": membership.get_role_display(),
        "organisation": organisation.short_name or organisation.name,
    }


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


def hide_for_ended(memberships) -> int:
    """Hide, for good, the notifications of memberships that have ended. Returns how many."""
    from django.utils import timezone

    return Notification.objects.filter(membership__in=memberships, hidden_at__isnull=True).update(
        hidden_at=timezone.now()
    )
