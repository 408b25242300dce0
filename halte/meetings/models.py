"""The cell's meetings: when and where, who is invited and came, the agenda of cases, the minutes of
each case and the decisions taken, each decision being an action of the case (``cases.Action``)."""

import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévue")
        HELD = "held", _("Tenue")
        CANCELLED = "cancelled", _("Annulée")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("En présence")
        PHONE = "phone", _("Par téléphone")
        VIDEO = "video", _("En visioconférence")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("intitulé"), max_length=200)
    starts_at = models.DateTimeField(_("date et heure"))
    mode = models.CharField(_("forme"), max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=120)
    place = models.CharField(_("lieu"), max_length=255, help_text=_("Un lieu hors de l’établissement scolaire."))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # iCalendar: every change sent to the invited people increments the sequence (RFC 5545 §3.8.7.4).
    sequence = models.PositiveIntegerField(default=0, editable=False)
    organiser = models.ForeignKey(
        "accounts.Membership", verbose_name=_("organisé par"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    held_at = models.DateTimeField(_("tenue le"), null=True, blank=True)
    cancelled_reason = models.TextField(_("motif de l’annulation"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="meeting_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} — {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    @property
    def where(self) -> str:
        """Where it takes place as a reader needs it: the place of a meeting in person; the way a
        distance meeting is held (« Par téléphone »), with its place when one was given."""
        if self.mode == self.Mode.IN_PERSON:
            return self.place
        how = str(self.get_mode_display())
        return f"{how} — {self.place}" if self.place else how

    @property
    def recorded_after_the_fact(self) -> bool:
        """Entered once it had taken place (an emergency meeting by phone this morning)."""
        return self.created_at > self.starts_at


class Invitation(models.Model):
    class Attendance(models.TextChoices):
        # What a coordinator writes next to a name under « Présence » (never « Présence » again: the
        # heading is not a value). These are the inclusive forms, for a person without a civility;
        # ``Invitation.attendance_label`` agrees them with her or him (« Excusée », « Absent »).
        UNKNOWN = "", _("Non renseignée")
        PRESENT = "present", _("A pris part")
        EXCUSED = "excused", _("Excusé(e)")
        ABSENT = "absent", _("Absent(e)")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    membership = models.ForeignKey(
        "accounts.Membership", verbose_name=_("personne invitée"), on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("invitation envoyée le"), null=True, blank=True)
    sent_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    attendance = models.CharField(_("présence"), max_length=10, choices=Attendance.choices, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "membership"], name="invitation_once")]

    def __str__(self) -> str:
        return f"{self.meeting} — {self.membership}"

    def attendance_choices(self) -> list[tuple[str, str]]:
        """The attendance choices as they read next to this person's name (``attendance_label``)."""
        return [(value, self.word_for(value)) for value in self.Attendance.values]

    def attendance_label(self) -> str:
        """« A pris part », « Excusée », « Absent »…: agreeing with the person's civility, else inclusive."""
        return self.word_for(self.attendance)

    def word_for(self, value: str) -> str:
        from halte.accounts.models import Civility

        words = ATTENDANCE_BY_CIVILITY.get(value)
        civility = self.membership.user.civility
        if words and civility == Civility.MADAME:
            return str(words[0])
        if words and civility == Civility.MONSIEUR:
            return str(words[1])
        return str(self.Attendance(value).label)


# An attendance as it reads next to one person's name: (when she is « Madame », when he is « Monsieur »).
ATTENDANCE_BY_CIVILITY: dict[str, tuple[Any, Any]] = {
    Invitation.Attendance.EXCUSED: (_("Excusée"), _("Excusé")),
    Invitation.Attendance.ABSENT: (_("Absente"), _("Absent")),
}


class AgendaItem(models.Model):
    class Reason(models.TextChoices):
        NEW_URGENT = "new_urgent", _("Nouveau dossier P1 ou P2")
        OVERDUE = "overdue", _("Étape en retard")
        FOLLOW_UP_DUE = "follow_up_due", _("Point de suivi attendu")
        NEAR_CLOSURE = "near_closure", _("En veille, clôture envisageable")
        ADDED = "added", _("Ajouté par la coordination")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(_("motif d’inscription"), max_length=20, choices=Reason.choices)
    # Minutes of the case (core compartment of the case).
    minutes = models.TextField(_("compte rendu"), blank=True, max_length=20_000)
    minutes_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="agenda_item_once")]

    def __str__(self) -> str:
        return f"{self.meeting} — {self.case}"


class Decision(models.Model):
    """A decision taken on a case in a meeting: it is an action of the case, with an owner and a due date."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="decisions")
    action = models.OneToOneField("cases.Action", on_delete=models.PROTECT, related_name="decision")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.action)
