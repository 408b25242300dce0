"""Support for the families, one per pupil: contacts with the family of a victim or of an alleged
author, whether its parents were informed — or why, in the child's interest, they were not — and the
judicial side's « ne pas informer » instruction on that family.

A family is that of one pupil of the case (a case with two alleged authors has two author families):
the pupil and the adults linked to them (``cases.Guardianship``). A contact where the family was told
of the situation, the measures and its rights records (or updates) « parents informés » for it.

« Ne pas informer » (:class:`~.models.FamilyRestriction`) is set with a reason by the magistrate or
the délégué du procureur, lifted explicitly, journaled in the judicial part of the timeline. It follows
the family into every other case where it appears, in neutral words there, and the family's guardians
themselves: a parent held through one child is held for every other child of hers
(:func:`guardian_holds`), and so is every child of the household those parents join
(``cases.guardians.households``). With the cell's child-interest exception it makes the holds on a family
(:func:`holds_on`): while one stands, recording the family as informed is refused, and so is a
convocation addressed to it (``documents.content.convocation``); an interview with a family under
« ne pas informer » is refused but to the judicial side (``interviews.refuse_if_family_held``); contacts
stay possible, under a warning.
``Case.do_not_disclose_to_family`` mirrors "some family is under it" for banners and letters.

A guardian shared by two families (Karim, Enzo's father, also recorded as « Autre » for Lucas, whose mother
is Nadia; « ne pas informer » on Enzo's family only) holds Lucas's family too, Nadia included: no
« famille informée » for it, no convocation to Nadia, no interview with the family. The rule is the
magistrate's aim — the person the instruction protects the investigation from must not learn of it — and
a household cannot be told in halves: Nadia, convoked or told about a situation where Lucas and Enzo are
cited together, would tell the adult she lives or deals with, and a link recorded as guardian is such an
adult, with or without parental authority. A mistaken block costs a delay the magistrate can end (lifting
the instruction); a mistaken letter cannot be taken back. The refusals and warnings name the reason, the
shared guardian (:attr:`FamilyHold.reason`, from :func:`explained`) — never a consigne on Lucas's family,
which has none — and, when the instruction is on another case, only in neutral words: the guardian, never
the other pupil nor the other case.
Family-facing outputs draw their measures from :func:`family_facing_measures` (never a judicial one).
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.interventions import (
    can_document_parents_exception,
    can_record_family_contact,
    can_set_family_restriction,
)
from halte.audit.models import Action as AuditAction
from halte.cases.enums import EventKind, PersonKind
from halte.cases.enums import Role as InvolvementRole
from halte.cases.guardians import households, pupils_of
from halte.cases.models import Case, Guardianship, Involvement, Person
from halte.core.french import of_name
from halte.directory.models import fold

from .common import (
    AlreadyDone,
    InterventionRefused,
    audit,
    case_url,
    check_not_future,
    check_within_case,
    event,
    is_involved,
    lock_case,
    lock_families,
)
from .measures import family_facing_measures
from .models import Family, FamilyContact, FamilyRestriction, ParentsInformation

FUTURE_CONTACT = gettext_lazy("La date du contact ne peut pas être dans le futur.")
EXCEPTION_NEEDS_REASON = gettext_lazy(
    "Expliquez pourquoi informer ces parents irait contre l’intérêt de l’enfant : sans motif, rien n’est enregistré."
)
RESTRICTED_INFORMED = gettext_lazy(
    "Consigne « ne pas informer » sur la famille %(of_pupil)s : vous ne pouvez pas enregistrer que cette famille "
    "a été informée tant que la consigne n’est pas levée."
)
RESTRICTION_NEEDS_REASON = gettext_lazy("Indiquez le motif : sans motif, rien n’est enregistré.")
# A standing instruction on another case follows the family here, in words that tell nothing of it:
# neither its reason nor the other case (the member may not read them).
ELSEWHERE_INFORMED = gettext_lazy(
    "Consigne sur la famille %(of_pupil)s : ne pas contacter cette famille tant que cette consigne n’est pas levée. "
    "Vous ne pouvez pas enregistrer qu’elle a été informée."
)
CHILD_INTEREST_INFORMED = gettext_lazy(
    "La coordination a décidé de ne pas informer les parents %(of_pupil)s (intérêt de l’enfant) : vous ne pouvez "
    "pas enregistrer que cette famille a été informée tant que cette décision n’est pas levée."
)
RESTRICTED_CONVOCATION = gettext_lazy(
    "Consigne « ne pas informer » sur la famille %(of_pupil)s : aucune convocation ne peut lui être "
    "adressée tant que la consigne n’est pas levée."
)
ELSEWHERE_CONVOCATION = gettext_lazy(
    "Consigne sur la famille %(of_pupil)s : ne pas contacter cette famille tant que cette consigne n’est pas levée. "
    "Aucune convocation ne peut lui être adressée."
)
CHILD_INTEREST_CONVOCATION = gettext_lazy(
    "La coordination a décidé de ne pas informer les parents %(of_pupil)s (intérêt de l’enfant) : aucune "
    "convocation ne peut leur être adressée tant que cette décision n’est pas levée."
)
RESTRICTED_INTERVIEW = gettext_lazy(
    "Consigne « ne pas informer » sur la famille %(of_pupil)s : un entretien avec cette famille ne peut pas "
    "être enregistré tant que la consigne n’est pas levée (seuls le magistrat et le délégué du procureur le "
    "peuvent)."
)
ELSEWHERE_INTERVIEW = gettext_lazy(
    "Consigne sur la famille %(of_pupil)s : ne pas contacter cette famille tant que cette consigne n’est pas levée. "
    "Un entretien avec cette famille ne peut pas être enregistré."
)

# A family held through a guardian it shares with a held family: the refusal names that guardian, not a
# consigne on this family (there is none). On another case, neutral words: neither the other pupil nor
# the other case.
VIA_REASONS = {
    "restriction": gettext_lazy(
        "Consigne « ne pas informer » sur la famille %(of_source)s : elle concerne aussi %(guardian)s, "
        "%(title)s %(of_pupil)s"
    ),
    "elsewhere": gettext_lazy(
        "Consigne concernant %(guardian)s, %(title)s %(of_pupil)s : ne pas contacter cette famille tant que "
        "cette consigne n’est pas levée"
    ),
    "child_interest": gettext_lazy(
        "La coordination a décidé de ne pas informer les parents %(of_source)s (intérêt de l’enfant) : cette "
        "décision concerne aussi %(guardian)s, %(title)s %(of_pupil)s"
    ),
}
VIA_INFORMED = {
    "restriction": gettext_lazy(
        "Vous ne pouvez pas enregistrer que la famille %(of_pupil)s a été informée tant que la consigne n’est "
        "pas levée."
    ),
    "elsewhere": gettext_lazy("Vous ne pouvez pas enregistrer qu’elle a été informée."),
    "child_interest": gettext_lazy(
        "Vous ne pouvez pas enregistrer que la famille %(of_pupil)s a été informée tant que cette décision "
        "n’est pas levée."
    ),
}
VIA_CONVOCATION = {
    "restriction": gettext_lazy(
        "Aucune convocation ne peut être adressée à la famille %(of_pupil)s tant que la consigne n’est pas levée."
    ),
    "elsewhere": gettext_lazy("Aucune convocation ne peut lui être adressée."),
    "child_interest": gettext_lazy(
        "Aucune convocation ne peut être adressée à la famille %(of_pupil)s tant que cette décision n’est pas levée."
    ),
}
VIA_INTERVIEW = {
    "restriction": gettext_lazy(
        "Un entretien avec cette famille ne peut pas être enregistré tant que la consigne n’est pas levée (seuls "
        "le magistrat et le délégué du procureur le peuvent)."
    ),
    "elsewhere": gettext_lazy("Un entretien avec cette famille ne peut pas être enregistré."),
}

FAMILY_ROLES = (InvolvementRole.VICTIM, InvolvementRole.ALLEGED_AUTHOR)


@dataclass(frozen=True)
class FamilyOf:
    """One family of the case: that of ``pupil``, on the victim's or the alleged author's side."""

    pupil: Person
    side: str

    @property
    def label(self) -> str:
        if self.side == Family.VICTIM:
            return _("Famille %(of_name)s (victime)") % {"of_name": of_name(self.pupil)}
        return _("Famille %(of_name)s (auteur présumé)") % {"of_name": of_name(self.pupil)}


def families_of(case: Case) -> list[FamilyOf]:
    """The families of the case: one per pupil involved as victim or alleged author, victims first,
    in the order they were added (one query)."""
    found: dict[int, FamilyOf] = {}
    rows = (
        Involvement.objects.filter(case=case, role__in=FAMILY_ROLES, person__kind=PersonKind.PUPIL)
        .select_related("person", "person__school")
        .order_by("added_at", "id")
    )
    ordered = sorted(rows, key=lambda row: 0 if row.role == InvolvementRole.VICTIM else 1)
    for row in ordered:
        side = Family.VICTIM if row.role == InvolvementRole.VICTIM else Family.AUTHOR
        found.setdefault(row.person_id, FamilyOf(pupil=row.person, side=side))
    return list(found.values())


def family_of(case: Case, pupil: Person) -> FamilyOf | None:
    return next((family for family in families_of(case) if family.pupil.pk == pupil.pk), None)


def active_restrictions(case: Case) -> list[FamilyRestriction]:
    """The standing « ne pas informer » instructions of the case (one query)."""
    return list(
        FamilyRestriction.objects.filter(case=case, lifted_at__isnull=True)
        .select_related("pupil", "set_by__user")
        .order_by("set_at", "id")
    )


def restriction_for(case: Case, pupil: Person) -> FamilyRestriction | None:
    """The instruction that covers this pupil's family: its own first, or one covering every family."""
    rows = FamilyRestriction.objects.filter(case=case, lifted_at__isnull=True).filter(
        Q(pupil=pupil) | Q(pupil__isnull=True)
    )
    return rows.order_by(F("pupil_id").asc(nulls_last=True)).first()


