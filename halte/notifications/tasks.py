"""Background work of notifications: one email per address, through the job queue (halte/delivery)."""

from django.conf import settings
from django.utils.translation import gettext as _

from halte.core import mail
from halte.delivery.queue import task


class NotSent(Exception):
    """The mail server answered but took nothing: not done, to be tried again."""


@task("notifications.email")
def send_notification_email(address: str, title: str, url: str) -> None:
    """One email with a title and a link, never content. Raises when the email was not accepted
    (refused connection, timeout, refused address), so that the queue tries again, then marks it failed."""
    body = _(
        "Bonjour,\n\n%(title)s.\n\nPour en savoir plus, connectez-vous à Halte :\n%(link)s\n\n"
        "Ce message ne contient volontairement aucun détail. Merci de ne pas y répondre.\n"
    ) % {"title": title, "link": f"{settings.SITE_URL}{url}"}
    if mail.send(f"Halte — {title}", body, [address]) != 1:
        raise NotSent(_("Le serveur de messagerie n’a accepté aucun message."))
