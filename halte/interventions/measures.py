"""The measures register: record a measure, review it, find those due for review.

A protective measure in place (active or ended) stops the clock « première mesure de protection ».
Judicial measures live in the judicial compartment: their rows, timeline events and audit rows are
only seen by those who read it (see :mod:`halte.access.interventions`). Some of them (the police on a
case shared for its judicial part) do not read the core, where the people of the case are: a judicial
timeline line never names anyone, and only those who read the core pick the pupil a measure concerns.
"""

from datetime import date

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.interventions import can_read_interventions, can_record_measure, can_review_measure
from halte.audit.models import Action as AuditAction
from halte.cases.enums import Compartment
from halte.cases.enums import Role as InvolvementRole
from halte.cases.models import Case, Involvement, Person

from .common import (
    InterventionRefused,
    audit,
    check_within_case,
    event,
    is_involved,
    lock_case,
    stop_first_measure_clock,
)
from .models import CATEGORY_KINDS, Measure, MeasureCategory, MeasureKind

# Statuses in which a protective measure is actually in place.
IN_PLACE = (Measure.Status.ACTIVE, Measure.Status.ENDED)
# Statuses in which a measure still calls for a review.
UNDER_WAY = (Measure.Status.PLANNED, Measure.Status.ACTIVE)
# Pupils a measure can concern.
CONCERNED_ROLES = (InvolvementRole.VICTIM, InvolvementRole.ALLEGED_AUTHOR, InvolvementRole.WITNESS)


class NeedsConfirmation(InterventionRefused):
    """A measure refused until the person recording it confirms it against the pupil's role."""


ENDS_BEFORE_START = gettext_lazy("La date de fin ne peut pas être antérieure à la date de début.")

# Measures that concern one pupil: a sanction, an educational measure, a change of school.
ONE_PUPIL_CATEGORIES = (MeasureCategory.DISCIPLINARY, MeasureCategory.EDUCATIONAL, MeasureCategory.SCHOOL_CHANGE)
PUPIL_REQUIRED = gettext_lazy(
    "Choisissez l’élève concerné : une sanction disciplinaire, une mesure éducative ou un changement "
    "d’établissement concerne toujours un élève."
)
# The two temporary exclusions of art. R.511-13 (3° and 4°), and their longest length in days.
TEMPORARY_EXCLUSIONS = (MeasureKind.CLASS_EXCLUSION, MeasureKind.SCHOOL_EXCLUSION)
EXCLUSION_MAX_DAYS = 8


def exclusion_error(kind: str, starts_on: date | None, ends_on: date | None) -> str:
    """Art. R.511-13 of the code de l’éducation: « La durée de cette exclusion ne peut excéder huit jours »,
    for the temporary exclusion from the class (3°) and from the school (4°). The text does not say
    school days: the days are counted here as calendar days, the first and the last included (from
    Wednesday 9 to Wednesday 16 is eight days). Such an exclusion needs its end date. Returns the French
    refusal, or ``""``."""
    if kind not in TEMPORARY_EXCLUSIONS or starts_on is None:
        return ""
    if ends_on is None:
        return _("Indiquez la date de fin : une exclusion temporaire dure %(max)d jours au plus.") % {
            "max": EXCLUSION_MAX_DAYS
        }
    days = (ends_on - starts_on).days + 1
    if days > EXCLUSION_MAX_DAYS:
        return _(
            "Une exclusion temporaire ne peut excéder %(max)d jours (art. R.511-13 du code de l’éducation) : "
            "du %(start)s au %(end)s, elle en compterait %(days)d."
        ) % {
            "max": EXCLUSION_MAX_DAYS,
            "start": starts_on.strftime("%d/%m/%Y"),
            "end": ends_on.strftime("%d/%m/%Y"),
            "days": days,
        }
    return ""


def compartment_of(category: str) -> str:
    return Compartment.JUDICIAL if category == MeasureCategory.JUDICIAL else Compartment.CORE


def check_measure(
    *,
    category: str,
    kind: str,
    starts_on: date,
    ends_on: date | None,
    review_on: date | None,
    receiving_school,
    has_pupil: bool,
) -> None:
    """The rules of a measure, whoever records it: raises InterventionRefused with a French message.
    ``has_pupil``: a pupil of the case is named (a sanction, an educational measure and a change of
    school need one)."""
    if category not in CATEGORY_KINDS:
        raise InterventionRefused(_("Choisissez la catégorie de la mesure."))
    if kind not in CATEGORY_KINDS[category]:
        raise InterventionRefused(_("Cette mesure ne relève pas de la catégorie choisie."))
    if ends_on is not None and ends_on < starts_on:
        raise InterventionRefused(str(ENDS_BEFORE_START))
    if review_on is not None and review_on < starts_on:
        raise InterventionRefused(_("La date de réexamen ne peut pas être antérieure à la date de début."))
    if category == MeasureCategory.SCHOOL_CHANGE and receiving_school is None:
        raise InterventionRefused(_("Indiquez l’établissement d’accueil."))
    if category != MeasureCategory.SCHOOL_CHANGE and receiving_school is not None:
        raise InterventionRefused(_("Un établissement d’accueil ne s’indique que pour un changement d’établissement."))
    if category in ONE_PUPIL_CATEGORIES and not has_pupil:
        raise InterventionRefused(str(PUPIL_REQUIRED))
    if refusal := exclusion_error(kind, starts_on, ends_on):
        raise InterventionRefused(refusal)