def is_restricted(case: Case, pupil: Person) -> bool:
    return restriction_for(case, pupil) is not None


def covered(restrictions: list[FamilyRestriction], pupil: Person) -> FamilyRestriction | None:
    """Among the standing instructions already read, the one covering ``pupil``'s family."""
    for row in restrictions:
        if row.pupil_id == pupil.pk:
            return row
    return next((row for row in restrictions if row.pupil_id is None), None)


# --- What holds back contacting a family ----------------------------------------------------------


class Hold:
    """Why a family of the case may not be told, strongest first."""

    RESTRICTION = "restriction"  # « ne pas informer » on this case (judicial side)
    ELSEWHERE = "elsewhere"  # « ne pas informer » on another case, following the family here
    CHILD_INTEREST = "child_interest"  # the cell's documented exception on this case


@dataclass(frozen=True)
class FamilyHold:
    """The hold on ``pupil``'s family (or, for a guardian held on her own, on ``pupil`` that guardian).
    ``through``: the id of the relative whose family carries the hold, when it is not the pupil's own —
    then :func:`explained` names ``guardian``, the pupil's guardian who joins the two households, and
    ``source``, that relative (never shown for an instruction on another case)."""

    pupil: Person
    kind: str
    through: int | None = None
    guardian: Person | None = None
    source: Person | None = None
    feminine: bool = False  # the guardian is the pupil's mother: « représentante légale »

    @property
    def reason(self) -> str:
        """Why the family is held when it is through a shared guardian, in words the member may read;
        empty when the hold is the family's own."""
        if self.guardian is None:
            return ""
        title = _("représentante légale") if self.feminine else _("représentant légal")
        names = {
            "of_pupil": of_name(self.pupil),
            "guardian": self.guardian,
            "of_source": of_name(self.source) if self.source is not None else "",
            "title": title,
        }
        return str(VIA_REASONS[self.kind]) % names


