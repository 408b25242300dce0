"""The compartment of each line of a case's timeline, and who reads it. Part of the access policy.

A timeline line says something happened: « partagé avec la police (article 40) », « mesure judiciaire
enregistrée », « bien-être de l'élève 2/5 ». That alone reveals a compartment — that there is a
judicial track, a health concern — so each line sits in the compartment of what it reveals, and only
those who read that compartment on the case see it (``timeline``, a query: nothing is filtered in a
template).

The decision is made per kind of line, here and only here (``EVENT_COMPARTMENTS``):

- a fixed compartment for the kinds that always say the same kind of thing (« ne pas informer la
  famille » is the judicial track's; the pupil's well-being score is health);
- ``SUBJECT`` for the kinds that record something that already lives in a compartment — a note, an
  action, a measure — or whose compartment this module works out from what it records: a share
  (``share_compartment``: the most restricted of what the share carries, its legal basis and the
  organisation it goes to) and a generated document (``document_compartment``: its kind and the
  compartments it was built from). The writer gives that compartment; ``event_compartment`` refuses a
  ``SUBJECT`` kind without one.

A kind missing from the table cannot be written (``UndecidedEventKind``), and the matrix test of
roles × kinds fails until it has a decision. The timeline rows are written only through
``halte.cases.timeline.write``.
"""

from django.db.models import QuerySet

from halte.accounts.models import OrganisationKind
from halte.cases.enums import SHAREABLE, Compartment, EventKind, LegalBasis
from halte.cases.models import Case, Event

from .cases import compartments

CORE, HEALTH, JUDICIAL = Compartment.CORE, Compartment.HEALTH, Compartment.JUDICIAL

# The line records something that has its own compartment, given by the writer (see the docstring).
SUBJECT = "subject"

EVENT_COMPARTMENTS: dict[str, str] = {
    EventKind.OPENED: CORE,
    # « Alerte critique envoyée à la coordination »: the P1 is core. That the parquet was told is a
    # separate line in the judicial compartment.
    EventKind.CRITICAL_ALERT: CORE,
    EventKind.CRITICAL_ALERT_PARQUET: JUDICIAL,
    EventKind.REPORT_ATTACHED: CORE,
    EventKind.ASSESSED: CORE,
    EventKind.ASSIGNED: CORE,
    EventKind.SUMMARY: CORE,
    EventKind.TRANSITION: CORE,
    EventKind.FOLLOW_UP: CORE,
    EventKind.FOLLOW_UP_WELLBEING: HEALTH,
    EventKind.FOLLOW_UP_ESCALATED: CORE,
    EventKind.FOLLOW_UP_ADDED: CORE,
    EventKind.ACTION: SUBJECT,  # the action's compartment (a judicial action stays judicial)
    EventKind.ACTION_DONE: SUBJECT,
    EventKind.ACTION_CANCELLED: SUBJECT,
    EventKind.ACTION_DIFFICULTY: SUBJECT,
    EventKind.DISCLOSURE: JUDICIAL,  # « ne pas informer la famille » is asked by the investigation
    EventKind.SHARED: SUBJECT,  # share_compartment
    EventKind.SHARE_REVOKED: SUBJECT,  # share_compartment of the share revoked
    EventKind.NOTE: SUBJECT,  # the note's compartment (its text is the line)
    EventKind.PERSON: CORE,
    EventKind.LINKED: CORE,
    EventKind.MERGED: CORE,
    EventKind.MEETING: CORE,
    EventKind.DOCUMENT_GENERATED: SUBJECT,  # document_compartment
    EventKind.FAMILY_CONTACT: CORE,
    EventKind.PARENTS_INFORMATION: CORE,
    EventKind.INTERVIEW: CORE,  # who was heard, never what was said
    EventKind.MEASURE: SUBJECT,  # the measure's compartment (judicial measures stay judicial)
    EventKind.MEASURE_REVIEW: SUBJECT,
    EventKind.MPP: CORE,
    EventKind.MPP_SWITCH_PROPOSED: CORE,
}

# From the most to the least restricted: a line revealing several compartments goes to the first.
RESTRICTION_ORDER = (JUDICIAL, HEALTH, CORE)

# What a share's legal basis reveals by itself: an art. 40 report is the judicial track; an
# information préoccupante and the shared social secret are the child-protection (health and social) one.
LEGAL_BASIS_COMPARTMENT: dict[str, str] = {
    LegalBasis.ART_40: JUDICIAL,
    LegalBasis.INFORMATION_PREOCCUPANTE: HEALTH,
    LegalBasis.SHARED_SECRET: HEALTH,
    LegalBasis.CONVENTION: CORE,
}

# What the organisation a case is shared with reveals: the parquet and the investigators are the
# judicial track; the Département's social services are the child-protection one.
ORGANISATION_COMPARTMENT: dict[str, str] = {
    OrganisationKind.PARQUET: JUDICIAL,
    OrganisationKind.POLICE: JUDICIAL,
    OrganisationKind.GENDARMERIE: JUDICIAL,
    OrganisationKind.DEPARTEMENT: HEALTH,
}

# What a document's kind reveals by itself, whatever it was built from.
DOCUMENT_KIND_COMPARTMENT: dict[str, str] = {
    "art40": JUDICIAL,  # signalement au procureur de la République
    "ip": HEALTH,  # information préoccupante to the CRIP
}


class UndecidedEventKind(Exception):
    """A timeline line of a kind the policy has no compartment for, or a SUBJECT kind without one."""


def most_restricted(revealed) -> str:
    revealed = set(revealed)
    for compartment in RESTRICTION_ORDER:
        if compartment in revealed:
            return compartment
    return CORE


def event_compartment(kind: str, subject: str | None = None) -> str:
    """The compartment of a line of ``kind``; ``subject`` is the compartment of what it records."""
    decided = EVENT_COMPARTMENTS.get(kind)
    if decided is None:
        raise UndecidedEventKind(f"No compartment decided for the timeline event kind {kind!r}.")
    if decided != SUBJECT:
        return decided
    if subject not in SHAREABLE:
        raise UndecidedEventKind(f"The timeline event kind {kind!r} needs the compartment of what it records.")
    return subject


def share_compartment(share) -> str:
    """A share line reveals the compartments shared, its legal basis and who receives it."""
    revealed = {
        *share.compartments,
        LEGAL_BASIS_COMPARTMENT.get(share.legal_basis, JUDICIAL),
        ORGANISATION_COMPARTMENT.get(share.organisation.kind, CORE),
    }
    return most_restricted(revealed)


def document_compartment(kind: str, built_from) -> str:
    """A document line reveals the document's kind and the compartments it was built from."""
    return most_restricted({*built_from, DOCUMENT_KIND_COMPARTMENT.get(kind, CORE)})


def timeline(membership, case: Case, readable=None) -> QuerySet[Event]:
    """The lines of ``case`` this membership reads: those of the compartments it reads on the case
    (``readable``, when the caller already has ``compartments(membership, case)``)."""
    readable = compartments(membership, case) if readable is None else readable
    return case.events.filter(compartment__in=sorted(readable))
