"""Vocabularies of prevention: themes, levels, statuses, places and signs of the weak-signal grid."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Issuer(models.TextChoices):
    NATIONAL = "national", _("Agrément national de l’Éducation nationale")
    ACADEMIC = "academic", _("Agrément académique")
    JEP = "jep", _("Agrément jeunesse et éducation populaire (JEP)")
    OTHER = "other", _("Autre")


class Theme(models.TextChoices):
    BULLYING = "bullying", _("Harcèlement")
    CYBERBULLYING = "cyberbullying", _("Cyberharcèlement")
    PSYCHOSOCIAL = "psychosocial", _("Compétences psychosociales")
    DIGITAL = "digital", _("Usages numériques")
    EQUALITY = "equality", _("Égalité et lutte contre les discriminations")


class Level(models.TextChoices):
    CM1 = "cm1", "CM1"
    CM2 = "cm2", "CM2"
    SIXIEME = "6e", "6e"
    CINQUIEME = "5e", "5e"
    QUATRIEME = "4e", "4e"
    TROISIEME = "3e", "3e"
    SECONDE = "2nde", _("Seconde")
    PREMIERE = "1re", _("Première")
    TERMINALE = "term", _("Terminale")


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Demandé")
    ASSIGNED = "assigned", _("Attribué")
    CONFIRMED = "confirmed", _("Confirmé par l’intervenant")
    DELIVERED = "delivered", _("Réalisé")
    CANCELLED = "cancelled", _("Annulé")


class TrainingTopic(models.TextChoices):
    WEAK_SIGNALS = "weak_signals", _("Repérer les signaux faibles")
    LISTENING = "listening", _("Écouter un enfant")
    MPP = "mpp", _("La méthode de la préoccupation partagée")
    PHARE = "phare", _("Le protocole pHARe")
    OTHER = "other", _("Autre")


class Place(models.TextChoices):
    PLAYGROUND = "playground", _("Cour")
    CORRIDORS = "corridors", _("Couloirs")
    CANTEEN = "canteen", _("Cantine")
    CLASSROOM = "classroom", _("Classe")
    TRANSPORT = "transport", _("Transports")
    ONLINE = "online", _("En ligne")


class Sign(models.TextChoices):
    ISOLATION = "isolation", _("Isolement")
    INJURIES = "injuries", _("Blessures inexpliquées")
    ABSENCES = "absences", _("Absences")
    RESULTS = "results", _("Baisse des résultats")
    SLEEP_APPETITE = "sleep_appetite", _("Changements de sommeil ou d’appétit")
    SADNESS = "sadness", _("Tristesse, repli")
    MOCKERY = "mockery", _("Moqueries, mises à l’écart observées")
    DAMAGED_BELONGINGS = "belongings", _("Affaires abîmées ou disparues")
    SELF_HARM = "self_harm", _("Signes d’automutilation")