def _restricted_pupils_elsewhere(case: Case):
    """The pupils whose family is under a standing instruction on a case other than ``case``: named by
    it, or of a family the case-wide instruction of that case covers (a subquery)."""
    standing = FamilyRestriction.objects.filter(lifted_at__isnull=True).exclude(case=case)
    named = standing.filter(pupil__isnull=False).values("pupil_id")
    whole = Involvement.objects.filter(
        case__in=standing.filter(pupil__isnull=True).values("case_id"),
        role__in=FAMILY_ROLES,
        person__kind=PersonKind.PUPIL,
    ).values("person_id")
    return Person.objects.filter(Q(pk__in=named) | Q(pk__in=whole)).values("pk")


def _restricted_elsewhere(case: Case, reach: dict[int, set[int]]) -> set[int]:
    """Among everyone of these households, the pupils under a standing instruction on another case (one
    query)."""
    everyone = {pk for found in reach.values() for pk in found}
    return set(
        Person.objects.filter(pk__in=everyone)
        .filter(pk__in=_restricted_pupils_elsewhere(case))
        .values_list("pk", flat=True)
    )


def held_elsewhere(case: Case, pupils, reach: dict[int, set[int]] | None = None) -> set[int]:
    """Among ``pupils``, those whose family is under « ne pas informer » on another case — the pupil
    themself, or a child of their household (``cases.guardians.households``: the same parents are
    reached either way). Two queries, whatever the other cases are (one when ``reach`` is given); it
    never says which."""
    ids = [pupil.pk for pupil in pupils]
    if not ids:
        return set()
    reach = reach if reach is not None else households(ids)
    restricted = _restricted_elsewhere(case, reach)
    return {pupil for pupil in ids if reach.get(pupil, {pupil}) & restricted}


STRENGTH = (Hold.RESTRICTION, Hold.ELSEWHERE, Hold.CHILD_INTEREST)


def _strongest(kinds) -> str | None:
    kinds = set(kinds)
    return next((kind for kind in STRENGTH if kind in kinds), None)


def holds_on(case: Case, pupils) -> dict[int, FamilyHold]:
    """What holds back contacting each pupil's family on this case, the strongest hold per pupil: this
    case's « ne pas informer », one on another case, or the cell's child-interest exception — on the
    pupil's family, or on that of any child of the pupil's household (the children joined to them
    through shared guardians, however many links away: a parent is the same parent whichever child the
    contact is about). A fixed number of queries, whatever the number of pupils or the length of the
    chain."""
    pupils = list(pupils)
    ids = [pupil.pk for pupil in pupils]
    if not ids:
        return {}
    reach = households(ids)
    restrictions = active_restrictions(case)
    restricted_elsewhere = _restricted_elsewhere(case, reach)
    relatives = {pk: reach.get(pk, {pk}) - {pk} for pk in ids}
    concerned = set(ids) | {pk for found in relatives.values() for pk in found}
    exceptions = set(
        ParentsInformation.objects.filter(
            case=case, pupil__in=concerned, status=ParentsInformation.Status.EXCEPTION
        ).values_list("pupil_id", flat=True)
    )
    named = {row.pupil_id for row in restrictions if row.pupil_id is not None}
    whole_case = any(row.pupil_id is None for row in restrictions)
    # A case-wide instruction covers the families of this case: a relative's only if they are one of them.
    families_here = (
        set(
            Involvement.objects.filter(case=case, role__in=FAMILY_ROLES, person__in=concerned - set(ids)).values_list(
                "person_id", flat=True
            )
        )
        if whole_case
        else set()
    )

    def own(pk: int, passed: bool) -> list[str]:
        kinds = []
        if pk in named or (whole_case and (passed or pk in families_here)):
            kinds.append(Hold.RESTRICTION)
        if pk in exceptions:
            kinds.append(Hold.CHILD_INTEREST)
        if pk in restricted_elsewhere:
            kinds.append(Hold.ELSEWHERE)
        return kinds

    found: dict[int, FamilyHold] = {}
    for pupil in pupils:
        # (kind, the relative it comes through or None): the pupil's own first, so that a hold of the same
        # strength is told as the family's own.
        candidates = [(kind, None) for kind in own(pupil.pk, True)]
        for relative in sorted(relatives[pupil.pk]):
            candidates.extend((kind, relative) for kind in own(relative, False))
        kind = _strongest(kind for kind, _through in candidates)
        if kind is not None:
            through = next(relative for candidate, relative in candidates if candidate == kind)
            found[pupil.pk] = FamilyHold(pupil, kind, through)
    return found


def explained(holds: dict[int, FamilyHold]) -> dict[int, FamilyHold]:
    """The same holds, each held through a relative completed with the guardian of the pupil who joins
    the two households (the first on the shortest path of guardian links) and that relative. Two queries
    when some hold comes through a relative, none otherwise."""
    pending = {pk: hold for pk, hold in holds.items() if hold.through is not None and hold.guardian is None}
    if not pending:
        return holds
    members = {pk for found in households(pending).values() for pk in found}
    neighbours: dict[int, set[int]] = {}
    people: dict[int, Person] = {}
    mothers: set[tuple[int, int]] = set()
    for row in Guardianship.objects.filter(child__in=members).select_related("child", "guardian"):
        if row.relationship == Guardianship.Relationship.MOTHER:
            mothers.add((row.child_id, row.guardian_id))
        neighbours.setdefault(row.child_id, set()).add(row.guardian_id)
        neighbours.setdefault(row.guardian_id, set()).add(row.child_id)
        people[row.child_id], people[row.guardian_id] = row.child, row.guardian
    found = dict(holds)
    for pk, hold in pending.items():
        source = hold.through
        path = _shortest_path(neighbours, pk, source) if source is not None else None
        if source is None or path is None or len(path) < 3:
            continue
        found[pk] = FamilyHold(hold.pupil, hold.kind, source, people[path[1]], people[source], (pk, path[1]) in mothers)
    return found