# Measures taken against the author of the facts, and the one taken to protect the victim.
AGAINST_THE_AUTHOR = (
    *CATEGORY_KINDS[MeasureCategory.DISCIPLINARY],
    MeasureKind.AUTHOR_SCHOOL_CHANGE,
)
FOR_THE_VICTIM = (MeasureKind.VICTIM_SCHOOL_CHANGE,)
CONFIRM_LABEL = gettext_lazy("Je confirme cette mesure pour cet élève, malgré son rôle dans le dossier")


def role_conflict(case: Case, person: Person | None, kind: str) -> tuple[list[str], str]:
    """A measure that goes against the pupil's role in the case: a sanction (or the author's change of
    school) for a victim, the victim's change of school for an alleged author. Returns the roles it goes
    against and the French warning that explains it, or ``([], "")``. A pupil may be both victim and
    alleged author on a case: the warning then says so."""
    if person is None or (kind not in AGAINST_THE_AUTHOR and kind not in FOR_THE_VICTIM):
        return [], ""
    held = set(Involvement.objects.filter(case=case, person=person).values_list("role", flat=True))
    victim, author = InvolvementRole.VICTIM in held, InvolvementRole.ALLEGED_AUTHOR in held
    names = {
        "person": str(person),
        "kind": MeasureKind(kind).label,
        "victim": InvolvementRole.VICTIM.label,
        "author": InvolvementRole.ALLEGED_AUTHOR.label,
    }
    both = _("%(person)s figure dans ce dossier à la fois comme « %(victim)s » et comme « %(author)s ».") % names
    if kind in AGAINST_THE_AUTHOR and victim:
        against = [InvolvementRole.VICTIM.value]
        if author:
            text = (
                both
                + " "
                + _(
                    "« %(kind)s » est une mesure prise contre l’auteur des faits : vérifiez qu’elle répond bien aux "
                    "actes de cet élève, et non au harcèlement subi."
                )
                % names
            )
        else:
            text = (
                _(
                    "%(person)s figure dans ce dossier comme « %(victim)s ». « %(kind)s » est une mesure prise "
                    "contre l’auteur des faits : enregistrée pour la victime, elle la sanctionnerait d’avoir subi le "
                    "harcèlement. Pour protéger cet élève, choisissez plutôt une mesure de protection."
                )
                % names
            )
    elif kind in FOR_THE_VICTIM and author:
        against = [InvolvementRole.ALLEGED_AUTHOR.value]
        if victim:
            text = (
                both
                + " "
                + _(
                    "Le « %(kind)s » protège la victime : vérifiez qu’il s’agit bien de protéger cet élève, et non "
                    "d’éloigner un auteur présumé."
                )
                % names
            )
        else:
            text = (
                _(
                    "%(person)s figure dans ce dossier comme « %(author)s ». Le « %(kind)s » protège la victime : "
                    "pour éloigner un auteur présumé, choisissez « Changement d’établissement de l’auteur »."
                )
                % names
            )
    else:
        return [], ""
    confirm = _("Pour l’enregistrer malgré tout, cochez « %(label)s ».") % {"label": CONFIRM_LABEL}
    return against, f"{text} {confirm}"


def measure_event_text(kind: str, compartment: str, person: Person | None) -> str:
    """The timeline line of a new measure. A judicial line never names anyone: it is read by those who
    read the judicial compartment only (the police on a shared case), and the people are core content."""
    label = MeasureKind(kind).label
    if compartment == Compartment.JUDICIAL:
        return _("Mesure judiciaire enregistrée : %(kind)s.") % {"kind": label}
    text = _("Mesure enregistrée : %(kind)s.") % {"kind": label}
    return f"{text} ({person})" if person is not None else text


