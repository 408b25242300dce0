"""Reports ("signalements"): what comes in, from the public, from staff or from partner platforms.

A report is never edited after it is received: staff add to it (messages, evidence, triage later)
but what the reporter said stays as they said it. The reporter's identity is a compartment of its own
(coordinator only); the receipt code exists only as a keyed lookup digest and a slow salted hash.
"""

import uuid
from datetime import UTC, datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.cases.enums import Priority

from . import enums


class ReportQuerySet(models.QuerySet["Report"]):
    def queue_order(self) -> "ReportQuerySet":
        """By proposed priority (P1 first), the worrying ones first within it, then oldest first: a
        critical report is never listed after a milder one, nobody waits behind a newer one."""
        return self.order_by("proposed_priority", "-is_worrying", "received_at", "id")


class Report(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("référence"), max_length=20, unique=True)
    channel = models.CharField(_("canal"), max_length=32, choices=enums.Channel.choices)
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    status = models.CharField(_("état"), max_length=16, choices=enums.Status.choices, default=enums.Status.RECEIVED)

    # Who reports. Contact details are the "reporter identity" compartment: coordinator only.
    reporter_kind = models.CharField(_("qui signale"), max_length=16, choices=enums.ReporterKind.choices)
    is_anonymous = models.BooleanField(_("anonyme"), default=True)
    reporter_name = models.CharField(_("nom de la personne qui signale"), max_length=200, blank=True)
    reporter_email = models.EmailField(_("adresse électronique"), blank=True)
    reporter_phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    consent_to_contact = models.BooleanField(_("accepte d’être recontacté"), default=False)

    # Where.
    school = models.ForeignKey(
        "directory.School",
        verbose_name=_("établissement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    school_text = models.CharField(_("établissement (texte libre)"), max_length=255, blank=True)

    # What happens.
    forms = models.JSONField(_("formes"), default=list, blank=True)
    platforms = models.JSONField(_("réseaux et applications"), default=list, blank=True)
    since = models.CharField(_("depuis quand"), max_length=16, choices=enums.Since.choices, blank=True)
    frequency = models.CharField(_("à quelle fréquence"), max_length=16, choices=enums.Frequency.choices, blank=True)
    places = models.JSONField(_("où"), default=list, blank=True)
    description = models.TextField(_("récit"), max_length=20_000)
    distress_signs = models.JSONField(_("signes de souffrance"), default=list, blank=True)
    immediate_danger = models.BooleanField(_("danger immédiat signalé"), default=False)

    # Computed at intake from the declarative flag table (halte.reports.flags); never edited. ``flags``
    # lists every flag raised, ``flag_hits`` why: each box or words that fired it (where they stand in
    # the description), at the level « critical » or « to_check ». Reports saved before the hits were
    # kept have none: their flags all count as critical.
    is_worrying = models.BooleanField(_("signalement préoccupant"), default=False, db_index=True)
    flags = models.JSONField(_("alertes"), default=list, blank=True)
    flag_hits = models.JSONField(_("mots qui ont déclenché les alertes"), default=list, blank=True)
    # What triage would propose on the report alone (severity rules, as harassment): the queue's order.
    # P1 until computed: a report whose proposal is unknown (saved before it existed) is read first.
    proposed_priority = models.CharField(
        _("priorité proposée"), max_length=2, choices=Priority.choices, default=Priority.P1
    )

    # The first time a member of the cell opened it. Until then the safety net of the periodic pass
    # escalates it like a P1 clock, whatever its flags (halte.cases.clocks).
    first_read_at = models.DateTimeField(_("lu pour la première fois le"), null=True, blank=True)
    first_read_by = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("lu pour la première fois par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # External references of reports received through partners.
    faits_etablissement_id = models.CharField(_("n° « Faits établissement »"), max_length=64, blank=True)
    faits_etablissement_level = models.PositiveSmallIntegerField(
        _("niveau « Faits établissement »"), choices=enums.FaitsLevel.choices, null=True, blank=True
    )
    parquet_number = models.CharField(_("n° de parquet"), max_length=64, blank=True)
    stop_harcelement_id = models.CharField(_("n° 3018"), max_length=64, blank=True)
    crip_id = models.CharField(_("n° CRIP"), max_length=64, blank=True)

    # Who typed it in (staff intake) or which partner key sent it (API); both empty for the public.
    created_by = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("saisi par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    api_key = models.ForeignKey(
        "reports.ApiKey", verbose_name=_("clé d’API"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The case this report feeds, once triaged into one (several reports can feed one case).
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("dossier"), null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )

    # One per public form filled in: a second click on "Envoyer" finds the first report, not a copy.
    submission_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    # Anonymous follow-up: HMAC lookup digest (indexed) + slow salted hash (verified in constant time).
    receipt_lookup = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    receipt_hash = models.CharField(max_length=255, blank=True, editable=False)
    # Set by the retention rules: reporter, pupils' names, narrative and messages replaced, evidence
    # deleted, receipt code no longer opens anything.
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True, editable=False)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["status", "proposed_priority", "-is_worrying", "received_at"], name="report_queue_idx"
            ),
            # The safety net: reports nobody in the cell has opened yet.
            models.Index(
                fields=["received_at"], condition=models.Q(first_read_at__isnull=True), name="report_unread_idx"
            ),
            models.Index(fields=["school", "-received_at"], name="report_school_idx"),
            # Steering statistics: reports per period, a case's first report.
            models.Index(fields=["received_at"], name="report_received_idx"),
            models.Index(fields=["case", "received_at"], name="report_case_received_idx"),
        ]
        constraints = [
            # A typo such as year 0001 must never reach the table: it breaks date arithmetic for everyone.
            models.CheckConstraint(
                condition=models.Q(received_at__gte=datetime(2000, 1, 1, tzinfo=UTC)), name="report_received_after_2000"
            ),
            models.CheckConstraint(
                condition=models.Q(proposed_priority__in=Priority.values), name="report_proposed_priority_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(faits_etablissement_level__isnull=True)
                | models.Q(faits_etablissement_level__in=[1, 2, 3]),
                name="report_faits_level_range",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def school_label(self) -> str:
        return str(self.school) if self.school else self.school_text

    @staticmethod
    def _labels(values: list[str], choices: type[models.TextChoices]) -> list[str]:
        return [str(choices(v).label) for v in values if v in choices.values]

    @property
    def form_labels(self) -> list[str]:
        return self._labels(self.forms, enums.Form)

    @property
    def platform_labels(self) -> list[str]:
        return self._labels(self.platforms, enums.Platform)

    @property
    def place_labels(self) -> list[str]:
        return self._labels(self.places, enums.Place)

    @property
    def distress_labels(self) -> list[str]:
        return self._labels(self.distress_signs, enums.DistressSign)


class UnreadNotice(models.Model):
    """A reminder or escalation already sent about a report nobody in the cell has opened, so that the
    periodic pass never sends it twice (one per level)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="unread_notices")
    level = models.CharField(max_length=16)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "level"], name="unread_notice_once")]

    def __str__(self) -> str:
        return f"{self.report} {self.level}"


class ReportedPupil(models.Model):
    """A pupil as the reporter named them: not yet a person record (the cases issue links them)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="pupils")
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    class_name = models.CharField(_("classe"), max_length=50, blank=True)
    role = models.CharField(_("rôle"), max_length=16, choices=enums.PupilRole.choices)

    class Meta:
        verbose_name = _("élève cité")
        verbose_name_plural = _("élèves cités")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class AuthorKind(models.TextChoices):
    REPORTER = "reporter", _("Personne qui a signalé")
    STAFF = "staff", _("Cellule")


class Message(models.Model):
    """One message of the two-way thread between the reporter and the cell."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author = models.ForeignKey("accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now)
    read_by_staff_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(author_kind="reporter", author__isnull=True)
                | models.Q(author_kind="staff", author__isnull=False),
                name="message_author_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} — {self.get_author_kind_display()} — {self.created_at:%Y-%m-%d %H:%M}"


class ApiKey(models.Model):
    """A partner platform's key. Only a SHA-256 digest is stored; the key is shown once at creation."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("structure"), on_delete=models.PROTECT, related_name="api_keys"
    )
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(_("début de la clé"), max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("clé d’API")
        verbose_name_plural = _("clés d’API")

    def __str__(self) -> str:
        return f"{self.organisation} — {self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """Remembers which report an API call created, so a retried call returns it instead of a copy."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_unique_per_key")]

    def __str__(self) -> str:
        return f"{self.api_key.prefix} {self.key}"