def _shortest_path(neighbours: dict[int, set[int]], start: int, goal: int) -> list[int] | None:
    """The shortest chain of guardian links from ``start`` to ``goal`` (ids, both ends included)."""
    previous: dict[int, int | None] = {start: None}
    queue = [start]
    for node in queue:
        if node == goal:
            path = [node]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for other in sorted(neighbours.get(node, ())):
            if other not in previous:
                previous[other] = node
                queue.append(other)
    return None


def family_hold(case: Case, pupil: Person) -> FamilyHold | None:
    """The hold on this pupil's family on this case, explained (:func:`explained`), or None."""
    return explained(holds_on(case, [pupil])).get(pupil.pk)


def guardian_holds(case: Case, guardians) -> dict[int, FamilyHold]:
    """Among these adults, those held back on this case: a guardian is held when the family of any
    child she is the guardian of (on any case) is held. The hold names her child on this case, or —
    when the child is on no pupil of it — herself, so that nothing tells of another case."""
    guardians = {person.pk: person for person in guardians if person.kind != PersonKind.PUPIL}
    links = list(Guardianship.objects.filter(guardian__in=list(guardians)).select_related("child"))
    if not links:
        return {}
    holds = holds_on(case, {link.child_id: link.child for link in links}.values())
    here = set(
        Involvement.objects.filter(case=case, person__in=[link.child_id for link in links]).values_list(
            "person_id", flat=True
        )
    )
    found: dict[int, FamilyHold] = {}
    for link in links:
        hold = holds.get(link.child_id)
        if hold is None:
            continue
        named = link.child if link.child_id in here else guardians[link.guardian_id]
        current = found.get(link.guardian_id)
        if current is None or STRENGTH.index(hold.kind) < STRENGTH.index(current.kind):
            found[link.guardian_id] = FamilyHold(named, hold.kind)
    return found


def person_hold(case: Case, person: Person) -> FamilyHold | None:
    """The hold on the person contacted herself: a pupil's family's, or a guardian's (``guardian_holds``)."""
    if person.kind == PersonKind.PUPIL:
        return holds_on(case, [person]).get(person.pk)
    return guardian_holds(case, [person]).get(person.pk)


def hold_for(case: Case, pupil: Person) -> str | None:
    """The kind of hold on this pupil's family on this case, or None."""
    hold = holds_on(case, [pupil]).get(pupil.pk)
    return hold.kind if hold is not None else None


@dataclass(frozen=True)
class CaseHolds:
    """What holds back the families of a case, as the refusals apply it: ``by_family`` the hold on each
    family (by pupil id, :func:`holds_on`); ``guardians`` the holds on the case's guardians that no
    family of the case carries — a guardian linked to none of its pupils' families, held through a child
    of hers elsewhere (:func:`guardian_holds`, named by herself, never the other child)."""

    by_family: dict[int, FamilyHold]
    guardians: list[FamilyHold]

    def listed(self) -> list[FamilyHold]:
        return [*self.by_family.values(), *self.guardians]


def holds_of_case(case: Case, family_list: list[FamilyOf] | None = None) -> CaseHolds:
    """The holds on every family and guardian of the case: the one source the case page's families block,
    the contact, interview and convocation pages draw their warnings from. A guardian linked to a family
    of the case is that family's household: its hold is the family's. A fixed number of queries."""
    family_list = families_of(case) if family_list is None else family_list
    pupils = [family.pupil for family in family_list]
    by_family = explained(holds_on(case, pupils))
    guardians = {
        row.person_id: row.person
        for row in Involvement.objects.filter(
            case=case, role=InvolvementRole.GUARDIAN, person__kind=PersonKind.ADULT
        ).select_related("person")
    }
    linked = set(
        Guardianship.objects.filter(guardian__in=list(guardians), child__in=pupils).values_list(
            "guardian_id", flat=True
        )
    )
    others = guardian_holds(case, [person for pk, person in guardians.items() if pk not in linked])
    return CaseHolds(by_family=by_family, guardians=list(others.values()))


def case_holds(case: Case) -> list[FamilyHold]:
    """The holds on the families of the case and on its guardians, for the warnings of the pages where
    one may contact them."""
    return holds_of_case(case).listed()


def beyond(restrictions: list[FamilyRestriction], holds: list[FamilyHold]) -> list[FamilyHold]:
    """Among ``holds``, those the list of this case's standing instructions does not already show: a
    family held through a relative's instruction, an instruction elsewhere, the cell's exception."""
    return [
        hold
        for hold in holds
        if hold.kind != Hold.RESTRICTION
        or hold.pupil.kind != PersonKind.PUPIL
        or covered(restrictions, hold.pupil) is None
    ]


