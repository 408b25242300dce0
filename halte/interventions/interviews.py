"""Interviews with the people of a case: the victim (whose words are kept exactly as spoken), the
witnesses, the alleged authors and the legal guardians. Meetings of the shared-concern method are
interviews too, recorded through :mod:`halte.interventions.mpp`. An interview with a family under
« ne pas informer » (here or on another case) is refused but to the judicial side."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.interventions import can_record_interview, can_set_family_restriction
from halte.audit.models import Action as AuditAction
from halte.cases.enums import PersonKind
from halte.cases.models import Case, Guardianship, Involvement, Person

from .common import InterventionRefused, audit, check_not_future, check_within_case, event, lock_families
from .families import (
    INTERVIEW_REFUSALS,
    confirmed_detail,
    explained,
    families_of,
    guardian_holds,
    held_mentions,
    holds_on,
    mentions_warning,
    refusal,
)
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


def family_pupils(case: Case, involvement: Involvement, method: str) -> list[Person]:
    """The pupils whose family an interview reaches: with the family (« entretien avec la famille »)
    about a pupil, that pupil's; with a legal guardian, the families of the pupils of the case they are
    linked to — all of the case's families when linked to none (a guardian recorded before the links:
    whose parent they are is not known, so every instruction applies). A pupil heard alone reaches
    no family."""
    person = involvement.person
    if person.kind == PersonKind.PUPIL:
        return [person] if method == Interview.Method.JOINT else []
    if involvement.role != Interview.Kind.GUARDIAN:
        return []
    pupils = [family.pupil for family in families_of(case)]
    wards = set(Guardianship.objects.filter(guardian=person).values_list("child_id", flat=True))
    linked = [pupil for pupil in pupils if pupil.pk in wards]
    return linked if wards else pupils


def refuse_if_family_held(case: Case, actor, involvement: Involvement, method: str) -> None:
    """An interview with a family under « ne pas informer » (on this case or on another) is refused,
    except to the judicial side, who set the instruction and may decide to meet the family."""
    if can_set_family_restriction(actor, case):
        return
    holds = list(explained(holds_on(case, family_pupils(case, involvement, method))).values())
    if involvement.role == Interview.Kind.GUARDIAN:  # the guardian herself, held through any child of hers
        holds.extend(guardian_holds(case, [involvement.person]).values())
    for hold in holds:
        if hold.kind in INTERVIEW_REFUSALS:
            raise InterventionRefused(refusal(INTERVIEW_REFUSALS, hold))


def held_involvements(case: Case, involvements) -> set[int]:
    """Among these involvements, those an interview « avec la famille » would be refused for (a fixed
    number of queries): the form marks them, so the warning is there as the person is chosen."""
    involvements = list(involvements)
    pupils = [family.pupil for family in families_of(case)]
    held = {pk for pk, hold in holds_on(case, pupils).items() if hold.kind in INTERVIEW_REFUSALS}
    guardians = [i.person_id for i in involvements if i.role == Interview.Kind.GUARDIAN]
    held_guardians = {
        pk
        for pk, hold in guardian_holds(
            case, [i.person for i in involvements if i.role == Interview.Kind.GUARDIAN]
        ).items()
        if hold.kind in INTERVIEW_REFUSALS
    }
    if not held and not held_guardians:
        return set()
    wards: dict[int, set[int]] = {}
    for guardian_id, child_id in Guardianship.objects.filter(guardian__in=guardians).values_list(
        "guardian_id", "child_id"
    ):
        wards.setdefault(guardian_id, set()).add(child_id)
    found = set()
    for involvement in involvements:
        if involvement.person.kind == PersonKind.PUPIL:
            if involvement.person_id in held:
                found.add(involvement.pk)
        elif involvement.role == Interview.Kind.GUARDIAN:
            linked = wards.get(involvement.person_id)
            if involvement.person_id in held_guardians or (held and (linked is None or linked & held)):
                found.add(involvement.pk)
    return found


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
    hold_confirmed: bool = False,
) -> Interview:
    """Record an interview with a person involved in the case; its kind follows the involvement. A text
    that names a held family (« M. Karim Lefèvre, père d’Enzo » among those present) asks
    ``hold_confirmed`` first: the journal keeps it."""
    if not can_record_interview(actor, case):
        raise InterventionRefused(_("Vous ne pouvez pas enregistrer d’entretien sur ce dossier."))
    if involvement.case_id != case.pk:
        raise InterventionRefused(_("La personne entendue doit être une personne du dossier."))
    if involvement.role not in Interview.Kind.values:
        raise InterventionRefused(_("Choisissez une victime, un témoin, un auteur présumé ou un représentant légal."))
    if method not in ORDINARY_METHODS:
        raise InterventionRefused(_("Choisissez la façon dont l’entretien s’est déroulé."))
    check_not_future(held_at, str(FUTURE_INTERVIEW))
    check_within_case(case, held_at)
    if not words.strip() and not summary.strip():
        raise InterventionRefused(_("Écrivez les paroles de l’élève ou la synthèse de l’entretien."))
    with transaction.atomic():
        # Under the locks of « famille informée » (the case, the households of the person heard and, for a
        # guardian, of the case's families): an instruction or a guardian link written meanwhile is seen.
        people = [involvement.person]
        if involvement.role == Interview.Kind.GUARDIAN:
            people += [family.pupil for family in families_of(case)]
        lock_families(case, people)
        refuse_if_family_held(case, actor, involvement, method)
        mentions = held_mentions(case, also_present, words, summary)
        if mentions and not hold_confirmed:
            raise InterventionRefused(mentions_warning(mentions))
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
            **confirmed_detail(None, mentions),
        )
    return interview
