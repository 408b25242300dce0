"""Documents generated from a case (PDF): stored in the case, encrypted at rest, with the SHA-256 of
the PDF and the compartments whose content they carry — reading one needs every one of them."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    ART_40 = "art40", _("Signalement au procureur de la République (art. 40 CPP)")
    INFORMATION_PREOCCUPANTE = "ip", _("Information préoccupante (CRIP)")
    CONVOCATION = "convocation", _("Convocation")
    MINUTES = "minutes", _("Compte rendu de réunion de la cellule")
    CLOSURE_LETTER = "closure_letter", _("Courrier de clôture à la famille")


class Document(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("titre"), max_length=255)
    compartments = models.JSONField(_("volets du dossier contenus"))
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    recipient = models.ForeignKey(
        "cases.Person",
        verbose_name=_("destinataire"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Encrypted PDF, relative to the vault's root; the hash is the plain PDF's.
    path = models.CharField(max_length=255, unique=True, editable=False)
    key_id = models.CharField(max_length=32, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveIntegerField(editable=False)
    generated_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)
    # Set by the retention rules: the file is deleted, the row stays (kind and date) for the figures.
    erased_at = models.DateTimeField(_("effacé le"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-generated_at", "-id"]
        indexes = [models.Index(fields=["generated_at", "kind"], name="document_generated_idx")]

    def __str__(self) -> str:
        return self.title
