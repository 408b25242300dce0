"""The school directory: every establishment known by its UAI, from the official annuaire; and the
cell's directory of partners per département (parquet, CRIP, DSDEN, police, gendarmerie…)."""

import unicodedata
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def fold(text: str) -> str:
    """Lower-case and strip accents, so that « Évreux », « evreux » and « EVREUX » compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class SchoolKind(models.TextChoices):
    ECOLE = "ecole", _("École")
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée")
    EREA = "erea", _("EREA")
    OTHER = "other", _("Autre établissement")


class Sector(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Privé")


class SchoolQuerySet(models.QuerySet["School"]):
    def search(self, query: str) -> "SchoolQuerySet":
        """Schools whose name, commune or UAI contain every word of the query, accents and case ignored."""
        qs = self
        for word in fold(query).split():
            qs = qs.filter(search_text__contains=word)
        return qs

    def open(self) -> "SchoolQuerySet":
        return self.filter(is_open=True)


class School(models.Model):
    """An establishment of the « Annuaire de l'éducation », identified by its UAI (7 digits + a letter)."""

    uai = models.CharField(_("UAI"), max_length=8, unique=True)
    name = models.CharField(_("nom"), max_length=255)
    kind = models.CharField(_("type"), max_length=16, choices=SchoolKind.choices)
    sector = models.CharField(_("secteur"), max_length=16, choices=Sector.choices)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=128)
    commune_code = models.CharField(_("code INSEE de la commune"), max_length=5, blank=True)
    departement = models.CharField(_("département"), max_length=3, blank=True)
    academie = models.CharField(_("académie"), max_length=64, blank=True)
    circonscription = models.CharField(_("circonscription"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_open = models.BooleanField(_("ouvert"), default=True)
    # Folded "name commune uai" so that searching ignores accents and case on every database.
    search_text = models.CharField(max_length=512, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["name", "uai"]
        indexes = [models.Index(fields=["departement", "commune"], name="school_territory_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(uai__regex=r"^[0-9]{7}[A-Z]$"), name="school_uai_format"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.commune}, {self.uai})"

    def save(self, *args, **kwargs):
        # A derived column, not business logic: it must never go stale, whoever saves the row.
        self.search_text = fold(f"{self.name} {self.commune} {self.postcode} {self.uai}")
        super().save(*args, **kwargs)


class PartnerKind(models.TextChoices):
    """What a partner of the cell is: it decides which documents may be addressed to it."""

    PARQUET = "parquet", _("Parquet du tribunal judiciaire")
    PARQUET_MINORS = "parquet_minors", _("Parquet des mineurs du tribunal judiciaire")
    CRIP = "crip", _("Cellule de recueil des informations préoccupantes (CRIP) du Département")
    DSDEN = "dsden", _("Services départementaux de l’Éducation nationale (DSDEN)")
    POLICE = "police", _("Police nationale")
    GENDARMERIE = "gendarmerie", _("Gendarmerie nationale")
    PREFECTURE = "prefecture", _("Préfecture")
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Autre partenaire")


# The partners a document may be addressed to, by document kind (halte.documents).
ART_40_RECIPIENT_KINDS = (PartnerKind.PARQUET_MINORS, PartnerKind.PARQUET)
IP_RECIPIENT_KINDS = (PartnerKind.CRIP,)


class Partner(models.Model):
    """One entry of the cell's directory of partners in a département: who to write to, where.

    Edited by the coordination of that département (``halte.access.partners``); documents take their
    recipients from it. Never deleted: an entry that no longer serves is made inactive.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    departement = models.CharField(_("département"), max_length=3)
    kind = models.CharField(_("type"), max_length=32, choices=PartnerKind.choices)
    name = models.CharField(_("nom"), max_length=255)
    service = models.CharField(_("service"), max_length=255, blank=True)
    address = models.TextField(_("adresse postale"), max_length=500)
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("en service"), default=True)
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)

    class Meta:
        verbose_name = _("partenaire")
        verbose_name_plural = _("partenaires")
        ordering = ["departement", "kind", "name", "service"]
        constraints = [
            models.UniqueConstraint(fields=["departement", "name", "service"], name="partner_unique_per_departement"),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.service}" if self.service else self.name

    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()]
