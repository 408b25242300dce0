"""Background work of the journal: mailing the daily checkpoint to the DPO, through the job queue
(halte/delivery: retried, then marked failed on the administrator's page)."""

from django.conf import settings
from django.utils.translation import gettext as _

from halte.core import mail
from halte.delivery.queue import task


@task("audit.checkpoint_email")
def send_checkpoint(addresses: list[str], lines: list[str], broken: list[str]) -> None:
    """One message to the DPO with the checkpoint lines, to keep: they are the witness, outside
    Halte's database, of what the journal held at the end of each day."""
    body = _(
        "Bonjour,\n\n"
        "Voici le point de contrôle du journal d’audit de %(service)s : pour chaque jour terminé (UTC), "
        "le nombre d’événements et le maillon final de la chaîne d’empreintes.\n\n"
        "%(lines)s\n\n"
        "Conservez ce message sans le modifier. Pour vérifier que le journal n’a pas été réécrit, "
        "enregistrez ces lignes dans un fichier et lancez :\n"
        "manage.py verify_journal --checkpoints <fichier>\n"
    ) % {"service": settings.HALTE["SERVICE_NAME"], "lines": "\n".join(lines)}
    if broken:
        body += "\n" + _("ATTENTION, la chaîne était déjà rompue :") + "\n" + "\n".join(broken) + "\n"
    subject = _("%(service)s — point de contrôle du journal d’audit") % {"service": settings.HALTE["SERVICE_NAME"]}
    if mail.send(subject, body, addresses) != 1:
        raise RuntimeError("the mail server accepted no message")