INFORMED_REFUSALS = {
    Hold.RESTRICTION: RESTRICTED_INFORMED,
    Hold.ELSEWHERE: ELSEWHERE_INFORMED,
    Hold.CHILD_INTEREST: CHILD_INTEREST_INFORMED,
}
CONVOCATION_REFUSALS = {
    Hold.RESTRICTION: RESTRICTED_CONVOCATION,
    Hold.ELSEWHERE: ELSEWHERE_CONVOCATION,
    Hold.CHILD_INTEREST: CHILD_INTEREST_CONVOCATION,
}
# An interview with the family is refused under « ne pas informer », here or elsewhere; the cell's own
# exception leaves it to the cell (it decided, it knows why).
INTERVIEW_REFUSALS = {Hold.RESTRICTION: RESTRICTED_INTERVIEW, Hold.ELSEWHERE: ELSEWHERE_INTERVIEW}
_VIA = {
    id(INFORMED_REFUSALS): VIA_INFORMED,
    id(CONVOCATION_REFUSALS): VIA_CONVOCATION,
    id(INTERVIEW_REFUSALS): VIA_INTERVIEW,
}


def refusal(refusals: dict, hold: FamilyHold) -> str:
    """The words of a refusal (``INFORMED_REFUSALS``, ``CONVOCATION_REFUSALS``, ``INTERVIEW_REFUSALS``) for
    this hold: held through a shared guardian (:func:`explained`), the guardian and why; else the
    family's own hold."""
    if hold.guardian is not None:
        return f"{hold.reason}. {_VIA[id(refusals)][hold.kind] % {'of_pupil': of_name(hold.pupil)}}"
    return str(refusals[hold.kind]) % {"of_pupil": of_name(hold.pupil)}


def convocation_refusal(case: Case, pupil: Person, recipient: Person | None = None) -> str | None:
    """Why no convocation may be addressed to this pupil's family, or to this guardian of it, or None.

    A family held through a guardian it shares with a held family (Lucas's mother Nadia, while Lucas's
    other guardian Karim is Enzo's father, under « ne pas informer ») is refused too, naming Karim: see
    the module's docstring."""
    hold = family_hold(case, pupil)
    if hold is None and recipient is not None:
        hold = person_hold(case, recipient)
    return refusal(CONVOCATION_REFUSALS, hold) if hold else None


def _family_or_refuse(case: Case, pupil: Person | None) -> FamilyOf:
    family = family_of(case, pupil) if pupil is not None else None
    if family is None:
        raise InterventionRefused(_("Choisissez la famille : celle d’un élève victime ou auteur présumé du dossier."))
    return family


# --- Free text that names a held family -------------------------------------------------------------

# Words that, followed by « de » and a pupil's first name, speak of that pupil's family (« le père
# d’Enzo », « la mère de Lucas »), and the civilities before a surname (« M. Lefèvre »).
FAMILY_WORDS = frozenset(
    [
        "pere",
        "mere",
        "parent",
        "parents",
        "famille",
        "papa",
        "maman",
        "tuteur",
        "tutrice",
        "representant",
        "representante",
        "representants",
        "responsable",
        "responsables",
    ]
)
OF = frozenset(("de", "d", "du"))
FAMILY = "famille"
CIVILITIES = frozenset(("m", "mr", "monsieur", "mme", "madame", "mlle", "mademoiselle"))
_NOT_A_LETTER = re.compile(r"[^\w]+")

MENTIONS_WARNING = gettext_lazy(
    "Le texte nomme %(names)s, d’une famille qui ne doit pas être contactée pour l’instant (consigne sur "
    "cette famille). S’il rapporte un contact avec elle ou son information, n’enregistrez pas et voyez "
    "d’abord la section « Familles » du dossier. Cochez la case de confirmation si ce n’est pas le cas."
)
HELD_CONTACT_WARNING = gettext_lazy(
    "%(family)s : %(hold)s. Un contact avec cette famille ne doit rien lui apprendre de la situation. Cochez la "
    "case de confirmation pour l’enregistrer : la confirmation est conservée dans le journal."
)
HOLD_WORDS = {
    "restriction": gettext_lazy("consigne « ne pas informer »"),
    "elsewhere": gettext_lazy("ne pas contacter cette famille tant que cette consigne n’est pas levée"),
    "child_interest": gettext_lazy("parents non informés (intérêt de l’enfant), sur décision de la cellule"),
}


@dataclass(frozen=True)
class Mention:
    """A held family named in a text: ``person`` is who the text names — a held guardian, or the pupil
    whose family it speaks of — and ``hold`` the hold it falls under."""

    person: Person
    hold: FamilyHold

    @property
    def label(self) -> str:
        if self.person.kind == PersonKind.PUPIL:
            return _("la famille %(of_pupil)s") % {"of_pupil": of_name(self.person)}
        return str(self.person)


def _words(text: str) -> list[str]:
    return [token for token in _NOT_A_LETTER.split(fold(text or "")) if token]


def _at(tokens: list[str], index: int, wanted: list[str]) -> bool:
    return bool(wanted) and tokens[index : index + len(wanted)] == wanted


