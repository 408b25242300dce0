"""Who may see and do what with the steering statistics (pilotage). Part of the access policy.

- The dashboard, its exports, the yearly reports (PDF) are open to VIEW_STATISTICS (coordinator,
  magistrate, education referent, analyst). They show aggregates only — never a case, never a
  name, never a school in a ranking — so no per-object rule applies; analysts still get nothing
  of a case (``access.cases.visible_cases`` is empty for them).
- Writing the yearly report's texts, publishing a year's figures and withdrawing them belong to
  PUBLISH_STATISTICS (the coordinator).
- The public results page is public, and shows only the years the coordinator published.
"""

from django.db.models import QuerySet

from halte.stats.models import YearlyReport

from .policy import Capability, has_capability


def can_edit_yearly_report(membership) -> bool:
    return has_capability(membership, Capability.PUBLISH_STATISTICS)


def can_publish(membership) -> bool:
    return has_capability(membership, Capability.PUBLISH_STATISTICS)


def public_yearly_reports() -> QuerySet[YearlyReport]:
    """What anyone may read: published years only."""
    return YearlyReport.objects.published()
