"""The parquet's own facts on a case, in the judicial compartment: procedure number, investigation
status, whether the facts are established, the judicial outcome. One row per case, written only by
``judicial.actions.save_facts`` (versioned: two people saving at once cannot overwrite each other)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InvestigationStatus(models.TextChoices):
    REFERRED = "referred", _("Parquet saisi, enquête non ouverte")
    INVESTIGATION = "investigation", _("Enquête en cours")
    DISMISSED = "dismissed", _("Classement sans suite")
    ALTERNATIVE = "alternative", _("Alternative aux poursuites")
    PROSECUTION = "prosecution", _("Poursuites engagées")
    JUDGMENT = "judgment", _("Jugement rendu")


class FactsEstablished(models.TextChoices):
    YES = "yes", _("Oui")
    NO = "no", _("Non")
    NOT_ESTABLISHED = "not_established", _("Non établi à ce stade")


class JudicialFacts(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="judicial_facts")
    procedure_number = models.CharField(_("numéro de procédure (numéro parquet)"), max_length=40, blank=True)
    status = models.CharField(_("état de l’enquête"), max_length=20, choices=InvestigationStatus.choices, blank=True)
    facts_established = models.CharField(_("faits avérés"), max_length=20, choices=FactsEstablished.choices, blank=True)
    outcome = models.TextField(_("suite judiciaire"), max_length=5_000, blank=True)
    # Compared and bumped by one conditional UPDATE: a form built from an older version is refused.
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("faits judiciaires")
        verbose_name_plural = _("faits judiciaires")

    def __str__(self) -> str:
        return f"{self.case} {self.status or '-'}"