def held_mentions(case: Case, *texts: str) -> list[Mention]:
    """The held families a free text of this case names (notes of who was present, a summary, a
    decision): a guardian of a held family by first and last name (either order) or by civility and
    last name (« M. Lefèvre »), the family of a held pupil by a family word (« le père d’Enzo », « la
    famille Lefèvre »). Names are compared folded, as ``cases.people`` compares them. In the order the text
    names them, once each; a fixed number of queries."""
    text_tokens = [_words(text) for text in texts if text and text.strip()]
    if not text_tokens:
        return []
    holds = holds_of_case(case)
    if not holds.by_family and not holds.guardians:
        return []
    pupils = {hold.pupil.pk: hold for hold in holds.by_family.values()}
    guardians: dict[int, tuple[Person, FamilyHold]] = {
        hold.pupil.pk: (hold.pupil, hold) for hold in holds.guardians if hold.pupil.kind != PersonKind.PUPIL
    }
    for row in Guardianship.objects.filter(child__in=list(pupils)).select_related("guardian").order_by("id"):
        current = guardians.get(row.guardian_id)
        hold = pupils[row.child_id]
        if current is None or STRENGTH.index(hold.kind) < STRENGTH.index(current[1].kind):
            guardians[row.guardian_id] = (row.guardian, hold)
    found: dict[int, tuple[tuple[int, int], Mention]] = {}

    def seen(where: tuple[int, int], person: Person, hold: FamilyHold) -> None:
        if person.pk not in found or where < found[person.pk][0]:
            found[person.pk] = (where, Mention(person, hold))

    for number, tokens in enumerate(text_tokens):
        for index, token in enumerate(tokens):
            for person, hold in guardians.values():
                first, last = _words(person.first_name), _words(person.last_name)
                if (
                    _at(tokens, index, first + last)
                    or _at(tokens, index, last + first)
                    or (token in CIVILITIES and _at(tokens, index + 1, last))
                ):
                    seen((number, index), person, hold)
            for hold in pupils.values():
                first, last = _words(hold.pupil.first_name), _words(hold.pupil.last_name)
                if token in FAMILY_WORDS and (
                    (index + 1 < len(tokens) and tokens[index + 1] in OF and _at(tokens, index + 2, first))
                    or (token == FAMILY and _at(tokens, index + 1, last))
                ):
                    seen((number, index), hold.pupil, hold)
    return [mention for _where, mention in sorted(found.values(), key=lambda pair: pair[0])]


def mentions_warning(mentions: list[Mention]) -> str:
    """The warning asking to confirm a text that names held families (:func:`held_mentions`)."""
    return str(MENTIONS_WARNING) % {"names": ", ".join(mention.label for mention in mentions)}


def held_contact_warning(hold: FamilyHold) -> str:
    """The warning asking to confirm a contact with a held family (or a held guardian)."""
    if hold.pupil.kind == PersonKind.PUPIL:
        family = _("Famille %(of_pupil)s") % {"of_pupil": of_name(hold.pupil)}
    else:
        family = str(hold.pupil)
    return str(HELD_CONTACT_WARNING) % {"family": family, "hold": hold.reason or HOLD_WORDS[hold.kind]}


# --- Contacts and parents' information -------------------------------------------------------------


def record_family_contact(
    *,
    case: Case,
    actor,
    pupil: Person | None,
    at: datetime,
    channel: str,
    made_by,
    summary: str,
    person: Person | None = None,
    informed_of_situation: bool = False,
    hold_confirmed: bool = False,
) -> FamilyContact:
    """Record a contact with a pupil's family. Ticking « informed » records that these parents are
    informed — refused while « ne pas informer » stands on that family. A contact with a held family (or
    a held guardian), or whose summary names one (:func:`held_mentions`), stays possible — the family may
    call — once ``hold_confirmed`` says it told them nothing; the journal keeps the hold and the
    confirmation."""
    if not can_record_family_contact(actor, case):
        raise InterventionRefused(_("Vous ne pouvez pas enregistrer de contact avec les familles sur ce dossier."))
    family = _family_or_refuse(case, pupil)
    if channel not in FamilyContact.Channel.values:
        raise InterventionRefused(_("Choisissez le moyen de contact."))
    if not summary.strip():
        raise InterventionRefused(_("Résumez l’échange."))
    if person is not None and not is_involved(case, person):
        raise InterventionRefused(_("La personne contactée doit être une personne du dossier."))
    if person is not None and not _of_family(case, family.pupil, person):
        raise InterventionRefused(
            _(
                "La personne contactée n’est pas de la famille %(of_pupil)s : choisissez l’élève ou l’un de "
                "ses représentants légaux."
            )
            % {"of_pupil": of_name(family.pupil)}
        )
    check_not_future(at, str(FUTURE_CONTACT))
    check_within_case(case, at)
    with transaction.atomic():
        lock_families(case, [family.pupil, person])
        # Checked under the locks of the case and of the households: an instruction, an exception or a
        # guardian link written meanwhile, on this case or another, is seen (they take the same locks).
        # The family's hold, then the person's own: a parent held through another child of hers.
        held = family_hold(case, family.pupil) if informed_of_situation else None
        if held is not None:
            raise InterventionRefused(refusal(INFORMED_REFUSALS, held))
        through = person_hold(case, person) if informed_of_situation and person is not None else None
        if through is not None:
            raise InterventionRefused(refusal(INFORMED_REFUSALS, through))
        hold = family_hold(case, family.pupil) or (person_hold(case, person) if person is not None else None)
        mentions = held_mentions(case, summary)
        if hold is not None and not hold_confirmed:
            raise InterventionRefused(held_contact_warning(hold))
        if mentions and not hold_confirmed:
            raise InterventionRefused(mentions_warning(mentions))
        contact = FamilyContact.objects.create(
            case=case,
            family=family.side,
            pupil=family.pupil,
            person=person,
            at=at,
            channel=channel,
            made_by=made_by,
            summary=summary,
            informed_of_situation=informed_of_situation,
        )
        text = _("Contact avec la famille %(of_pupil)s (%(channel)s).") % {
            "of_pupil": of_name(family.pupil),
            "channel": contact.get_channel_display().lower(),
        }
        event(case, actor, "family_contact", text)
        audit(
            AuditAction.FAMILY_CONTACT_RECORDED,
            actor,
            case,
            contact=str(contact.public_id),
            family=family.side,
            pupil=str(family.pupil.public_id),
            channel=channel,
            informed=informed_of_situation,
            **confirmed_detail(hold, mentions),
        )
        if informed_of_situation:
            _mark_informed(case=case, actor=actor, family=family, at=at)
    return contact


def confirmed_detail(hold: FamilyHold | None, mentions: list[Mention]) -> dict:
    """What the journal keeps of a write confirmed despite a hold: its kind, the people the text named."""
    if hold is None and not mentions:
        return {}
    detail: dict = {"hold_confirmed": True}
    if hold is not None:
        detail["hold"] = hold.kind
    if mentions:
        detail["named"] = [str(mention.person.public_id) for mention in mentions]
    return detail


