"""Interviews with the people of a case: the victim (whose words are kept exactly as spoken), the
witnesses, the alleged authors and the legal guardians. Meetings of the shared-concern method are
interviews too, recorded through :mod:`halte.interventions.mpp`."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.interventions import can_record_interview
from halte.audit.models import Action as AuditAction
from halte.cases.models import Case, Involvement

from .common import InterventionRefused, audit, check_not_future, event, lock_case
from .models import Interview

# The methods of an ordinary interview; the two MPP methods belong to a series.
ORDINARY_METHODS = (Interview.Method.HEARING, Interview.Method.JOINT, Interview.Method.PHONE)

FUTURE_INTERVIEW = gettext_lazy("La date de l’entretien ne peut pas être dans le futur.")


def interview_text(interview: Interview) -> str:
    return _("Entretien (%(method)s) avec %(person)s, %(kind)s, mené par %(by)s.") % {
        "method": interview.get_method_display(),
        "person": interview.person,
        "kind": interview.get_kind_display().lower(),
        "by": interview.conducted_by.user.get_full_name(),
    }


def record_interview(
    *,
    case: Case,
    actor,
    involvement: Involvement,
    held_at,
    conducted_by,
    method: str = Interview.Method.HEARING,
    also_present: str = "",
    words: str = "",
    summary: str = "",
) -> Interview:
    """Record an interview with a person involved in the case; its kind follows the involvement."""
    if not can_record_interview(actor, case):
        raise InterventionRefused(_("Vous ne pouvez pas enregistrer d’entretien sur ce dossier."))
    if involvement.case_id != case.pk:
        raise InterventionRefused(_("La personne entendue doit être une personne du dossier."))
    if involvement.role not in Interview.Kind.values:
        raise InterventionRefused(_("Choisissez une victime, un témoin, un auteur présumé ou un représentant légal."))
    if method not in ORDINARY_METHODS:
        raise InterventionRefused(_("Choisissez la façon dont l’entretien s’est déroulé."))
    check_not_future(held_at, str(FUTURE_INTERVIEW))
    if not words.strip() and not summary.strip():
        raise InterventionRefused(_("Écrivez les paroles de l’élève ou la synthèse de l’entretien."))
    with transaction.atomic():
        lock_case(case)
        interview = Interview.objects.create(
            case=case,
            person=involvement.person,
            kind=involvement.role,
            method=method,
            held_at=held_at,
            conducted_by=conducted_by,
            also_present=also_present,
            words=words,
            summary=summary,
        )
        event(case, actor, "interview", interview_text(interview))
        audit(
            AuditAction.INTERVIEW_RECORDED,
            actor,
            case,
            interview=str(interview.public_id),
            kind=interview.kind,
            method=method,
        )
    return interview
