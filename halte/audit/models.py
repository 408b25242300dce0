"""The audit journal: an append-only, tamper-evident record of who did what, when, on which object,
as whom.

Rows are only ever inserted (:func:`halte.audit.journal.record`). The model refuses updates and
deletes in Python; on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE in the database itself
(migration ``0002``), and the deployment gives the application a role that owns neither table. Each
row carries the digest of its fields and the database links it into the day's hash chain
(:class:`ChainLink`, see ``chain.py``), so that a rewrite by someone who bypasses all of that is
still found by ``manage.py verify_journal``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import chain


class Action(models.TextChoices):
    LOGIN = "auth.login", _("Connexion réussie")
    LOGIN_FAILED = "auth.login_failed", _("Échec de connexion")
    LOCKED_OUT = "auth.locked_out", _("Connexion refusée : compte ralenti après des échecs répétés")
    PROCONNECT_LOGIN = "auth.proconnect_login", _("Identification ProConnect acceptée")
    PROCONNECT_REFUSED = "auth.proconnect_refused", _("Identification ProConnect refusée")
    LOGIN_CLIENT_THROTTLED = "auth.client_throttled", _("Connexion refusée : trop d’échecs depuis ce poste")
    LOGOUT = "auth.logout", _("Déconnexion")
    OTP_ENROLLED = "auth.otp_enrolled", _("Double authentification activée")
    OTP_FAILED = "auth.otp_failed", _("Code de double authentification refusé")
    RECOVERY_CODE_USED = "auth.recovery_code_used", _("Code de secours utilisé")
    RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed", _("Codes de secours renouvelés")
    PASSWORD_RESET_REQUESTED = "auth.password_reset_requested", _("Réinitialisation du mot de passe demandée")
    PASSWORD_CHANGED = "auth.password_changed", _("Mot de passe modifié")
    MEMBERSHIP_SELECTED = "auth.membership_selected", _("Structure choisie pour la session")
    USER_CREATED = "accounts.user_created", _("Utilisateur créé")
    USER_CHANGED = "accounts.user_changed", _("Utilisateur modifié")
    MEMBERSHIP_CREATED = "accounts.membership_created", _("Rattachement créé")
    MEMBERSHIP_CHANGED = "accounts.membership_changed", _("Rattachement modifié")
    ORGANISATION_CHANGED = "accounts.organisation_changed", _("Structure créée ou modifiée")
    PARTNER_CREATED = "directory.partner_created", _("Partenaire ajouté à l’annuaire de la cellule")
    PARTNER_CHANGED = "directory.partner_changed", _("Partenaire de l’annuaire de la cellule modifié")
    ACCOUNTS_INSTALLED = "accounts.installed", _("Premier rattachement d’une installation neuve")
    GRANT_REQUESTED = "accounts.grant_requested", _("Habilitation demandée")
    GRANT_APPROVED = "accounts.grant_approved", _("Habilitation confirmée par une seconde personne")
    GRANT_REFUSED = "accounts.grant_refused", _("Habilitation refusée")
    GRANT_CANCELLED = "accounts.grant_cancelled", _("Demande d’habilitation retirée")
    GRANT_DENIED = "accounts.grant_denied", _("Attribution de rôle refusée (séparation des fonctions)")
    ADMIN_ADDITION = "admin.addition", _("Administration : ajout")
    ADMIN_CHANGE = "admin.change", _("Administration : modification")
    ADMIN_DELETION = "admin.deletion", _("Administration : suppression")
    SCHOOLS_IMPORTED = "directory.schools_imported", _("Annuaire des établissements importé")
    DEMO_LOADED = "demo.loaded", _("Données de démonstration chargées")
    REPORT_RECEIVED = "reports.received", _("Signalement reçu")
    REPORT_READ = "reports.read", _("Signalement consulté")
    REPORT_TAKEN_IN_CHARGE = "reports.taken_in_charge", _("Signalement pris en charge")
    REPORTER_IDENTITY_READ = "reports.identity_read", _("Identité de la personne qui signale consultée")
    MESSAGE_SENT = "reports.message_sent", _("Message envoyé à la personne qui a signalé")
    REPORTER_MESSAGE_RECEIVED = "reports.reporter_message", _("Message reçu de la personne qui a signalé")
    EVIDENCE_DOWNLOADED = "reports.evidence_downloaded", _("Pièce téléchargée")
    EVIDENCE_UNREADABLE = "reports.evidence_unreadable", _("Pièce illisible ou altérée")
    EVIDENCE_REFUSED = "reports.evidence_refused", _("Téléchargement refusé : pièce en quarantaine")
    CUSTODY_PACK_EXPORTED = "reports.custody_pack_exported", _("Scellé numérique des pièces exporté")
    API_KEY_CREATED = "reports.api_key_created", _("Clé d’API créée")
    API_KEY_REVOKED = "reports.api_key_revoked", _("Clé d’API révoquée")
    REPORT_TRIAGED = "reports.triaged", _("Signalement trié")
    CASE_OPENED = "cases.opened", _("Dossier ouvert")
    CASE_READ = "cases.read", _("Dossier consulté")
    CASE_TRANSITION = "cases.transition", _("Changement d’état du dossier")
    CASE_ASSESSED = "cases.assessed", _("Gravité évaluée")
    CASE_CHANGED = "cases.changed", _("Dossier modifié")
    CASE_SHARED = "cases.shared", _("Dossier partagé")
    JUDICIAL_FACTS_CHANGED = "judicial.facts_changed", _("Volet judiciaire mis à jour")
    CASE_CONFLICT_DECLARED = "cases.conflict_declared", _("Dossier retiré à une structure (conflit d’intérêts)")
    CASE_SHARE_REVOKED = "cases.share_revoked", _("Partage révoqué")
    CASE_SHARE_RENEWED = "cases.share_renewed", _("Partage renouvelé")
    CASE_NOTE_ADDED = "cases.note_added", _("Note ajoutée")
    CASE_PERSON_ADDED = "cases.person_added", _("Personne ajoutée au dossier")
    CASE_LINKED = "cases.linked", _("Dossiers liés")
    CASE_MERGED = "cases.merged", _("Dossiers fusionnés")
    CRITICAL_ALERT = "cases.critical_alert", _("Alerte critique envoyée")
    CASE_ACTION_CREATED = "cases.action_created", _("Action décidée")
    CASE_ACTION_CHANGED = "cases.action_changed", _("Action mise à jour")
    CASE_FOLLOW_UP = "cases.follow_up", _("Point de suivi enregistré")
    CASE_OUTCOME_SENT = "cases.outcome_sent", _("Suites données communiquées")
    MEETING_SCHEDULED = "meetings.scheduled", _("Réunion de la cellule programmée")
    MEETING_CHANGED = "meetings.changed", _("Réunion de la cellule modifiée")
    MEETING_CANCELLED = "meetings.cancelled", _("Réunion de la cellule annulée")
    MEETING_INVITATIONS_SENT = "meetings.invitations_sent", _("Invitations envoyées")
    MEETING_AGENDA_CHANGED = "meetings.agenda_changed", _("Ordre du jour modifié")
    MEETING_ATTENDANCE = "meetings.attendance", _("Présences enregistrées")
    MEETING_MINUTES = "meetings.minutes", _("Compte rendu enregistré")
    MEETING_READ = "meetings.read", _("Réunion consultée")
    MEASURE_RECORDED = "interventions.measure_recorded", _("Mesure enregistrée")
    MEASURE_REVIEWED = "interventions.measure_reviewed", _("Mesure réexaminée")
    INTERVIEW_RECORDED = "interventions.interview_recorded", _("Entretien enregistré")
    MPP_SERIES_CHANGED = "interventions.mpp_changed", _("Préoccupation partagée : série mise à jour")
    MPP_SWITCH_PROPOSED = "interventions.mpp_switch_proposed", _("Préoccupation partagée : bascule proposée")
    FAMILY_CONTACT_RECORDED = "interventions.family_contact", _("Contact avec une famille enregistré")
    PARENTS_INFORMATION_CHANGED = "interventions.parents_information", _("Information des parents mise à jour")
    DOCUMENT_GENERATED = "documents.generated", _("Document généré")
    DOCUMENT_DOWNLOADED = "documents.downloaded", _("Document téléchargé")
    DOCUMENT_UNREADABLE = "documents.unreadable", _("Document illisible ou altéré")
    STATS_REPORT_EDITED = "stats.report_edited", _("Bilan annuel : textes modifiés")
    STATS_PUBLISHED = "stats.published", _("Résultats de l’année publiés")
    STATS_UNPUBLISHED = "stats.unpublished", _("Résultats de l’année retirés de la page publique")
    STATS_EXPORTED = "stats.exported", _("Statistiques exportées")
    PREVENTION_CALENDAR_READ = "prevention.calendar_read", _("Calendrier des ateliers téléchargé")
    RETENTION_APPLIED = "retention.applied", _("Durée de conservation appliquée (effacement ou anonymisation)")
    JOURNAL_MONTH_DROPPING = "audit.month_dropping", _("Journal : mois échu, point de contrôle avant effacement")
    JOURNAL_MONTH_DROPPED = "audit.month_dropped", _("Journal : mois échu effacé")
    KEY_ROTATION_STARTED = "keys.rotation_started", _("Rotation de la clé des fichiers chiffrés commencée")
    KEY_ROTATION_FINISHED = "keys.rotation_finished", _("Rotation de la clé des fichiers chiffrés terminée")
    KEY_ROTATION_INTERRUPTED = "keys.rotation_interrupted", _("Rotation de la clé des fichiers chiffrés interrompue")
    BACKUP_MADE = "backup.made", _("Sauvegarde effectuée")
    BACKUP_RESTORED = "backup.restored", _("Sauvegarde restaurée")
    SEARCH = "search.performed", _("Recherche de dossiers et de signalements")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):
        raise TypeError("The audit journal is append-only.")

    def delete(self):
        raise TypeError("The audit journal is append-only.")

    def bulk_create(self, objs, *args, **kwargs):
        for obj in objs:
            obj.digest = obj.compute_digest()
        return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    membership = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("au titre de"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # No `choices` on purpose: every module adds actions, and the journal must not need a migration each time.
    action = models.CharField(_("action"), max_length=64, db_index=True)
    # The object acted upon, as a type label ("accounts.user") and its identifier.
    target_type = models.CharField(_("type d'objet"), max_length=64, blank=True)
    target_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    target_label = models.CharField(_("objet"), max_length=255, blank=True)
    detail = models.JSONField(_("détails"), default=dict, blank=True)
    # SHA-256 of the fields above (chain.canonical), set on insert; the database's chain trigger links
    # it into the day's chain. Empty only on rows written before the chain existed (migration 0002
    # chained those from their fields).
    digest = models.CharField(_("empreinte"), max_length=64, blank=True, default="", editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_label}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("The audit journal is append-only.")
        self.digest = self.compute_digest()
        super().save(*args, **kwargs)

    def compute_digest(self) -> str:
        return chain.digest(
            at=self.at,
            actor_id=self.actor_id,
            membership_id=self.membership_id,
            action=self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            target_label=self.target_label,
            detail=self.detail,
        )

    def delete(self, *args, **kwargs):
        raise TypeError("The audit journal is append-only.")

    def get_action_display(self) -> str:
        return str(Action(self.action).label) if self.action in Action.values else self.action


class ChainLinkQuerySet(models.QuerySet["ChainLink"]):
    def update(self, **kwargs):
        raise TypeError("The chain of the journal is written by the database only.")

    def delete(self):
        raise TypeError("The chain of the journal is written by the database only.")

    def bulk_create(self, *args, **kwargs):
        raise TypeError("The chain of the journal is written by the database only.")


class ChainLink(models.Model):
    """The place of one journal row in the hash chain of a day (UTC), written by a database trigger
    when the row's transaction commits. ``hash`` is ``chain.step(previous link, row digest, row id)``."""

    event = models.OneToOneField(
        AuditEvent, primary_key=True, on_delete=models.PROTECT, related_name="link", verbose_name=_("événement")
    )
    day = models.DateField(_("jour (UTC)"))
    seq = models.PositiveBigIntegerField(_("rang dans le jour"))
    hash = models.CharField(_("maillon"), max_length=64)

    objects = ChainLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("maillon du journal")
        verbose_name_plural = _("chaîne du journal")
        ordering = ["day", "seq"]
        constraints = [models.UniqueConstraint(fields=["day", "seq"], name="audit_chain_one_link_per_rank")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} #{self.seq} {self.hash[:12]}"

    def save(self, *args, **kwargs):
        raise TypeError("The chain of the journal is written by the database only.")

    def delete(self, *args, **kwargs):
        raise TypeError("The chain of the journal is written by the database only.")


class DroppedMonth(models.Model):
    """A whole month (UTC days of the chain) of the journal deleted once past its retention
    (``months.py``). On PostgreSQL only the database's ``halte_audit_drop_month()`` writes it, and the
    journal's guard lets a row go only in the transaction that wrote the row of its month."""

    month = models.DateField(_("mois (premier jour)"), unique=True)
    txid = models.BigIntegerField(null=True, blank=True, editable=False)
    rows = models.PositiveBigIntegerField(_("événements effacés"), default=0)
    dropped_at = models.DateTimeField(_("effacé le"), default=timezone.now)

    class Meta:
        verbose_name = _("mois effacé du journal")
        verbose_name_plural = _("mois effacés du journal")
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