def _of_family(case: Case, pupil: Person, person: Person) -> bool:
    """The person contacted belongs to the pupil's family: the pupil, one of the pupil's guardians, or
    an adult of the case linked to no pupil of it (a guardian recorded before the links existed). A
    parent linked to another pupil is that pupil's family — under its own « ne pas informer » maybe."""
    if person.pk == pupil.pk:
        return True
    wards = set(Guardianship.objects.filter(guardian=person).values_list("child_id", flat=True))
    if pupil.pk in wards:
        return True
    if person.kind == PersonKind.PUPIL:
        return False
    return not wards & {other.pk for other in pupils_of(case)}


def _mark_informed(*, case: Case, actor, family: FamilyOf, at: datetime) -> None:
    row = ParentsInformation.objects.select_for_update().filter(case=case, pupil=family.pupil).first()
    earlier = row.informed_at if row is not None and row.status == ParentsInformation.Status.INFORMED else None
    if earlier is not None and earlier <= at:
        return  # informed already, earlier: nothing changes
    ParentsInformation.objects.update_or_create(
        case=case,
        pupil=family.pupil,
        defaults={
            "family": family.side,
            "status": ParentsInformation.Status.INFORMED,
            "informed_at": at,
            "reason": "",
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    text = _("Parents informés : famille %(of_pupil)s.") % {"of_pupil": of_name(family.pupil)}
    _parents_information_changed(case, actor, family, text, status="informed")


def _parents_information_changed(case: Case, actor, family: FamilyOf, text: str, *, status: str) -> None:
    """The timeline line and the journal row of a change of a family's parents' information (informed,
    the cell's exception, its lifting), written in the caller's transaction."""
    event(case, actor, "parents_information", text)
    audit(
        AuditAction.PARENTS_INFORMATION_CHANGED,
        actor,
        case,
        family=family.side,
        pupil=str(family.pupil.public_id),
        status=status,
    )


def _exception_family(case: Case, actor, pupil: Person | None, reason: str, needs_reason) -> FamilyOf:
    """The family the cell's exception is about, once the actor may decide it and gave a reason."""
    if not can_document_parents_exception(actor, case):
        raise InterventionRefused(_("Vous ne pouvez pas documenter cette décision sur ce dossier."))
    family = _family_or_refuse(case, pupil)
    if not reason.strip():
        raise InterventionRefused(str(needs_reason))
    return family


def document_exception(*, case: Case, actor, pupil: Person | None, reason: str) -> ParentsInformation:
    """These parents are not informed: it would go against the child's interest. The reason is required.

    Parents already informed keep the date they were told (``informed_at``): the decision is about what
    comes next — no « informée », no convocation — and the past contact stays true in the status, the
    case page and the documents; lifting the decision gives back « informés le »."""
    family = _exception_family(case, actor, pupil, reason, EXCEPTION_NEEDS_REASON)
    with transaction.atomic():
        lock_families(case, [family.pupil])
        # ``informed_at`` is left out of the defaults: a date already recorded stays, a new row has none.
        row, _created = ParentsInformation.objects.update_or_create(
            case=case,
            pupil=family.pupil,
            defaults={
                "family": family.side,
                "status": ParentsInformation.Status.EXCEPTION,
                "reason": reason,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        if row.informed_at is not None:
            text = _(
                "Parents %(of_pupil)s informés le %(day)s : la cellule décide de ne plus les informer, contraire "
                "à l’intérêt de l’enfant, motif consigné."
            ) % {"of_pupil": of_name(family.pupil), "day": timezone.localtime(row.informed_at).strftime("%d/%m/%Y")}
        else:
            text = _(
                "Parents non informés (famille %(of_pupil)s) : contraire à l’intérêt de l’enfant, motif consigné."
            ) % {"of_pupil": of_name(family.pupil)}
        _parents_information_changed(case, actor, family, text, status="exception")
    return row


def _who_and_when(membership, at) -> dict[str, str]:
    return {
        "who": membership.user.get_full_name() if membership is not None else _("un autre membre"),
        "date": timezone.localtime(at).strftime("%d/%m/%Y à %H:%M") if at else "—",
    }


def restriction_already_lifted(restriction: FamilyRestriction) -> str:
    return _("Consigne déjà levée par %(who)s le %(date)s : rien n’a été enregistré.") % _who_and_when(
        restriction.lifted_by, restriction.lifted_at
    )


def exception_already_lifted(case: Case, pupil: Person) -> str | None:
    """Who lifted the cell's decision about this pupil's parents, and when (the journal keeps it: the
    lifted row itself is gone or back to « informés »); None when it never was."""
    from halte.audit.models import AuditEvent

    lifted = (
        AuditEvent.objects.filter(
            action=AuditAction.PARENTS_INFORMATION_CHANGED,
            target_id=str(case.public_id),
            detail__pupil=str(pupil.public_id),
            detail__status="exception_lifted",
        )
        .select_related("membership__user")
        .order_by("-at", "-pk")
        .first()
    )
    if lifted is None:
        return None
    return _("Décision déjà levée par %(who)s le %(date)s : rien n’a été enregistré.") % _who_and_when(
        lifted.membership, lifted.at
    )


def lift_exception(*, case: Case, actor, pupil: Person | None, reason: str) -> None:
    """The cell lifts its decision not to inform these parents (the danger has passed): the family may be
    convoked and recorded as informed again. Explicit, with a reason, journaled like the decision."""
    family = _exception_family(case, actor, pupil, reason, RESTRICTION_NEEDS_REASON)
    with transaction.atomic():
        lock_case(case)
        standing = ParentsInformation.objects.filter(
            case=case, pupil=family.pupil, status=ParentsInformation.Status.EXCEPTION
        )
        # Parents informed before the decision are informed again, as of that date; others, as before it.
        restored = standing.filter(informed_at__isnull=False).update(
            status=ParentsInformation.Status.INFORMED, reason="", recorded_by=actor, recorded_at=timezone.now()
        )
        removed, _rows = standing.filter(informed_at__isnull=True).delete()
        if not restored and not removed:
            already = exception_already_lifted(case, family.pupil)
            if already:
                raise AlreadyDone(already)
            raise InterventionRefused(_("Aucune décision de ne pas informer ces parents n’est en cours."))
        text = _("Décision de ne pas informer les parents levée (famille %(of_pupil)s) — %(reason)s") % {
            "of_pupil": of_name(family.pupil),
            "reason": reason.strip(),
        }
        _parents_information_changed(case, actor, family, text, status="exception_lifted")


# --- « Ne pas informer » ----------------------------------------------------------------------------


def _mirror_flag(case: Case) -> None:
    standing = FamilyRestriction.objects.filter(case=case, lifted_at__isnull=True).exists()
    Case.objects.filter(pk=case.pk).update(do_not_disclose_to_family=standing)
    case.do_not_disclose_to_family = standing


def _tell_lead(case: Case, actor, title: str) -> None:
    """The case's lead learns that the instruction changed — a title with the reference and a link,
    nothing of the reason (``notify`` never carries content)."""
    from halte.notifications.models import Kind
    from halte.notifications.service import notify

    if case.lead_id is None or case.lead_id == actor.pk:
        return
    notify(
        memberships=[case.lead],
        kind=Kind.FAMILY_RESTRICTION,
        title=title,
        url=case_url(case),
        email_title=_("Une consigne a changé sur un dossier que vous suivez"),
    )


def set_restriction(*, case: Case, actor, pupil: Person | None, reason: str) -> FamilyRestriction:
    """« Ne pas informer » this pupil's family, for the reason given (the investigation requires it)."""
    if not can_set_family_restriction(actor, case):
        raise InterventionRefused(_("Seuls le magistrat et le délégué du procureur posent ou lèvent cette consigne."))
    family = _family_or_refuse(case, pupil)
    if not reason.strip():
        raise InterventionRefused(str(RESTRICTION_NEEDS_REASON))
    with transaction.atomic():
        case = lock_families(case, [family.pupil])
        if FamilyRestriction.objects.filter(case=case, pupil=family.pupil, lifted_at__isnull=True).exists():
            raise InterventionRefused(_("La consigne est déjà posée sur cette famille."))
        try:
            with transaction.atomic():  # a savepoint: the constraint is the last word on a race
                row = FamilyRestriction.objects.create(
                    case=case, pupil=family.pupil, reason=reason.strip(), set_by=actor
                )
        except IntegrityError:
            raise InterventionRefused(_("La consigne est déjà posée sur cette famille.")) from None
        _mirror_flag(case)
        event(
            case,
            actor,
            EventKind.DISCLOSURE,
            _("Ne pas informer la famille %(of_pupil)s : consigne posée — %(reason)s")
            % {"of_pupil": of_name(family.pupil), "reason": row.reason},
        )
        audit(
            AuditAction.CASE_CHANGED,
            actor,
            case,
            field="family_restriction",
            restriction=str(row.public_id),
            pupil=str(family.pupil.public_id),
            value=True,
        )
        _tell_lead(
            case, actor, _("Consigne « ne pas informer » posée sur une famille — %(ref)s") % {"ref": case.reference}
        )
    return row


def lift_restriction(*, case: Case, actor, restriction: FamilyRestriction, reason: str) -> FamilyRestriction:
    """Lift a standing instruction, explicitly: who, when and why are kept on the row and journaled."""
    if not can_set_family_restriction(actor, case):
        raise InterventionRefused(_("Seuls le magistrat et le délégué du procureur posent ou lèvent cette consigne."))
    if restriction.case_id != case.pk:
        raise InterventionRefused(_("Cette consigne n’est pas celle de ce dossier."))
    if not reason.strip():
        raise InterventionRefused(str(RESTRICTION_NEEDS_REASON))
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(case)
        lifted = FamilyRestriction.objects.filter(pk=restriction.pk, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=actor, lift_reason=reason.strip()
        )
        restriction.refresh_from_db()
        if not lifted:
            raise AlreadyDone(restriction_already_lifted(restriction))
        _mirror_flag(case)
        whom = (
            _("la famille %(of_pupil)s") % {"of_pupil": of_name(restriction.pupil)}
            if restriction.pupil
            else _("toutes les familles du dossier")
        )
        event(
            case,
            actor,
            EventKind.DISCLOSURE,
            _("Ne pas informer %(whom)s : consigne levée — %(reason)s") % {"whom": whom, "reason": reason.strip()},
        )
        audit(
            AuditAction.CASE_CHANGED,
            actor,
            case,
            field="family_restriction",
            restriction=str(restriction.public_id),
            value=False,
        )
        _tell_lead(
            case, actor, _("Consigne « ne pas informer » levée sur une famille — %(ref)s") % {"ref": case.reference}
        )
    return restriction


__all__ = [
    "CaseHolds",
    "FamilyHold",
    "FamilyOf",
    "Hold",
    "active_restrictions",
    "beyond",
    "case_holds",
    "convocation_refusal",
    "document_exception",
    "exception_already_lifted",
    "families_of",
    "family_facing_measures",
    "guardian_holds",
    "held_elsewhere",
    "held_mentions",
    "hold_for",
    "holds_of_case",
    "holds_on",
    "is_restricted",
    "lift_exception",
    "lift_restriction",
    "person_hold",
    "record_family_contact",
    "restriction_already_lifted",
    "restriction_for",
    "set_restriction",
]
