"""What the cell does for the pupils of a case: measures (protective, educational, disciplinary,
change of school, judicial), interviews (with the shared-concern method as a series per alleged
author), contacts with each pupil's family, whether its parents were informed, and the judicial
side's « ne pas informer » on a family (``FamilyRestriction``).

Compartments: judicial measures belong to the judicial compartment of the case; everything else to
its core. A family under « ne pas informer » is never recorded as informed nor sent a convocation.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.cases.enums import Compartment


class MeasureCategory(models.TextChoices):
    PROTECTIVE = "protective", _("Protection de la victime")
    EDUCATIONAL = "educational", _("Mesure éducative")
    DISCIPLINARY = "disciplinary", _("Sanction disciplinaire (art. R.511-13)")
    SCHOOL_CHANGE = "school_change", _("Changement d’établissement (décret 2023-782)")
    JUDICIAL = "judicial", _("Mesure judiciaire")


class MeasureKind(models.TextChoices):
    # Protective
    ADULT_REFERENT = "adult_referent", _("Adulte référent nommé")
    STAFF_VIGILANCE = "staff_vigilance", _("Vigilance de l’équipe")
    PEER_SUPPORT = "peer_support", _("Mobilisation de camarades")
    SEPARATION_CLASS = "separation_class", _("Séparation en classe")
    SEPARATION_TIMETABLE = "separation_timetable", _("Séparation dans l’emploi du temps")
    SEPARATION_TRANSPORT = "separation_transport", _("Séparation dans les transports")
    PSYCHOLOGICAL_REFERRAL = "psychological_referral", _("Orientation vers un soutien psychologique")
    CONSERVATORY_SUSPENSION = "conservatory_suspension", _("Mesure conservatoire (suspension)")
    # Educational
    RESPONSIBILITY_WORK = "responsibility_work", _("Travail de responsabilisation")
    RESTORATIVE = "restorative", _("Démarche restaurative")
    # Disciplinary, on the R.511-13 scale
    WARNING = "warning", _("Avertissement")
    REPRIMAND = "reprimand", _("Blâme")
    RESPONSIBILITY_MEASURE = "responsibility_measure", _("Mesure de responsabilisation (20 h au plus)")
    CLASS_EXCLUSION = "class_exclusion", _("Exclusion temporaire de la classe (8 jours au plus)")
    SCHOOL_EXCLUSION = "school_exclusion", _("Exclusion temporaire de l’établissement (8 jours au plus)")
    PERMANENT_EXCLUSION = "permanent_exclusion", _("Exclusion définitive")
    # Change of school
    VICTIM_SCHOOL_CHANGE = "victim_school_change", _("Changement d’établissement de la victime")
    AUTHOR_SCHOOL_CHANGE = "author_school_change", _("Changement d’établissement de l’auteur")
    # Judicial
    PROSECUTION_ALTERNATIVE = "prosecution_alternative", _("Alternative aux poursuites (réparation, médiation…)")
    AWARENESS_COURSE = "awareness_course", _("Stage de sensibilisation aux risques du harcèlement")
    ACCOUNT_SUSPENSION = "account_suspension", _("Suspension du compte en ligne")
    PHONE_CONFISCATION = "phone_confiscation", _("Confiscation du téléphone ou de l’ordinateur")


CATEGORY_KINDS: dict[str, tuple[str, ...]] = {
    MeasureCategory.PROTECTIVE: (
        MeasureKind.ADULT_REFERENT,
        MeasureKind.STAFF_VIGILANCE,
        MeasureKind.PEER_SUPPORT,
        MeasureKind.SEPARATION_CLASS,
        MeasureKind.SEPARATION_TIMETABLE,
        MeasureKind.SEPARATION_TRANSPORT,
        MeasureKind.PSYCHOLOGICAL_REFERRAL,
        MeasureKind.CONSERVATORY_SUSPENSION,
    ),
    MeasureCategory.EDUCATIONAL: (MeasureKind.RESPONSIBILITY_WORK, MeasureKind.RESTORATIVE),
    MeasureCategory.DISCIPLINARY: (
        MeasureKind.WARNING,
        MeasureKind.REPRIMAND,
        MeasureKind.RESPONSIBILITY_MEASURE,
        MeasureKind.CLASS_EXCLUSION,
        MeasureKind.SCHOOL_EXCLUSION,
        MeasureKind.PERMANENT_EXCLUSION,
    ),
    MeasureCategory.SCHOOL_CHANGE: (MeasureKind.VICTIM_SCHOOL_CHANGE, MeasureKind.AUTHOR_SCHOOL_CHANGE),
    MeasureCategory.JUDICIAL: (
        MeasureKind.PROSECUTION_ALTERNATIVE,
        MeasureKind.AWARENESS_COURSE,
        MeasureKind.ACCOUNT_SUSPENSION,
        MeasureKind.PHONE_CONFISCATION,
    ),
}
KIND_CATEGORY = {kind: category for category, kinds in CATEGORY_KINDS.items() for kind in kinds}


class Measure(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévue")
        ACTIVE = "active", _("En cours")
        ENDED = "ended", _("Terminée")
        CANCELLED = "cancelled", _("Annulée")

    class Effectiveness(models.TextChoices):
        EFFECTIVE = "effective", _("Efficace")
        PARTLY = "partly", _("En partie efficace")
        INEFFECTIVE = "ineffective", _("Inefficace")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="measures")
    category = models.CharField(_("catégorie"), max_length=20, choices=MeasureCategory.choices)
    kind = models.CharField(_("mesure"), max_length=32, choices=MeasureKind.choices)
    compartment = models.CharField(max_length=20, choices=Compartment.choices, default=Compartment.CORE)
    person = models.ForeignKey(
        "cases.Person",
        verbose_name=_("élève concerné"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
    )
    description = models.TextField(_("précisions"), blank=True, max_length=4000)
    receiving_school = models.ForeignKey(
        "directory.School",
        verbose_name=_("établissement d’accueil"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    review_on = models.DateField(_("à réexaminer le"), null=True, blank=True)
    effectiveness = models.CharField(_("efficacité"), max_length=12, choices=Effectiveness.choices, blank=True)
    review_note = models.TextField(_("bilan"), blank=True, max_length=4000)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="measure_ends_after_start",
            ),
            # Judicial measures live in the judicial compartment, and only they do.
            models.CheckConstraint(
                condition=(models.Q(category="judicial") & models.Q(compartment="judicial"))
                | (~models.Q(category="judicial") & models.Q(compartment="core")),
                name="measure_judicial_compartment",
            ),
        ]
        indexes = [models.Index(fields=["review_on", "status"], name="measure_review_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


class MppSeries(models.Model):
    """The shared-concern method (méthode de la préoccupation partagée) with one alleged author:
    short, repeated, non-blaming meetings, and follow-up meetings with the victim. Without improvement
    15 days after the first meeting, Halte proposes switching to the sanctions track — once."""

    class Status(models.TextChoices):
        OPEN = "open", _("En cours")
        IMPROVED = "improved", _("Amélioration constatée")
        SWITCHED = "switched", _("Basculé vers les sanctions")
        STOPPED = "stopped", _("Arrêtée")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="mpp_series")
    author = models.ForeignKey(
        "cases.Person", verbose_name=_("élève rencontré"), on_delete=models.PROTECT, related_name="mpp_series"
    )
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.OPEN)
    started_on = models.DateField(_("premier entretien le"), null=True, blank=True)
    switch_proposed_at = models.DateTimeField(_("bascule proposée le"), null=True, blank=True)
    # The proposal was answered "keep going with the shared concern": it stays answered, never repeated.
    switch_declined_at = models.DateTimeField(_("poursuite décidée le"), null=True, blank=True)
    switch_declined_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "author"], name="mpp_series_once")]
        indexes = [models.Index(fields=["status", "started_on"], name="mpp_series_due_idx")]

    def __str__(self) -> str:
        return f"{self.case} — {self.author}"


class Interview(models.Model):
    class Kind(models.TextChoices):
        VICTIM = "victim", _("Élève victime")
        WITNESS = "witness", _("Témoin")
        ALLEGED_AUTHOR = "alleged_author", _("Auteur présumé")
        GUARDIAN = "guardian", _("Représentant légal")

    class Method(models.TextChoices):
        HEARING = "hearing", _("Entretien individuel")
        MPP = "mpp", _("Préoccupation partagée : entretien avec l’élève")
        MPP_VICTIM = "mpp_victim", _("Préoccupation partagée : point avec la victime")
        JOINT = "joint", _("Entretien avec la famille")
        PHONE = "phone", _("Entretien téléphonique")

    class VictimView(models.TextChoices):
        BETTER = "better", _("Mieux")
        SAME = "same", _("Pareil")
        WORSE = "worse", _("Moins bien")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="interviews")
    person = models.ForeignKey(
        "cases.Person", verbose_name=_("personne entendue"), on_delete=models.PROTECT, related_name="interviews"
    )
    kind = models.CharField(_("qualité"), max_length=20, choices=Kind.choices)
    method = models.CharField(_("méthode"), max_length=12, choices=Method.choices, default=Method.HEARING)
    held_at = models.DateTimeField(_("date et heure"))
    conducted_by = models.ForeignKey(
        "accounts.Membership", verbose_name=_("mené par"), on_delete=models.PROTECT, related_name="+"
    )
    also_present = models.CharField(_("autres personnes présentes"), max_length=255, blank=True)
    # The child's own words, exactly as spoken (victim and witnesses).
    words = models.TextField(_("paroles rapportées mot pour mot"), blank=True, max_length=20_000)
    summary = models.TextField(_("synthèse"), blank=True, max_length=20_000)
    series = models.ForeignKey(MppSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="interviews")
    proposals_made = models.TextField(_("propositions faites par l’élève"), blank=True, max_length=4000)
    proposals_done = models.BooleanField(_("propositions mises en œuvre"), null=True, blank=True)
    victim_view = models.CharField(_("la victime dit que c’est"), max_length=10, choices=VictimView.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.person}"


class Family(models.TextChoices):
    """Which side a pupil's family is on. A family is that of one pupil (``pupil`` on the rows below):
    a case with two alleged authors has two author families."""

    VICTIM = "victim", _("Famille de la victime")
    AUTHOR = "author", _("Famille de l’auteur présumé")


def _pupil_field(related_name: str):
    # Null only on rows older than families per pupil whose case named no matching pupil.
    return models.ForeignKey(
        "cases.Person",
        verbose_name=_("famille de l’élève"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
    )


class FamilyContact(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Téléphone")
        MEETING = "meeting", _("Rendez-vous")
        EMAIL = "email", _("Courriel")
        LETTER = "letter", _("Courrier")
        VISIT = "visit", _("Visite à domicile")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="family_contacts")
    family = models.CharField(_("famille"), max_length=10, choices=Family.choices)
    pupil = _pupil_field("+")
    person = models.ForeignKey(
        "cases.Person",
        verbose_name=_("personne contactée"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("date et heure"))
    channel = models.CharField(_("moyen"), max_length=10, choices=Channel.choices)
    made_by = models.ForeignKey(
        "accounts.Membership", verbose_name=_("par"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("résumé"), max_length=8000)
    informed_of_situation = models.BooleanField(
        _("la famille a été informée de la situation, des mesures et de ses droits"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_family_display()} — {self.at:%d/%m/%Y}"


class ParentsInformation(models.Model):
    """Were the parents of this family told? Either informed (when, by which contact), or a documented
    exception: informing them would go against the child's interest (art. L.226-2-1 CASF)."""

    class Status(models.TextChoices):
        INFORMED = "informed", _("Parents informés")
        EXCEPTION = "exception", _("Non informés : contraire à l’intérêt de l’enfant")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="parents_information")
    family = models.CharField(_("famille"), max_length=10, choices=Family.choices)
    pupil = _pupil_field("+")
    status = models.CharField(_("état"), max_length=10, choices=Status.choices)
    informed_at = models.DateTimeField(_("informés le"), null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True, max_length=4000)
    recorded_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "pupil"], condition=models.Q(pupil__isnull=False), name="parents_information_once"
            ),
            models.UniqueConstraint(
                fields=["case", "family"],
                condition=models.Q(pupil__isnull=True),
                name="parents_information_once_unnamed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="exception") | ~models.Q(reason=""),
                name="parents_exception_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} — {self.get_family_display()}"


class FamilyRestriction(models.Model):
    """« Ne pas informer » one pupil's family: set with a reason by the judicial side (the investigation
    requires it), lifted explicitly (who, when, why). While it stands, nobody records that family as
    informed and no convocation is addressed to it. A row without a pupil covers every family of the
    case: the case-wide instruction that existed before families per pupil, kept as it was meant."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="family_restrictions")
    pupil = models.ForeignKey(
        "cases.Person",
        verbose_name=_("famille de l’élève"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("motif"), max_length=2000)
    set_by = models.ForeignKey("accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(_("motif de la levée"), blank=True, max_length=2000)

    class Meta:
        ordering = ["set_at", "id"]
        constraints = [
            # One standing instruction per family (and one case-wide at most).
            models.UniqueConstraint(
                fields=["case", "pupil"],
                condition=models.Q(lifted_at__isnull=True, pupil__isnull=False),
                name="family_restriction_once",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(lifted_at__isnull=True, pupil__isnull=True),
                name="family_restriction_case_once",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="family_restriction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.case} — {self.pupil or '*'}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
