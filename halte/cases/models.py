"""Cases ("dossiers"), the people in them, their severity assessments, shares, clocks and history.

A case's *state* changes only through the transitions of :mod:`halte.cases.workflow`. Content is split
into compartments (core, health, judicial, reporter identity) that :mod:`halte.access.cases` opens or
keeps shut for each membership. History tables (transitions, events, assessments) are append-only.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import enums
from .workflow import CaseWorkflowMixin


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> "CaseQuerySet":
        return self.filter(state__in=enums.OPEN_STATES)


class Case(CaseWorkflowMixin, models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("référence"), max_length=20, unique=True)
    state = models.CharField(_("état"), max_length=20, choices=enums.State.choices, default=enums.State.NEW)
    priority = models.CharField(_("priorité"), max_length=2, choices=enums.Priority.choices)
    qualification = models.CharField(_("qualification"), max_length=20, choices=enums.Qualification.choices)
    summary = models.TextField(_("résumé de la situation"), max_length=20_000, blank=True)

    school = models.ForeignKey(
        "directory.School",
        verbose_name=_("établissement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    other_schools = models.ManyToManyField(
        "directory.School", verbose_name=_("autres établissements"), blank=True, related_name="+"
    )
    lead = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("responsable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_cases",
    )
    co_workers = models.ManyToManyField(
        "accounts.Membership", verbose_name=_("co-intervenants"), blank=True, related_name="co_worked_cases"
    )
    organisations = models.ManyToManyField(
        "accounts.Organisation", verbose_name=_("structures impliquées"), blank=True, related_name="cases"
    )

    # Milestones that stop the clocks (halte.cases.clocks).
    opened_at = models.DateTimeField(_("ouvert le"), default=timezone.now)
    taken_in_charge_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    first_measure_at = models.DateTimeField(_("première mesure de protection le"), null=True, blank=True)
    cell_meeting_at = models.DateTimeField(_("examiné en cellule le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    closure_outcome = models.CharField(_("issue"), max_length=20, choices=enums.ClosureOutcome.choices, blank=True)
    watch_until = models.DateField(_("veille jusqu’au"), null=True, blank=True)

    # « Ne pas informer » is decided per family (``interventions.FamilyRestriction``, the one rule);
    # this flag only mirrors "some family of this case is under it", kept by
    # ``interventions.families`` in the same transaction, for banners and family-facing letters.
    do_not_disclose_to_family = models.BooleanField(_("ne pas informer la famille (enquête)"), default=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("fusionné dans"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Optimistic locking: every change bumps it; a form carrying an older value is refused.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by the retention rules (core/retention.py): names, free texts, evidence and documents are gone;
    # what the figures count (school, dates, priority, categories, states) stays.
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["state", "priority", "opened_at"], name="case_queue_idx"),
            models.Index(fields=["school", "state", "-opened_at"], name="case_school_idx"),
            models.Index(fields=["lead", "state", "-opened_at"], name="case_lead_idx"),
            # Steering statistics by period of opening and of closure.
            models.Index(fields=["opened_at"], name="case_opened_idx"),
            models.Index(fields=["closed_at"], name="case_closed_idx"),
            # The list of open cases, in its order: a first page is read straight from the index.
            models.Index(
                fields=["priority", "opened_at", "id"],
                name="case_open_list_idx",
                condition=Q(state__in=enums.OPEN_STATES, merged_into__isnull=True),
            ),
            # The periodic pass: closed cases whose watch period ends (``clocks._watch_filter``).
            models.Index(fields=["watch_until"], name="case_watch_idx", condition=Q(state=enums.State.CLOSED)),
            models.Index(
                fields=["school", "priority", "opened_at", "id"],
                name="case_open_school_list_idx",
                condition=Q(state__in=enums.OPEN_STATES, merged_into__isnull=True),
            ),
            # « Mes échéances »: open cases whose milestone is still awaited (few: a fresh case's), by
            # priority and opening, the two columns their due time is computed from (``deadlines``).
            *(
                models.Index(
                    fields=["priority", "opened_at"],
                    name=f"case_pending_{short}_idx",
                    condition=Q(state__in=enums.OPEN_STATES, **{f"{field}__isnull": True}),
                )
                for short, field in (
                    ("charge", "taken_in_charge_at"),
                    ("measure", "first_measure_at"),
                    ("meeting", "cell_meeting_at"),
                )
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class Person(models.Model):
    """A pupil or an adult, recognised across cases, schools and years (repeat detection)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=10, choices=enums.PersonKind.choices)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    first_name = models.CharField(_("prénom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    school = models.ForeignKey(
        "directory.School",
        verbose_name=_("établissement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    class_name = models.CharField(_("classe"), max_length=50, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    # Sorted, folded name tokens ("dupont marie claire"): survives accents, case, hyphens, swaps.
    name_key = models.CharField(max_length=255, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by the retention rules: names, birth date and contact details replaced; the row stays so that
    # the figures still count the person across their (anonymised) cases.
    anonymised_at = models.DateTimeField(_("anonymisée le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["last_name", "first_name"]
        indexes = [
            # Conflicts of interest: is this user's address that of an adult alleged author? (every
            # list of cases asks it, case-insensitively)
            models.Index(Upper("email"), name="person_adult_email_idx", condition=Q(kind=enums.PersonKind.ADULT)),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def save(self, *args, **kwargs):
        # Derived column, like School.search_text: never stale whoever saves.
        from .people import name_key

        self.name_key = name_key(self.first_name, self.last_name)
        super().save(*args, **kwargs)


class Involvement(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="involvements")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="involvements")
    role = models.CharField(_("rôle"), max_length=20, choices=enums.Role.choices)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("implication")
        constraints = [models.UniqueConstraint(fields=["case", "person", "role"], name="involvement_unique")]
        indexes = [models.Index(fields=["person", "role"], name="involvement_person_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} — {self.case}"


class Guardianship(models.Model):
    """An adult responsible for a pupil (mother, father, tutor…), and whether they hold parental
    authority. Held at the person level: it stays true across cases, schools and years. Families are
    per pupil: a pupil's family is the pupil and these adults (``halte.interventions.families``)."""

    class Relationship(models.TextChoices):
        MOTHER = "mother", _("Mère")
        FATHER = "father", _("Père")
        TUTOR = "tutor", _("Tuteur ou tutrice")
        OTHER = "other", _("Autre")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The link lives and dies with the people it joins (the retention rules delete unlinked people).
    child = models.ForeignKey(Person, verbose_name=_("élève"), on_delete=models.CASCADE, related_name="guardianships")
    guardian = models.ForeignKey(
        Person, verbose_name=_("représentant légal"), on_delete=models.CASCADE, related_name="wards"
    )
    relationship = models.CharField(_("lien avec l’élève"), max_length=10, choices=Relationship.choices)
    parental_authority = models.BooleanField(_("exerce l’autorité parentale"), default=True)
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("représentant légal d’un élève")
        verbose_name_plural = _("représentants légaux des élèves")
        ordering = ["child", "-parental_authority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["child", "guardian"], name="guardianship_once"),
            models.CheckConstraint(condition=~Q(child=models.F("guardian")), name="guardianship_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} — {self.get_relationship_display()} — {self.child}"


class SeverityAssessment(models.Model):
    """One version of the severity assessment of a case. Never updated: a new version is added."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    version = models.PositiveIntegerField()
    criteria = models.JSONField(_("critères"))
    computed_priority = models.CharField(max_length=2, choices=enums.Priority.choices)
    fired_rules = models.JSONField(_("règles appliquées"))
    priority = models.CharField(_("priorité retenue"), max_length=2, choices=enums.Priority.choices)
    override_reason = models.TextField(_("motif de la correction"), blank=True, max_length=2000)
    assessed_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="assessment_unique_version"),
            models.CheckConstraint(
                condition=models.Q(priority=models.F("computed_priority")) | ~models.Q(override_reason=""),
                name="assessment_override_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} v{self.version} {self.priority}"

    @property
    def is_override(self) -> bool:
        return self.priority != self.computed_priority


class Triage(models.Model):
    """The decision taken on one report: what became of it, why, and by whom."""

    report = models.OneToOneField("reports.Report", on_delete=models.PROTECT, related_name="triage")
    outcome = models.CharField(_("décision"), max_length=20, choices=enums.TriageOutcome.choices)
    qualification = models.CharField(_("qualification"), max_length=20, choices=enums.Qualification.choices)
    reason = models.TextField(_("motif"), max_length=4000, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="triages")
    follow_up_on = models.DateField(_("point de suivi le"), null=True, blank=True)
    redirected_to = models.CharField(_("réorienté vers"), max_length=255, blank=True)
    decided_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tri")

    def __str__(self) -> str:
        return f"{self.report} → {self.get_outcome_display()}"


class Transition(models.Model):
    """Append-only log of state changes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(max_length=32)
    from_state = models.CharField(max_length=20, choices=enums.State.choices)
    to_state = models.CharField(max_length=20, choices=enums.State.choices)
    reason = models.TextField(blank=True, max_length=4000)
    actor = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # Reopen rates in the steering statistics.
            models.Index(fields=["name", "at"], name="transition_name_at_idx"),
            models.Index(fields=["case", "name", "at"], name="transition_case_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.from_state}→{self.to_state}"


class Event(models.Model):
    """One line of the case timeline, in the compartment its content belongs to."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    compartment = models.CharField(max_length=20, choices=enums.Compartment.choices, default=enums.Compartment.CORE)
    # Written only through cases.timeline.write: the compartment comes from the kind (access.timeline).
    kind = models.CharField(max_length=32, choices=enums.EventKind.choices)
    text = models.TextField(max_length=20_000)
    actor = models.ForeignKey("accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"


class Note(models.Model):
    """A note written into one compartment (health notes, judicial notes, core notes)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    compartment = models.CharField(max_length=20, choices=enums.Compartment.choices)
    text = models.TextField(_("note"), max_length=20_000)
    author = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.compartment} {self.created_at:%Y-%m-%d}"


class ShareQuerySet(models.QuerySet["Share"]):
    def active(self, now=None) -> "ShareQuerySet":
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_on__gte=timezone.localdate(now))


class Share(models.Model):
    """An explicit, journaled decision to let an organisation see some compartments of a case."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shares")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="shares")
    compartments = models.JSONField(_("volets partagés"))
    legal_basis = models.CharField(_("fondement juridique"), max_length=20, choices=enums.LegalBasis.choices)
    expires_on = models.DateField(_("jusqu’au"))
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ShareQuerySet.as_manager()

    # Not a column: set by ``actions.share`` on the share it returns, True when sharing again renewed
    # an active share rather than writing a new one.
    renewed: bool = False

    class Meta:
        verbose_name = _("partage")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "revoked_at", "expires_on"], name="share_org_idx")]

    def __str__(self) -> str:
        return f"{self.case} → {self.organisation}"

    @property
    def compartment_labels(self) -> list[str]:
        """The shared compartments in words (« Volet judiciaire »), never their codes."""
        return [str(enums.Compartment(code).label) for code in self.compartments]


class Link(models.Model):
    """Two cases linked (same situation seen twice, siblings…) or one merged into the other."""

    class Kind(models.TextChoices):
        LINKED = "linked", _("Lié")
        MERGED = "merged", _("Fusionné")

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(max_length=2000)
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="link_unique"),
            models.CheckConstraint(condition=~models.Q(from_case=models.F("to_case")), name="link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_case} → {self.to_case}"


class Action(models.Model):
    """Something an organisation owes the case: a to-do of the action plan, often a decision of the cell.

    Open until a member of its owner organisation (or someone who manages the case) completes it with a
    note, or cancels it with a reason (both kept in ``completion_note``). An open action with a due time
    is a clock of its case (:mod:`halte.cases.clocks`).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=255)
    compartment = models.CharField(max_length=20, choices=enums.Compartment.choices, default=enums.Compartment.CORE)
    owner_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("structure responsable"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("personne responsable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=enums.ActionStatus.choices, default=enums.ActionStatus.OPEN
    )
    completion_note = models.TextField(_("compte rendu"), blank=True, max_length=4000)
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    done_by = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("terminée par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner_organisation", "status", "due_at"], name="action_owner_idx"),
            models.Index(fields=["due_at"], name="action_due_idx"),
            # « Nos actions »: the open ones, soonest due first.
            models.Index(
                fields=["owner_organisation", "due_at", "id"],
                name="action_open_owed_idx",
                condition=Q(status=enums.ActionStatus.OPEN),
            ),
            # « Mes échéances »: open actions with a due time, soonest first (``deadlines``).
            models.Index(
                fields=["due_at", "id"],
                name="action_open_due_idx",
                condition=Q(status=enums.ActionStatus.OPEN, due_at__isnull=False),
            ),
            # Late core actions of a case (the « En retard » filter, the periodic pass).
            models.Index(
                fields=["case", "due_at"],
                name="action_open_core_idx",
                condition=Q(status=enums.ActionStatus.OPEN, compartment=enums.Compartment.CORE),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ClockNotice(models.Model):
    """A reminder or escalation already sent, so that the periodic job never sends it twice."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clock_notices")
    clock = models.CharField(max_length=32)
    due_at = models.DateTimeField()
    level = models.CharField(max_length=16)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "clock", "due_at", "level"], name="clock_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.clock} {self.level}"


class FollowUp(models.Model):
    """A follow-up checkpoint (J+7, J+15, J+30, J+90): is the bullying over, in the victim's own words?"""

    class View(models.TextChoices):
        BETTER = "better", _("Mieux")
        SAME = "same", _("Pareil")
        WORSE = "worse", _("Moins bien")

    class Decision(models.TextChoices):
        CONTINUE = "continue", _("Poursuivre")
        ESCALATE = "escalate", _("Renforcer / alerter")
        CLOSE = "close", _("Proposer la clôture")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    day = models.PositiveSmallIntegerField(_("jour"))
    due_on = models.DateField(_("prévu le"))
    done_at = models.DateTimeField(_("fait le"), null=True, blank=True)
    victim_view = models.CharField(_("ressenti de l’élève"), max_length=10, choices=View.choices, blank=True)
    wellbeing = models.PositiveSmallIntegerField(_("bien-être (1 à 5)"), null=True, blank=True)
    decision = models.CharField(_("décision"), max_length=10, choices=Decision.choices, blank=True)
    note = models.TextField(_("observations"), blank=True, max_length=4000)
    recorded_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "day"], name="follow_up_unique_day"),
            models.CheckConstraint(
                condition=models.Q(wellbeing__isnull=True) | models.Q(wellbeing__gte=1, wellbeing__lte=5),
                name="follow_up_wellbeing_range",
            ),
        ]
        indexes = [
            models.Index(fields=["done_at", "due_on"], name="follow_up_due_idx"),
            models.Index(fields=["day", "done_at"], name="follow_up_day_done_idx"),
            models.Index(fields=["case", "due_on"], name="follow_up_pending_idx", condition=Q(done_at__isnull=True)),
            # « Mes échéances »: pending follow-ups, soonest first (``deadlines``).
            models.Index(
                fields=["due_on", "case"], name="follow_up_pending_due_idx", condition=Q(done_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} J+{self.day}"


class ConflictOfInterest(models.Model):
    """An organisation — the school of an adult named as alleged author — that stops seeing a case.

    Decided by a coordinator with a reason (halte.cases.conflicts), enforced by the scoped querysets
    of halte.access.cases. The adult named needs no decision: whoever's address is that of an adult
    alleged author on a case never sees it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conflicts")
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("structure écartée"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("adulte mis en cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("motif"), max_length=2000)
    decided_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conflit d’intérêts")
        verbose_name_plural = _("conflits d’intérêts")
        constraints = [
            models.UniqueConstraint(fields=["case", "organisation"], name="conflict_unique_organisation"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="conflict_needs_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.case} — {self.organisation}"