def record_measure(
    *,
    case: Case,
    actor,
    category: str,
    kind: str,
    starts_on: date,
    person: Person | None = None,
    description: str = "",
    ends_on: date | None = None,
    review_on: date | None = None,
    status: str = Measure.Status.ACTIVE,
    receiving_school=None,
    confirmed: bool = False,
) -> Measure:
    """Add a measure to the register of a case. A protective measure in place stops the first-measure clock.
    A measure that goes against the pupil's role (:func:`role_conflict`) is refused with its warning
    unless ``confirmed``; confirmed, the journal keeps the roles it went against."""
    if not can_record_measure(actor, case, category):
        raise InterventionRefused(_("Vous ne pouvez pas enregistrer ce type de mesure sur ce dossier."))
    check_measure(
        category=category,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        review_on=review_on,
        receiving_school=receiving_school,
        has_pupil=person is not None,
    )
    check_within_case(case, starts_on)
    if status not in Measure.Status.values:
        raise InterventionRefused(_("Choisissez l’état de la mesure."))
    if person is not None and not can_read_interventions(actor, case):
        # The people of a case are core content: who does not read the core cannot pick one.
        raise InterventionRefused(_("Vous ne consultez pas les personnes de ce dossier : n’indiquez pas d’élève."))
    if person is not None and not is_involved(case, person, CONCERNED_ROLES):
        raise InterventionRefused(_("L’élève concerné doit être une personne du dossier."))
    against, warning = role_conflict(case, person, kind)
    if against and not confirmed:
        raise NeedsConfirmation(warning)
    compartment = compartment_of(category)
    with transaction.atomic():
        lock_case(case)
        measure = Measure.objects.create(
            case=case,
            category=category,
            kind=kind,
            compartment=compartment,
            person=person,
            description=description,
            receiving_school=receiving_school,
            status=status,
            starts_on=starts_on,
            ends_on=ends_on,
            review_on=review_on,
            created_by=actor,
        )
        first = category == MeasureCategory.PROTECTIVE and status in IN_PLACE and stop_first_measure_clock(case)
        event(case, actor, "measure", measure_event_text(kind, compartment, person), subject=compartment)
        audit(
            AuditAction.MEASURE_RECORDED,
            actor,
            case,
            measure=str(measure.public_id),
            category=category,
            kind=kind,
            compartment=compartment,
            first_protective_measure=bool(first),
            **({"confirmed_against_role": against} if against else {}),
        )
    return measure


def review_measure(
    *,
    measure: Measure,
    actor,
    effectiveness: str,
    review_note: str,
    status: str,
    next_review_on: date | None = None,
    now=None,
) -> Measure:
    """Record the review of a measure: how effective it was, the written review, its new state and,
    if it goes on, when to look at it again. Ending a measure without an end date dates it today."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not can_review_measure(actor, measure):
        raise InterventionRefused(_("Vous ne pouvez pas réexaminer cette mesure."))
    if effectiveness not in Measure.Effectiveness.values:
        raise InterventionRefused(_("Indiquez si la mesure a été efficace."))
    if status not in Measure.Status.values:
        raise InterventionRefused(_("Choisissez l’état de la mesure."))
    if not review_note.strip():
        raise InterventionRefused(_("Écrivez le bilan de la mesure."))
    if next_review_on is not None and next_review_on <= today:
        raise InterventionRefused(_("La prochaine date de réexamen doit être à venir."))
    with transaction.atomic():
        case = lock_case(measure.case)
        row = Measure.objects.select_for_update().get(pk=measure.pk)
        row.effectiveness = effectiveness
        row.review_note = review_note
        row.status = status
        row.reviewed_at = now
        row.reviewed_by = actor
        if next_review_on is not None:
            row.review_on = next_review_on
        if status == Measure.Status.ENDED and row.ends_on is None:
            row.ends_on = max(today, row.starts_on)
        row.save(
            update_fields=[
                "effectiveness",
                "review_note",
                "status",
                "reviewed_at",
                "reviewed_by",
                "review_on",
                "ends_on",
            ]
        )
        first = row.category == MeasureCategory.PROTECTIVE and status in IN_PLACE and stop_first_measure_clock(case)
        text = _("Bilan de la mesure « %(kind)s » : %(effectiveness)s ; %(status)s.") % {
            "kind": row.get_kind_display(),
            "effectiveness": row.get_effectiveness_display(),
            "status": row.get_status_display(),
        }
        event(case, actor, "measure_review", text, subject=row.compartment)
        audit(
            AuditAction.MEASURE_REVIEWED,
            actor,
            case,
            measure=str(row.public_id),
            effectiveness=effectiveness,
            status=status,
            compartment=row.compartment,
            first_protective_measure=bool(first),
        )
    measure.refresh_from_db()
    return measure


def due_for_review_filter(today: date) -> Q:
    """Measures under way whose review date has come and that nobody reviewed since that date."""
    return Q(status__in=UNDER_WAY, review_on__isnull=False, review_on__lte=today) & (
        Q(reviewed_at__isnull=True) | Q(reviewed_at__date__lt=F("review_on"))
    )


def is_due_for_review(measure: Measure, today: date) -> bool:
    """Same rule as :func:`due_for_review_filter`, for a row already loaded (the case page)."""
    if measure.status not in UNDER_WAY:
        return False
    if measure.review_on is None or measure.review_on > today:
        return False
    if measure.reviewed_at is None:
        return True
    return timezone.localdate(measure.reviewed_at) < measure.review_on


_CORE_CATEGORIES = [c for c in MeasureCategory.values if c != MeasureCategory.JUDICIAL]


def family_facing_measures(case: Case) -> QuerySet[Measure]:
    """The measures a family-facing output (letter, document, message) may draw from: core measures
    only. Judicial measures are never listed where a family could read them, whatever else is set."""
    return Measure.objects.filter(case=case, compartment=Compartment.CORE, category__in=_CORE_CATEGORIES)


__all__ = [
    "due_for_review_filter",
    "family_facing_measures",
    "is_due_for_review",
    "record_measure",
    "review_measure",
]
