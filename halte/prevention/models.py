"""Prevention: approvals of associations, workshops (requested, assigned, delivered), staff trainings,
pupil ambassadors (counts only) and weak-signal observations (initials only, deleted after 3 months
unless turned into a report). No record here ever holds the name of a victim or an author.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import enums


class Approval(models.Model):
    """An agrément held by an association: only a valid one lets it be assigned a workshop."""

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("association"), on_delete=models.PROTECT, related_name="approvals"
    )
    number = models.CharField(_("numéro d’agrément"), max_length=64)
    issuer = models.CharField(_("autorité de délivrance"), max_length=16, choices=enums.Issuer.choices)
    themes = models.JSONField(_("thèmes"), default=list)
    valid_from = models.DateField(_("valable du"))
    valid_until = models.DateField(_("valable jusqu’au"))
    document = models.FileField(_("document d’agrément"), upload_to="approvals/", blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("agrément")
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__gte=models.F("valid_from")), name="approval_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.number}"

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day <= self.valid_until


class Programme(models.Model):
    """A workshop a provider offers."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("intervenant"), on_delete=models.PROTECT, related_name="programmes"
    )
    title = models.CharField(_("titre"), max_length=200)
    theme = models.CharField(_("thème"), max_length=20, choices=enums.Theme.choices)
    levels = models.JSONField(_("niveaux"), default=list)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"))
    group_size = models.PositiveSmallIntegerField(_("élèves par groupe"))
    description = models.TextField(_("description"), blank=True, max_length=4000)
    is_active = models.BooleanField(_("proposé"), default=True)

    class Meta:
        verbose_name = _("atelier proposé")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class WorkshopRequest(models.Model):
    """A school's request for a workshop, then its assignment, confirmation and delivery."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT, related_name="workshop_requests")
    requested_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    theme = models.CharField(_("thème"), max_length=20, choices=enums.Theme.choices)
    levels = models.JSONField(_("niveaux"), default=list)
    classes = models.CharField(_("classes"), max_length=255, blank=True)
    pupil_count = models.PositiveSmallIntegerField(_("nombre d’élèves"))
    wished_dates = models.CharField(_("dates souhaitées"), max_length=255, blank=True)
    reason = models.TextField(_("pourquoi"), max_length=2000, blank=True)
    status = models.CharField(
        _("état"), max_length=12, choices=enums.RequestStatus.choices, default=enums.RequestStatus.REQUESTED
    )

    # Assignment (coordinator) and confirmation (provider).
    provider = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("intervenant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workshop_assignments",
    )
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(_("date prévue"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    # Delivery or cancellation.
    delivered_on = models.DateField(_("réalisé le"), null=True, blank=True)
    delivered_classes = models.CharField(_("classes touchées"), max_length=255, blank=True)
    pupils_reached = models.PositiveSmallIntegerField(_("élèves touchés"), null=True, blank=True)
    facilitators = models.CharField(_("animateurs"), max_length=255, blank=True)
    feedback_positive = models.PositiveSmallIntegerField(_("avis positifs des élèves"), null=True, blank=True)
    feedback_negative = models.PositiveSmallIntegerField(_("avis négatifs des élèves"), null=True, blank=True)
    delivery_notes = models.TextField(_("observations"), max_length=4000, blank=True)
    cancel_reason = models.TextField(_("motif d’annulation"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("demande d’atelier")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["school", "delivered_on"], name="workshop_school_idx")]

    def __str__(self) -> str:
        return f"{self.school} — {self.get_theme_display()}"


class TrainingSession(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField(_("thème"), max_length=20, choices=enums.TrainingTopic.choices)
    title = models.CharField(_("intitulé"), max_length=200)
    trainer = models.CharField(_("formateur"), max_length=200)
    starts_at = models.DateTimeField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"))
    place = models.CharField(_("lieu"), max_length=255)
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("formation")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class TrainingAttendee(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendees")
    full_name = models.CharField(_("nom et prénom"), max_length=200)
    function = models.CharField(_("fonction"), max_length=100)
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT, related_name="+")
    attended = models.BooleanField(_("présent"), default=False)

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.function})"


class AmbassadorCount(models.Model):
    """Pupil ambassadors trained in a school for a school year: counts, never names."""

    school = models.ForeignKey("directory.School", on_delete=models.PROTECT, related_name="+")
    school_year = models.PositiveSmallIntegerField(_("année scolaire (année de la rentrée)"))
    trained_on = models.DateField(_("formés le"))
    count = models.PositiveSmallIntegerField(_("nombre d’élèves ambassadeurs"))
    recorded_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-trained_on"]

    def __str__(self) -> str:
        return f"{self.school} {self.school_year}: {self.count}"


class Observation(models.Model):
    """A weak-signal observation about one pupil, by initials and class only."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("directory.School", on_delete=models.PROTECT, related_name="+")
    initials = models.CharField(_("initiales de l’élève"), max_length=8)
    class_name = models.CharField(_("classe"), max_length=50)
    opened_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("observation de signaux faibles")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.initials} ({self.class_name})"


class ObservationEntry(models.Model):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="entries")
    observed_on = models.DateField(_("observé le"))
    place = models.CharField(_("lieu"), max_length=16, choices=enums.Place.choices)
    signs = models.JSONField(_("signes"), default=list)
    note = models.TextField(_("précisions"), max_length=2000, blank=True)
    author = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["observed_on", "id"]

    def __str__(self) -> str:
        return f"{self.observation} {self.observed_on}"
