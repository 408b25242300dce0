"""« Suites données »: what the people who brought a situation to the cell are told of what became of it.

Two audiences, each told as little as they need:

- **Partners** (:func:`send_outcome`): when a case is closed or redirected, and when an action owned
  by another organisation is done, the referring school (the active school staff of the case's school)
  and the organisations the case is shared with receive an in-app notification carrying the case
  reference, the outcome label and a link, and an email with a neutral title and the link only —
  never the outcome, never the content. The sending is journaled
  (``cases.outcome_sent``) with the organisations told.
- **The reporter** (:func:`reporter_status`): the anonymous mailbox shows one plain status derived
  from the case — received, answered (someone wrote back), taken in charge, being supported,
  follow-up over — and never anything of the judicial track. It moves on even when the investigation
  requires that a family not be informed: the steps say the cell works, not what it found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.cases import without_conflicts
from halte.access.policy import Capability, memberships_with
from halte.accounts.models import Role
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.notifications.models import Kind
from halte.notifications.service import notify
from halte.reports.enums import Status as ReportStatus
from halte.reports.models import AuthorKind
from halte.reports.voice import tu_vous

from .enums import State
from .models import Case, Share

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from halte.accounts.models import Membership
    from halte.reports.models import Report

CLOSED = "closed"
REDIRECTED = "redirected"
ACTION_DONE = "action_done"


def _recipients(case: Case, *, excluded_organisation_id: int | None = None) -> list[Membership]:
    """Active members who read cases, of the case's school (school staff) and of the organisations
    with an active share of the case."""
    shared_with = set(Share.objects.active().filter(case=case).values_list("organisation_id", flat=True))
    readers = memberships_with(Capability.READ_CASES)
    members = []
    for membership in readers.filter(organisation_id__in=shared_with):
        members.append(membership)
    if case.school_id is not None:
        for membership in readers.filter(role=Role.SCHOOL_STAFF, organisation__school_id=case.school_id):
            members.append(membership)
    members = without_conflicts(members, case)
    return [m for m in members if m.organisation_id != excluded_organisation_id]


def send_outcome(case: Case, *, actor: Membership | None, event: str, label: str, excluded_organisation_id=None):
    """Tell the referring school and the sharing organisations what became of the case (a label and a
    link). Call it inside the transaction of the change; emails leave after commit."""
    members = _recipients(case, excluded_organisation_id=excluded_organisation_id)
    told = [m for m in members if actor is None or m.user_id != actor.user_id]
    if not told:
        return []
    title = _("Suites données au dossier %(reference)s : %(outcome)s") % {"reference": case.reference, "outcome": label}
    rows = notify(
        memberships=told,
        kind=Kind.CASE_OUTCOME,
        title=title,
        url=reverse("cases:detail", args=[case.public_id]),
        # The outcome stays in Halte: a mailbox is not the place for what became of a case.
        email_title=_("Des suites ont été données à un dossier de votre structure"),
    )
    record(
        AuditAction.CASE_OUTCOME_SENT,
        actor=actor.user if actor else None,
        membership=actor,
        target=case,
        detail={
            "event": event,
            "outcome": label,
            "organisations": sorted({m.organisation.name for m in members}),
            "recipients": len(rows),
        },
    )
    return rows


# --- The reporter's mailbox -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReporterStatus:
    code: str
    label: StrOrPromise
    explanation: StrOrPromise


RECEIVED = ReporterStatus(
    "received",
    gettext_lazy("Reçu"),
    tu_vous(
        gettext_lazy("Ton signalement est bien arrivé. L’équipe va le lire très vite."),
        gettext_lazy("Votre signalement est bien arrivé. L’équipe va le lire très vite."),
    ),
)
ANSWERED = ReporterStatus(
    "answered",
    tu_vous(gettext_lazy("L’équipe t’a répondu"), gettext_lazy("L’équipe vous a répondu")),
    tu_vous(
        gettext_lazy("Une personne de l’équipe a lu ton signalement et t’a écrit : lis son message plus bas."),
        gettext_lazy("Une personne de l’équipe a lu votre signalement et vous a écrit : lisez son message plus bas."),
    ),
)
TAKEN = ReporterStatus(
    "taken",
    gettext_lazy("Pris en charge"),
    tu_vous(
        gettext_lazy("L’équipe a lu ton signalement et s’en occupe."),
        gettext_lazy("L’équipe a lu votre signalement et s’en occupe."),
    ),
)
SUPPORTED = ReporterStatus(
    "supported",
    gettext_lazy("En cours d’accompagnement"),
    tu_vous(
        gettext_lazy("Des adultes agissent pour que la situation s’arrête et suivent comment tu vas."),
        gettext_lazy("Des adultes agissent pour que la situation s’arrête et suivent comment va l’élève."),
    ),
)
FINISHED = ReporterStatus(
    "finished",
    gettext_lazy("Suivi terminé"),
    tu_vous(
        gettext_lazy(
            "Le suivi de l’équipe est terminé. Si quelque chose recommence, écris-nous ici ou fais un nouveau "
            "signalement."
        ),
        gettext_lazy(
            "Le suivi de l’équipe est terminé. Si quelque chose recommence, écrivez-nous ici ou faites un nouveau "
            "signalement."
        ),
    ),
)

SUPPORTED_STATES = frozenset({State.IN_INTERVENTION, State.MONITORING, State.REOPENED})
FINISHED_STATES = frozenset({State.CLOSED, State.REDIRECTED})


def reporter_status(report: Report) -> ReporterStatus:
    """The plain status shown in the reporter's mailbox, derived from the case the report feeds.

    Never says anything of the judicial track. It moves on the same way under « ne pas informer »:
    the steps (received, taken in charge, being supported, over) tell the reporter that the cell
    works, never what it found nor what the investigation does — so an instruction on a family does
    not freeze the reporter at « pris en charge ».
    """
    case = report.case
    if case is not None and case.merged_into_id is not None:
        case = case.merged_into
    if case is None:
        if report.status == ReportStatus.RECEIVED:
            # Not « reçu » any more once someone has written back: the child sees that it was read.
            answered = report.messages.filter(author_kind=AuthorKind.STAFF).exists()
            return ANSWERED if answered else RECEIVED
        if report.status == ReportStatus.CLOSED:
            return FINISHED
        return TAKEN
    if case.state in FINISHED_STATES:
        return FINISHED
    if case.state in SUPPORTED_STATES:
        return SUPPORTED
    return TAKEN
