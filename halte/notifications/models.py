"""In-app notifications. Titles name a reference, never the content of a report or a case."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NEW_REPORT = "new_report", _("Nouveau signalement")
    WORRYING_REPORT = "worrying_report", _("Signalement préoccupant")
    REPORTER_MESSAGE = "reporter_message", _("Nouveau message d’une personne qui a signalé")
    CRITICAL_ALERT = "critical_alert", _("Alerte critique")
    ASSIGNMENT = "assignment", _("Attribution d’un dossier")
    SHARE = "share", _("Dossier partagé avec votre structure")
    CLOCK_REMINDER = "clock_reminder", _("Échéance proche")
    CLOCK_ESCALATION = "clock_escalation", _("Échéance dépassée")
    WORKSHOP_REQUEST = "workshop_request", _("Demande d’atelier")
    WORKSHOP_ASSIGNED = "workshop_assigned", _("Atelier attribué")
    WORKSHOP_CONFIRMED = "workshop_confirmed", _("Atelier confirmé")
    WORKSHOP_DELIVERED = "workshop_delivered", _("Atelier réalisé")
    WORKSHOP_CANCELLED = "workshop_cancelled", _("Atelier annulé")
    WORKSHOP_WITHDRAWN = "workshop_withdrawn", _("Atelier retiré")
    APPROVAL_EXPIRY = "approval_expiry", _("Agrément bientôt expiré")
    ACTION_ASSIGNED = "action_assigned", _("Action confiée à votre structure")
    MEETING_INVITATION = "meeting_invitation", _("Invitation à une réunion de la cellule")
    MPP_SWITCH = "mpp_switch", _("Préoccupation partagée sans amélioration")
    WATCH_REMINDER = "watch_reminder", _("Dossier en veille à vérifier")
    CASE_OUTCOME = "case_outcome", _("Suites données à un dossier")
    ACTION_DONE = "action_done", _("Action réalisée ou annulée")
    FOLLOW_UP_ALERT = "follow_up_alert", _("Point de suivi : renforcer l’intervention")
    ACCESS_GRANT = "access_grant", _("Habilitation à confirmer ou accordée")


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.title
