"""Send notifications: one in-app row per membership and an email job per person and role, both
written in the caller's transaction (halte/delivery): committed together, sent by the worker,
retried on failure, never sent for a change that rolled back, and a slow mail server never holds a
request.

A notification is written for the membership it concerns (a person acts through one role in one
organisation at a time): only that membership sees it (``Notification.objects.visible_to``), and the
email says for which role and structure, so that the person picks the right one at login.

Emails carry a title and a link, never content: a mailbox is not a place for a child's story.
"""

import logging
from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from halte.access import policy
from halte.delivery.queue import enqueue

from .models import Kind, Notification
from .tasks import send_notification_email

logger = logging.getLogger(__name__)


def notify(
    *,
    memberships: Iterable,
    kind: Kind | str,
    title: str,
    url: str,
    email: bool = True,
    email_title: str | None = None,
    jobs: list | None = None,
) -> list[Notification]:
    """`title` is shown in Halte; the email carries `email_title` when given (a neutral wording for
    titles that say something about a case), else the title. Titles longer than the column are cut.
    Ended memberships (or of an inactive person or organisation) receive nothing. A membership whose
    role may not open the link's page (a steering contact told of a report it cannot read) gets the
    staff home instead: a notification never leads to a refusal. `jobs`, when given, receives the
    email jobs queued."""
    title = shorten(title)
    recipients = list({m.pk: m for m in memberships if is_usable(m)}.values())
    links = {m.pk: link_for(m, url) for m in recipients}
    rows = Notification.objects.bulk_create(
        [Notification(recipient=m.user, membership=m, kind=kind, title=title, url=links[m.pk]) for m in recipients]
    )
    if email and recipients:
        subject = shorten(email_title) if email_title else title
        for membership in recipients:
            address = membership.user.email
            if not address:
                continue
            line = _("%(title)s — pour votre rôle %(as_whom)s") % {"title": subject, "as_whom": as_whom(membership)}
            link = links[membership.pk]
            job = enqueue(send_notification_email, address, line, link, title=subject, recipient=address)
            if jobs is not None:
                jobs.append(job)
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
