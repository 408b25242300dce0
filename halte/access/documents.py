"""Who may generate and read the documents of a case (PDF). Part of the access policy: views and the
case panel only call these.

Generating, per kind (always on a case the member sees, whose core they read — every document
carries core facts):

- *Signalement au procureur (art. 40 CPP)*: those who manage the case (the coordinator; a cell member
  lead or co-worker of it), and, whatever the case's team, the social worker (art. 40 binds every
  public official who learns of an offence in the course of duty) — never the parquet's own members
  (the magistrate, the délégué du procureur), even on the case's team: the report is addressed to
  them. Their own facts go in the judicial compartment.
- *Information préoccupante (CRIP)*: those who manage the case, and the social worker (the
  Département's own channel to its CRIP). The parquet does not send IPs, even on the case's team: it
  receives them (``RECIPIENTS``).
- *Convocation*: those who manage the case, and the staff of a school the case belongs to (its main
  school or one of its other schools) — a school convenes its own pupils and their families.
- *Compte rendu de réunion* and *courrier de clôture à la famille*: those who manage the case.

Reading (listing, downloading) a document: the member reads every compartment the document contains
(but the reporter's identity in a document addressed to the parquet, which the parquet reads: the
art. 40 report is how the parquet learns who reported),
on the case it belongs to, and what the document's kind reveals by itself (``access.timeline``:
an art. 40 report is the judicial track, an information préoccupante the child-protection one) —
unless the member may write that kind on the case (the coordinator sends the art. 40 report it
wrote). So a school never learns that an art. 40 report exists, even one built from core facts only.
Outside ``visible_cases`` the case is a 404; otherwise a refusal is a 403.
"""

from collections.abc import Iterable

from halte.accounts.models import Role
from halte.cases.enums import Compartment
from halte.cases.models import Case
from halte.directory.models import Partner, PartnerKind
from halte.documents.models import Document, DocumentKind

from .cases import CORE, can_manage, can_read, compartments, is_school_case
from .partners import RECIPIENT_KINDS
from .timeline import DOCUMENT_KIND_COMPARTMENT

# Roles that may generate a kind on any case whose core they read, besides those who manage it.
EXTRA_AUTHORS: dict[str, frozenset[str]] = {
    DocumentKind.ART_40: frozenset({Role.SOCIAL_WORKER}),
    DocumentKind.INFORMATION_PREOCCUPANTE: frozenset({Role.SOCIAL_WORKER}),
    DocumentKind.CONVOCATION: frozenset(),
    DocumentKind.MINUTES: frozenset(),
    DocumentKind.CLOSURE_LETTER: frozenset(),
}


def can_generate(membership, case: Case, kind: str) -> bool:
    """Generate a document of ``kind`` on ``case``: see the module docstring for the rule per kind."""
    if kind not in DocumentKind.values:
        return False
    if not can_read(membership, case, CORE):
        return False
    return _may_author(membership, case, kind, manages=can_manage(membership, case))


# Roles never offered a kind, even on the case's team: it is addressed to them.
# The parquet receives art. 40 reports; it does not send informations préoccupantes either (the CRIP
# passes IPs on to it, and it seizes the juge des enfants itself).
RECIPIENTS: dict[str, frozenset[str]] = {
    DocumentKind.ART_40: frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE}),
    DocumentKind.INFORMATION_PREOCCUPANTE: frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE}),
}


# The parquet, as a recipient: its entries in the directory, and its members.
PARQUET_PARTNER_KINDS = frozenset({PartnerKind.PARQUET, PartnerKind.PARQUET_MINORS})
PARQUET_ROLES = frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE})


def addressed_to_parquet(kind: str) -> bool:
    """Every recipient a document of ``kind`` may be addressed to is the parquet (``RECIPIENT_KINDS``)."""
    kinds = RECIPIENT_KINDS.get(kind, ())
    return bool(kinds) and set(kinds) <= PARQUET_PARTNER_KINDS


def may_name_reporter(kind: str, partner: Partner | None = None) -> bool:
    """The reporter's identity may appear only where the recipient is the parquet: a kind addressed to the
    parquet alone and, when the recipient is known, a parquet of the directory. Whether the author reads
    that identity is the other condition (``compartments``)."""
    if not addressed_to_parquet(kind):
        return False
    return partner is None or partner.kind in PARQUET_PARTNER_KINDS


def _may_author(membership, case: Case, kind: str, *, manages: bool) -> bool:
    """The rule per kind, for a member who reads the case's core."""
    if membership.role in RECIPIENTS.get(kind, ()):
        return False
    if manages:
        return True
    if membership.role in EXTRA_AUTHORS[kind]:
        return True
    if kind == DocumentKind.CONVOCATION and membership.role == Role.SCHOOL_STAFF:
        return is_school_case(membership, case)
    return False


def generatable_kinds(membership, case: Case) -> list[str]:
    """The kinds ``can_generate`` allows, in the order of ``DocumentKind`` (the shared checks done once)."""
    if not can_read(membership, case, CORE):
        return []
    manages = can_manage(membership, case)
    return [kind for kind in DocumentKind.values if _may_author(membership, case, kind, manages=manages)]


def can_read_document(membership, document: Document) -> bool:
    """Read or download a document: see the module docstring."""
    return bool(readable_documents(membership, document.case, [document]))


def readable_documents(membership, case: Case, documents: Iterable[Document]) -> list[Document]:
    """The documents of ``case`` that ``can_read_document`` allows, computing the compartments once."""
    readable = compartments(membership, case)
    kinds: dict[str, bool] = {}

    def kind_readable(kind: str) -> bool:
        if kind not in kinds:
            revealed = DOCUMENT_KIND_COMPARTMENT.get(kind)
            kinds[kind] = revealed is None or revealed in readable or can_generate(membership, case, kind)
        return kinds[kind]

    def needed(document: Document) -> set[str]:
        # A document addressed to the parquet is how it learns who reported: its members read that part.
        if membership.role in PARQUET_ROLES and addressed_to_parquet(document.kind):
            return set(document.compartments) - {Compartment.REPORTER_IDENTITY}
        return set(document.compartments)

    return [
        d
        for d in documents
        if d.case_id == case.pk and d.compartments and needed(d) <= readable and kind_readable(d.kind)
    ]
