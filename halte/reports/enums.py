"""The vocabularies of a report, in the words a child understands."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PUBLIC_FORM = "public_form", _("Formulaire public")
    PHONE = "phone", _("Appel téléphonique")
    EMAIL = "email", _("Courriel")
    LETTER = "letter", _("Courrier")
    SCHOOL = "school", _("Établissement scolaire")
    PARQUET = "parquet", _("Saisine du parquet")
    STOP_HARCELEMENT = "stop_harcelement", _("3018 / « Stop harcèlement »")
    CRIP = "crip", _("119 / CRIP")
    ASSOCIATION = "association", _("Association")
    API = "api", _("Plateforme partenaire (API)")


# Channels a coordinator may pick when typing in a report received elsewhere.
STAFF_CHANNELS = [c for c in Channel if c not in {Channel.PUBLIC_FORM, Channel.API}]


class ReporterKind(models.TextChoices):
    """Who reports, as the staff read it (the public form asks in the first person: REPORTER_CHOICES)."""

    VICTIM = "victim", _("L’élève qui subit")
    PARENT = "parent", _("Un parent ou un proche")
    WITNESS = "witness", _("Un ou une élève témoin")
    SCHOOL_STAFF = "school_staff", _("Un personnel de l’établissement")
    OTHER = "other", _("Autre")


# The same, as the person reporting says it on the public form.
REPORTER_CHOICES = [
    (ReporterKind.VICTIM.value, _("Je suis l’élève qui subit")),
    (ReporterKind.PARENT.value, _("Je suis un parent ou un proche")),
    (ReporterKind.WITNESS.value, _("Je suis un ou une élève témoin")),
    (ReporterKind.SCHOOL_STAFF.value, _("Je travaille dans cette école")),
    (ReporterKind.OTHER.value, _("Autre")),
]


class PupilRole(models.TextChoices):
    VICTIM = "victim", _("Subit le harcèlement")
    ALLEGED_AUTHOR = "alleged_author", _("Harcèle (auteur présumé)")
    WITNESS = "witness", _("Témoin")


class Form(models.TextChoices):
    PHYSICAL = "physical", _("Coups, bousculades (violences physiques)")
    VERBAL = "verbal", _("Insultes, moqueries, surnoms (violences verbales)")
    EXCLUSION = "exclusion", _("Mise à l’écart, rumeurs (exclusion)")
    CYBER = "cyber", _("Sur internet ou le téléphone (cyberharcèlement)")
    SEXUAL = "sexual", _("Gestes ou propos sexuels, photos intimes")
    THEFT = "theft", _("Vols, racket, affaires abîmées")
    THREATS = "threats", _("Menaces")


class Platform(models.TextChoices):
    SNAPCHAT = "snapchat", "Snapchat"
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    WHATSAPP = "whatsapp", "WhatsApp"
    DISCORD = "discord", "Discord"
    FACEBOOK = "facebook", "Facebook"
    YOUTUBE = "youtube", "YouTube"
    SMS = "sms", _("SMS / messages")
    GAMES = "games", _("Jeux en ligne")
    OTHER = "other", _("Autre")


class Since(models.TextChoices):
    DAYS = "days", _("Quelques jours")
    WEEKS = "weeks", _("Quelques semaines")
    MONTHS = "months", _("Quelques mois")
    YEAR = "year", _("Plus d’un an")
    UNKNOWN = "unknown", _("Je ne sais pas")


class Frequency(models.TextChoices):
    ONCE = "once", _("C’est arrivé une fois")
    SOMETIMES = "sometimes", _("De temps en temps")
    WEEKLY = "weekly", _("Toutes les semaines")
    DAILY = "daily", _("Tous les jours ou presque")
    UNKNOWN = "unknown", _("Je ne sais pas")


class Place(models.TextChoices):
    CLASSROOM = "classroom", _("En classe")
    PLAYGROUND = "playground", _("Dans la cour")
    CORRIDORS = "corridors", _("Dans les couloirs, les toilettes, les vestiaires")
    CANTEEN = "canteen", _("À la cantine")
    TRANSPORT = "transport", _("Dans le bus ou sur le trajet")
    ONLINE = "online", _("Sur internet, sur le téléphone")
    OUTSIDE = "outside", _("En dehors de l’école")


class DistressSign(models.TextChoices):
    SAD = "sad", _("Triste, pleure souvent")
    AFRAID = "afraid", _("A peur d’aller à l’école")
    ABSENT = "absent", _("Manque l’école")
    GRADES = "grades", _("Les notes baissent")
    SLEEP = "sleep", _("Dort mal, a mal au ventre ou à la tête")
    ISOLATED = "isolated", _("Reste seul ou seule")
    SELF_HARM = "self_harm", _("Se fait du mal (se blesse exprès)")
    SUICIDAL = "suicidal", _("Parle de mourir ou de se tuer")


# Anything here makes a report "worrying": it jumps the intake queue and alerts at once.
CRITICAL_SIGNS = {DistressSign.SELF_HARM, DistressSign.SUICIDAL}
CRITICAL_FORMS = {Form.SEXUAL}


class Status(models.TextChoices):
    RECEIVED = "received", _("Reçu")
    IN_PROGRESS = "in_progress", _("Pris en charge")
    CLOSED = "closed", _("Clos")


class FaitsLevel(models.IntegerChoices):
    ONE = 1, _("Niveau 1")
    TWO = 2, _("Niveau 2")
    THREE = 3, _("Niveau 3")


class ScanStatus(models.TextChoices):
    """What the antivirus said about a piece of evidence (reports/antivirus.py)."""

    NOT_SCANNED = "not_scanned", _("Non analysé par un antivirus")
    CLEAN = "clean", _("Aucun virus détecté")
    INFECTED = "infected", _("Virus détecté")
    FAILED = "failed", _("Analyse antivirus impossible")
