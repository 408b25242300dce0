"""Vocabularies of cases: states, priorities, qualifications, compartments, legal bases."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    NEW = "new", _("Nouveau")
    TRIAGED = "triaged", _("Trié")
    IN_INTERVENTION = "in_intervention", _("En intervention")
    MONITORING = "monitoring", _("En veille")
    CLOSED = "closed", _("Clos")
    REOPENED = "reopened", _("Rouvert")
    REDIRECTED = "redirected", _("Réorienté")


OPEN_STATES = [State.NEW, State.TRIAGED, State.IN_INTERVENTION, State.MONITORING, State.REOPENED]


class Priority(models.TextChoices):
    P1 = "P1", _("P1 — critique")
    P2 = "P2", _("P2 — élevée")
    P3 = "P3", _("P3 — modérée")
    P4 = "P4", _("P4 — établissement (pHARe)")


class Qualification(models.TextChoices):
    CONFLICT = "conflict", _("Conflit entre élèves")
    INTIMIDATION = "intimidation", _("Intimidation")
    BULLYING = "bullying", _("Harcèlement")
    OTHER_OFFENCE = "other_offence", _("Autre infraction")
    OUT_OF_SCOPE = "out_of_scope", _("Hors champ")


class Compartment(models.TextChoices):
    CORE = "core", _("Dossier (faits, personnes, suivi)")
    HEALTH = "health", _("Santé et accompagnement psychologique")
    JUDICIAL = "judicial", _("Volet judiciaire")
    REPORTER_IDENTITY = "reporter_identity", _("Identité de la personne qui signale")


class EventKind(models.TextChoices):
    """Every kind of line of a case's timeline. Each one has its compartment decided in the access
    policy (``halte.access.timeline.EVENT_COMPARTMENTS``); a kind without a decision cannot be written."""

    OPENED = "opened", _("Ouverture")
    CRITICAL_ALERT = "critical_alert", _("Alerte critique")
    CRITICAL_ALERT_PARQUET = "critical_alert_parquet", _("Alerte critique transmise au parquet")
    REPORT_ATTACHED = "report_attached", _("Signalement rattaché")
    ASSESSED = "assessed", _("Gravité évaluée")
    ASSIGNED = "assigned", _("Responsable et co-intervenants")
    SUMMARY = "summary", _("Résumé")
    TRANSITION = "transition", _("Changement d’état")
    FOLLOW_UP = "follow_up", _("Point de suivi")
    FOLLOW_UP_WELLBEING = "follow_up_wellbeing", _("Bien-être de l’élève au point de suivi")
    FOLLOW_UP_ESCALATED = "follow_up_escalated", _("Point de suivi : alerte")
    FOLLOW_UP_ADDED = "follow_up_added", _("Point de suivi ajouté")
    ACTION = "action", _("Action confiée")
    ACTION_DONE = "action_done", _("Action réalisée")
    ACTION_CANCELLED = "action_cancelled", _("Action annulée")
    ACTION_DIFFICULTY = "action_difficulty", _("Difficulté sur une action")
    DISCLOSURE = "disclosure", _("Ne pas informer la famille")
    SHARED = "shared", _("Partage")
    SHARE_REVOKED = "share_revoked", _("Partage révoqué")
    NOTE = "note", _("Note")
    PERSON = "person", _("Personne ajoutée")
    LINKED = "linked", _("Dossier lié")
    MERGED = "merged", _("Dossier fusionné")
    MEETING = "meeting", _("Réunion de la cellule")
    DOCUMENT_GENERATED = "document_generated", _("Document généré")
    FAMILY_CONTACT = "family_contact", _("Contact avec une famille")
    PARENTS_INFORMATION = "parents_information", _("Information des parents")
    INTERVIEW = "interview", _("Entretien")
    MEASURE = "measure", _("Mesure")
    MEASURE_REVIEW = "measure_review", _("Bilan d’une mesure")
    MPP = "mpp", _("Préoccupation partagée")
    MPP_SWITCH_PROPOSED = "mpp_switch_proposed", _("Bascule vers les sanctions proposée")


# What can be shared with an organisation outside the cell's core members.
SHAREABLE = [Compartment.CORE, Compartment.HEALTH, Compartment.JUDICIAL]


class LegalBasis(models.TextChoices):
    ART_40 = "art40", _("Article 40 du code de procédure pénale")
    SHARED_SECRET = "secret_partage", _("Secret partagé (art. L.226-2-2 CASF)")
    INFORMATION_PREOCCUPANTE = "ip", _("Information préoccupante (art. L.226-2-1 CASF)")
    CONVENTION = "convention", _("Convention de la cellule")


class Role(models.TextChoices):
    """How a person is involved in a case."""

    VICTIM = "victim", _("Victime")
    ALLEGED_AUTHOR = "alleged_author", _("Auteur présumé")
    WITNESS = "witness", _("Témoin")
    GUARDIAN = "guardian", _("Représentant légal")
    REPORTER = "reporter", _("Personne qui a signalé")


class PersonKind(models.TextChoices):
    PUPIL = "pupil", _("Élève")
    ADULT = "adult", _("Adulte")


class TriageOutcome(models.TextChoices):
    OPEN_CASE = "open_case", _("Ouvrir un dossier")
    ATTACH = "attach", _("Rattacher à un dossier existant")
    HAND_BACK = "hand_back", _("Confier à l’établissement (pHARe)")
    REDIRECT = "redirect", _("Réorienter")
    NOT_BULLYING = "not_bullying", _("Clore : pas de harcèlement")


class ClosureOutcome(models.TextChoices):
    STOPPED = "stopped", _("Le harcèlement a cessé")
    NOT_ESTABLISHED = "not_established", _("Harcèlement non établi")
    REDIRECTED = "redirected", _("Réorienté")
    MOVED_AWAY = "moved_away", _("Élève parti de l’établissement")
    OTHER = "other", _("Autre")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("À faire")
    DONE = "done", _("Fait")
    CANCELLED = "cancelled", _("Annulé")
