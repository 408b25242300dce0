"""Who may see and do what with reports. Part of the access policy: views only call these.

- Coordinators (``TRIAGE_REPORTS``) see every report, the reporter's identity, the evidence, and talk
  with the reporter.
- School staff (``FILE_REPORTS`` without ``TRIAGE_REPORTS``) see only the reports their own school
  filed, and file reports for their own school only.
- Everyone else sees no report: what reaches them comes through a case (cases issue).

Evidence: a quarantined original (a virus was found) is downloaded by nobody, whatever the role: it
stays sealed in the vault, listed with its digests in the custody pack; a copy for a forensic
laboratory is made by the operator on a judicial requisition, outside the web application. The
custody pack of a case (every original, signed manifest) is for the magistrate of the parquet who
reads the judicial compartment of that case: the prosecutor decides what becomes a procedure's
evidence. The délégué du procureur (alternatives to prosecution), the police (who receive evidence
from the parquet, on requisition) and the coordinator (who downloads single files) do not make one.
"""

from django.db.models import QuerySet

from halte.accounts.models import Membership, Role
from halte.cases.models import Case
from halte.directory.models import School
from halte.reports.models import Evidence, Report, ReportQuerySet

from .cases import JUDICIAL, can_read, visible_cases
from .policy import Capability, has_capability, memberships_with

# Who makes custody packs (see the module docstring).
CUSTODY_PACK_ROLES = frozenset({Role.MAGISTRATE})


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


def can_download_original(membership, evidence: Evidence) -> bool:
    """The original of one file: whoever downloads the report's evidence, unless it is quarantined."""
    if not can_download_evidence(membership, evidence.report):
        return False
    return not evidence.is_quarantined


def can_export_custody_pack(membership, case: Case) -> bool:
    """The custody pack of a case: a magistrate who sees the case and reads its judicial compartment."""
    if membership is None or membership.role not in CUSTODY_PACK_ROLES:
        return False
    if not visible_cases(membership).filter(pk=case.pk).exists():
        return False
    return can_read(membership, case, JUDICIAL)


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