class Evidence(models.Model):
    """A file given as evidence. Immutable once stored: the vault writes it, nothing ever rewrites it.

    Only what is *said about* the file may be added later, by the vault and with a conditional
    UPDATE: the findings of an older file inspected on first view, a scan done once a daemon answers.

    ``original`` is the encrypted original (AES-GCM, key ``key_id``); ``display`` is a re-encoded
    copy without metadata, for images only. ``sha256`` is the digest of the bytes as uploaded.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("taille"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    key_id = models.CharField(max_length=32)
    original_path = models.CharField(max_length=255, unique=True)
    display_path = models.CharField(max_length=255, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by_reporter = models.BooleanField(default=True)
    # What the file could do when opened (inspection.Finding codes), found at capture. None: a file
    # stored before inspection existed, inspected the first time a staff page lists it.
    active_content = models.JSONField(_("contenu actif"), null=True, blank=True, default=None)
    scan_status = models.CharField(
        _("antivirus"), max_length=16, choices=enums.ScanStatus.choices, default=enums.ScanStatus.NOT_SCANNED
    )
    scan_signature = models.CharField(_("virus détecté"), max_length=200, blank=True)
    scanned_at = models.DateTimeField(_("analysé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("pièce")
        verbose_name_plural = _("pièces")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidence_sha256_hex"),
            # A quarantined file always says what was found in it.
            models.CheckConstraint(
                condition=~models.Q(scan_status=enums.ScanStatus.INFECTED) | ~models.Q(scan_signature=""),
                name="evidence_infected_has_signature",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]}…)"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Evidence is immutable once stored.")
        super().save(*args, **kwargs)

    @property
    def findings(self) -> list[str]:
        """What the file could do when opened, in French sentences (empty if nothing, or not inspected)."""
        from .inspection import describe

        return describe(self.active_content)

    @property
    def is_quarantined(self) -> bool:
        """A virus was found: the original is kept sealed and never served (see reports/vault.py)."""
        return self.scan_status == enums.ScanStatus.INFECTED


class ReceiptThrottle(models.Model):
    """Wrong receipt codes counted in a fixed window, for one key: a client or the whole service.

    A client's key is a keyed hash of its network address (``halte.reports.throttle``); the service's
    is the word ``service``. No address is stored. Rows change only through conditional UPDATEs, so
    parallel guesses from any process all count.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()

    class Meta:
        verbose_name = _("compteur d’essais de codes de suivi")
        verbose_name_plural = _("compteurs d’essais de codes de suivi")
        indexes = [models.Index(fields=["window_started_at"], name="receipt_throttle_age_idx")]

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.failures}"
