"""The yearly report of the cell ("bilan annuel"): the coordinator's texts, and the figures frozen at
publication for the public results page.

Nothing here holds case content: ``figures`` is the list of département-level tables *after*
statistical suppression (:mod:`halte.stats.suppression`), as plain JSON, so that the public page
never queries a case and shows the year as it was published.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class YearlyReportQuerySet(models.QuerySet["YearlyReport"]):
    def published(self) -> "YearlyReportQuerySet":
        return self.filter(published_at__isnull=False)


class YearlyReport(models.Model):
    school_year = models.PositiveSmallIntegerField(_("année scolaire (année de la rentrée)"), unique=True)
    introduction = models.TextField(_("introduction"), blank=True, max_length=10_000)
    highlights = models.TextField(_("faits marquants"), blank=True, max_length=10_000)
    outlook = models.TextField(_("perspectives"), blank=True, max_length=10_000)
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)
    updated_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Optimistic locking: a form carrying an older version is refused (two people editing at once).
    version = models.PositiveIntegerField(default=0)

    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    published_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Département-level tables after suppression, frozen at publication (see halte.stats.tables).
    figures = models.JSONField(_("chiffres publiés"), null=True, blank=True, editable=False)

    objects = YearlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("bilan annuel")
        verbose_name_plural = _("bilans annuels")
        ordering = ["-school_year"]
        constraints = [
            # Published means: figures frozen, by someone, at some time — never half of it.
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True, published_by__isnull=True)
                | models.Q(published_at__isnull=False, published_by__isnull=False, figures__isnull=False),
                name="yearly_report_published_whole",
            ),
        ]
        indexes = [models.Index(fields=["published_at", "school_year"], name="yearly_report_published_idx")]

    def __str__(self) -> str:
        return f"Bilan {self.school_year}-{self.school_year + 1}"

    @property
    def year_label(self) -> str:
        return f"{self.school_year}-{self.school_year + 1}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
