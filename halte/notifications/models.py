"""In-app notifications. Titles name a reference, never the content of a report or a case.

A notification is written for one membership (the role a person holds in one organisation), because
access is decided per membership: only that membership sees it, and ending the membership hides it.
"""

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
    ACTION_DIFFICULTY = "action_difficulty", _("Difficulté signalée sur une action")
    FOLLOW_UP_ALERT = "follow_up_alert", _("Point de suivi : renforcer l’intervention")
    ACCESS_GRANT = "access_grant", _("Habilitation à confirmer ou accordée")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, membership) -> "NotificationQuerySet":
        """What ``membership`` sees: the notifications written for it, none once it has ended (nor those
        written before it ended, if it is given again later). Nothing without a usable membership."""
        if membership is None or not membership.is_active:
            return self.none()
        return self.filter(
            membership=membership,
            hidden_at__isnull=True,
            membership__is_active=True,
            membership__organisation__is_active=True,
            membership__user__is_active=True,
        )


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # The membership it was written for. PROTECT like every other row that says "as whom": a membership
    # is ended, never deleted, and its notifications stay as history without being shown. Null only for
    # rows older than this column that could not be matched to one membership: never shown.
    membership = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when its membership ended: never shown again, even if the membership is given back later.
    hidden_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["membership", "read_at", "-created_at"], name="notification_membership_idx"),
        ]

    def __str__(self) -> str:
        return self.title
