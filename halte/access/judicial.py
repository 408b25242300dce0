"""Who reads and writes the parquet's own facts on a case (``judicial.JudicialFacts``): procedure
number, investigation status, « faits avérés », judicial outcome. Part of the access policy.

They live in the judicial compartment: only those who read it on the case (the magistrate, the
délégué du procureur, a police or gendarmerie unit the judicial part is shared with) see them; for
everyone else they do not exist — absent from the case page, their page answers 404. Only the
magistrate and the délégué du procureur write them (the investigators read them).
"""

from halte.accounts.models import Role
from halte.cases.models import Case

from .cases import JUDICIAL, can_read

JUDICIAL_FACTS_WRITERS = frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE})


def can_read_judicial_facts(membership, case: Case) -> bool:
    return can_read(membership, case, JUDICIAL)


def can_write_judicial_facts(membership, case: Case) -> bool:
    return membership.role in JUDICIAL_FACTS_WRITERS and can_read_judicial_facts(membership, case)
