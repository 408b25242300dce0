"""Who may see and do what with reports. Part of the access policy: views only call these.

- Coordinators (``TRIAGE_REPORTS``) see every report, the reporter's identity, the evidence, and talk
  with the reporter.
- School staff (``FILE_REPORTS`` without ``TRIAGE_REPORTS``) see only the reports their own school
  filed, and file reports for their own school only.
- Everyone else sees no report: what reaches them comes through a case (cases issue).
"""

from django.db.models import QuerySet

from halte.accounts.models import Membership
from halte.directory.models import School
from halte.reports.models import Report, ReportQuerySet

from .policy import Capability, has_capability, memberships_with


def visible_reports(membership) -> ReportQuerySet:
    if has_capability(membership, Capability.TRIAGE_REPORTS):
        return Report.objects.all()
    if has_capability(membership, Capability.FILE_REPORTS) and membership.school is not None:
        return Report.objects.filter(created_by__organisation=membership.organisation)
    return Report.objects.none()


def can_read_reporter_identity(membership, report: Report) -> bool:
    return has_capability(membership, Capability.TRIAGE_REPORTS)


def can_reply_to_reporter(membership, report: Report) -> bool:
    if not has_capability(membership, Capability.TRIAGE_REPORTS):
        return False
    return report.receipt_lookup is not None


def can_take_charge(membership, report: Report) -> bool:
    return has_capability(membership, Capability.TRIAGE_REPORTS)


def can_download_evidence(membership, report: Report) -> bool:
    return has_capability(membership, Capability.TRIAGE_REPORTS)


def intake_schools(membership) -> QuerySet[School]:
    """The schools a membership may file a report for."""
    if has_capability(membership, Capability.TRIAGE_REPORTS):
        return School.objects.all()
    if has_capability(membership, Capability.FILE_REPORTS) and membership.school is not None:
        return School.objects.filter(pk=membership.school.pk)
    return School.objects.none()


def unread_report_recipients(report: Report, level: str) -> list[Membership]:
    """Who is told that nobody in the cell has opened a report within the P1 delay (the safety net of
    the periodic pass): the members who may read and triage it (the coordinators: the report has no
    lead yet) at every level, and the cell's steering contacts at the last one (``steering``). The
    notification carries the report's reference and a link, never its content."""
    if level == "steering":
        return list(Membership.objects.active().filter(is_steering_contact=True).select_related("user"))
    return list(memberships_with(Capability.TRIAGE_REPORTS))  # they see every report (visible_reports)
