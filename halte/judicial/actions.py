"""Writing the parquet's facts on a case: one function, atomic, journaled, versioned."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access.judicial import can_write_judicial_facts
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.cases import timeline
from halte.cases.enums import EventKind
from halte.cases.models import Case

from .models import FactsEstablished, InvestigationStatus, JudicialFacts

FIELDS = ("procedure_number", "status", "facts_established", "outcome")


class JudicialRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleJudicialFacts(JudicialRefused):
    """Someone saved the judicial facts since the form was built."""


def facts_for(case: Case) -> JudicialFacts | None:
    return JudicialFacts.objects.filter(case=case).select_related("updated_by__user").first()


def _row(case: Case) -> JudicialFacts:
    """The case's row, created empty (version 0) the first time; two first saves at once create one."""
    try:
        with transaction.atomic():
            row, _created = JudicialFacts.objects.get_or_create(case=case)
    except IntegrityError:
        row = JudicialFacts.objects.get(case=case)
    return row


def _describe(values: dict) -> str:
    parts = []
    if values["procedure_number"]:
        parts.append(_("procédure n° %(number)s") % {"number": values["procedure_number"]})
    if values["status"]:
        parts.append(str(InvestigationStatus(values["status"]).label).lower())
    if values["facts_established"]:
        parts.append(
            _("faits avérés : %(answer)s")
            % {"answer": str(FactsEstablished(values["facts_established"]).label).lower()}
        )
    if values["outcome"]:
        parts.append(_("suite : %(outcome)s") % {"outcome": values["outcome"]})
    return " ; ".join(parts) or _("informations effacées")


def save_facts(
    *,
    case: Case,
    actor,
    expected_version: int,
    procedure_number: str = "",
    status: str = "",
    facts_established: str = "",
    outcome: str = "",
) -> JudicialFacts:
    """Record the parquet's facts as the form shows them. The version the form was built from is
    compared and bumped by one conditional UPDATE: of two saves from the same version, the second
    is refused (``StaleJudicialFacts``) and nothing of it is written."""
    if not can_write_judicial_facts(actor, case):
        raise JudicialRefused(_("Seuls le magistrat et le délégué du procureur renseignent le volet judiciaire."))
    if status and status not in InvestigationStatus.values:
        raise JudicialRefused(_("Choisissez un état de l’enquête dans la liste."))
    if facts_established and facts_established not in FactsEstablished.values:
        raise JudicialRefused(_("Choisissez oui, non ou non établi pour les faits avérés."))
    values = {
        "procedure_number": procedure_number.strip(),
        "status": status,
        "facts_established": facts_established,
        "outcome": outcome.strip(),
    }
    with transaction.atomic():
        row = _row(case)
        before = {name: getattr(row, name) for name in FIELDS}
        changed = sorted(name for name in FIELDS if before[name] != values[name])
        updated = JudicialFacts.objects.filter(pk=row.pk, version=expected_version).update(
            **values, version=F("version") + 1, updated_by=actor, updated_at=timezone.now()
        )
        if not updated:
            raise StaleJudicialFacts(
                _(
                    "Le volet judiciaire a été modifié par quelqu’un d’autre pendant que vous le remplissiez : "
                    "rien n’a été enregistré. Voici la version à jour ; reportez-y vos changements."
                )
            )
        if changed:
            timeline.write(
                case, actor, EventKind.JUDICIAL_FACTS, _("Volet judiciaire : %(what)s.") % {"what": _describe(values)}
            )
        record(
            AuditAction.JUDICIAL_FACTS_CHANGED,
            actor=actor.user,
            membership=actor,
            target=case,
            detail={"changed": changed, "version": expected_version + 1},
        )
    row.refresh_from_db()
    return row
