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
