"""People who can be reached: the adults' contact details (postal address, phone, email), a pupil's
date of birth and home address (what the CRIP needs to identify the child; a pupil's phone and email
are their guardians'), and the link
between a pupil and their guardians (``Guardianship``: mother, father, tutor, other; who holds parental
authority). A pupil may have several guardians; a guardian is an adult of the case (role « représentant
légal »), picked among its adults or entered then. Access: ``access.interventions.can_add_guardian``.
"""

import re
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.interventions import can_add_guardian
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.core.french import of_name

from . import timeline
from .enums import EventKind, PersonKind
from .enums import Role as InvolvementRole
from .models import Case, Guardianship, Involvement, Person

PHONE_INVALID = gettext_lazy(
    "Numéro de téléphone non reconnu : 10 chiffres commençant par 0 (06 12 34 56 78) ou un numéro "
    "international commençant par + (+32 470 12 34 56)."
)
BIRTH_DATE_FUTURE = gettext_lazy("La date de naissance ne peut pas être dans le futur.")
PUPIL_TOO_YOUNG = gettext_lazy(
    "Un élève a au moins %(age)s ans : vérifiez la date de naissance (jour, mois, puis année sur 4 chiffres)."
)
PUPIL_TOO_OLD = gettext_lazy(
    "Un élève a au plus %(age)s ans : vérifiez la date de naissance (jour, mois, puis année sur 4 chiffres)."
)
PUPIL_MIN_AGE, PUPIL_MAX_AGE = 3, 25
PUPIL_ROLES = (InvolvementRole.VICTIM, InvolvementRole.ALLEGED_AUTHOR, InvolvementRole.WITNESS)
_SEPARATORS = re.compile(r"[\s.\-/()]")


class GuardianRefused(Exception):
    """A write refused for a reason the person can act on; ``message`` is French, for them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise_phone(value: str) -> str:
    """A French number written « 06 12 34 56 78 » (from 0612345678, 06.12.34.56.78, +33 6 12 34 56 78,
    0033…), an international one kept as « +<digits> »; ValueError when it is not a phone number."""
    compact = _SEPARATORS.sub("", value or "")
    if not compact:
        return ""
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    if re.fullmatch(r"0[1-9]\d{8}", compact):
        return " ".join(compact[i : i + 2] for i in range(0, 10, 2))
    if re.fullmatch(r"\+[1-9]\d{6,14}", compact):
        return compact
    raise ValueError(str(PHONE_INVALID))


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def check_birth_date(value: date | None, today: date, *, pupil: bool) -> None:
    """ValueError (French message) for a birth date in the future, or a pupil's outside 3 to 25 years."""
    if value is None:
        return
    if value > today:
        raise ValueError(str(BIRTH_DATE_FUTURE))
    if pupil and age_on(value, today) < PUPIL_MIN_AGE:
        raise ValueError(str(PUPIL_TOO_YOUNG % {"age": PUPIL_MIN_AGE}))
    if pupil and age_on(value, today) > PUPIL_MAX_AGE:
        raise ValueError(str(PUPIL_TOO_OLD % {"age": PUPIL_MAX_AGE}))


def pupils_of(case: Case) -> list[Person]:
    """The pupils of the case (victims, alleged authors, witnesses), once each, in the order they came."""
    seen: dict[int, Person] = {}
    rows = Involvement.objects.filter(case=case, role__in=PUPIL_ROLES, person__kind=PersonKind.PUPIL)
    for row in rows.select_related("person").order_by("added_at", "id"):
        seen.setdefault(row.person_id, row.person)
    return list(seen.values())


def adults_of(case: Case) -> list[Person]:
    """The adults of the case, once each (any role)."""
    seen: dict[int, Person] = {}
    rows = Involvement.objects.filter(case=case, person__kind=PersonKind.ADULT).select_related("person")
    for row in rows.order_by("added_at", "id"):
        seen.setdefault(row.person_id, row.person)
    return list(seen.values())


def other_cases_count(person: Person, case: Case) -> int:
    """How many other cases this person is involved in: a person record is shared between cases, so an
    edit made from one case shows in the others. A number only — never which cases (the member may not
    read them)."""
    return Involvement.objects.filter(person=person).exclude(case=case).values("case_id").distinct().count()


def guardians_by_pupil(pupils: list[Person]) -> dict[int, list[Guardianship]]:
    """Each pupil's guardians, those holding parental authority first (one query)."""
    found: dict[int, list[Guardianship]] = {pupil.pk: [] for pupil in pupils}
    rows = (
        Guardianship.objects.filter(child__in=[p.pk for p in pupils])
        .select_related("guardian", "child")
        .order_by("-parental_authority", "id")
    )
    for row in rows:
        found[row.child_id].append(row)
    return found


def households(people) -> dict[int, set[int]]:
    """For each of these people (ids), everyone joined to them through guardian links, themselves
    included: their guardians, those guardians' other children, these children's other guardians, and
    so on — the households a blended family connects. A parent reached through any of them is the same
    parent, so a hold on one family of the household holds them all.

    One query, whatever the length of the chain: a recursive CTE (SQLite and PostgreSQL alike). Its
    ``UNION`` drops a pair already reached, so a cycle (two parents of the same two children) ends; each
    step follows a link from either end, through the indexes on ``child_id`` and ``guardian_id``."""
    ids = sorted({int(pk) for pk in people})
    if not ids:
        return {}
    quote = connection.ops.quote_name
    person, link = quote(Person._meta.db_table), quote(Guardianship._meta.db_table)
    # Only quoted table names and one placeholder per id are put into the text; the ids are parameters.
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        "WITH RECURSIVE reach(origin, member) AS ("  # noqa: S608
        f" SELECT id, id FROM {person} WHERE id IN ({placeholders})"
        " UNION"
        " SELECT reach.origin, CASE WHEN link.child_id = reach.member THEN link.guardian_id ELSE link.child_id END"
        f" FROM reach JOIN {link} link ON link.child_id = reach.member OR link.guardian_id = reach.member"
        ") SELECT origin, member FROM reach"
    )
    found: dict[int, set[int]] = {pk: {pk} for pk in ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        for origin, member in cursor.fetchall():
            found[origin].add(member)
    return found


def lock_households(people) -> None:
    """Lock the rows of these people's households (``households``), in the order of their ids, for the
    rest of the transaction. Every write that changes what holds a family back (« ne pas informer », the
    cell's exception, a guardian link) or depends on it (« informée », an interview, a convocation) takes
    them after its case row, so the later one waits for the earlier and then sees what it wrote — on any
    case, since the households are shared between cases. A link committed between the reading of the
    households and the lock may have joined another one: the households are read again and what was added
    is locked, until they stay the same (each round only grows them). Nothing on SQLite, which has no row
    locks and lets one writer at a time."""
    if not connection.features.has_select_for_update:
        return
    ids = {int(pk) for pk in people if pk is not None}
    locked: set[int] = set()
    while True:
        members = {pk for found in households(ids).values() for pk in found}
        if members <= locked:
            return
        rows = Person.objects.select_for_update().filter(pk__in=sorted(members - locked)).order_by("pk")
        list(rows.values_list("pk", flat=True))
        locked |= members


def add_guardian(
    *,
    case: Case,
    actor,
    child: Person,
    relationship: str,
    parental_authority: bool,
    guardian: Person | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
) -> Guardianship:
    """Link ``child`` (a pupil of the case) to a guardian: ``guardian`` (an adult of the case), or a new
    adult entered with their contact details. The guardian becomes « représentant légal » of the case."""
    if not can_add_guardian(actor, case):
        raise GuardianRefused(_("Vous ne pouvez pas ajouter de représentant légal sur ce dossier."))
    if child.pk not in {pupil.pk for pupil in pupils_of(case)}:
        raise GuardianRefused(_("Cet élève n’est pas un élève de ce dossier."))
    if relationship not in Guardianship.Relationship.values:
        raise GuardianRefused(_("Choisissez le lien avec l’élève."))
    if guardian is not None and guardian.pk not in {adult.pk for adult in adults_of(case)}:
        raise GuardianRefused(_("Choisissez un adulte de ce dossier, ou saisissez une nouvelle personne."))
    if guardian is None and not first_name.strip():
        raise GuardianRefused(_("Indiquez le prénom du représentant légal."))
    try:
        with transaction.atomic():
            # The case row, then the households the link joins, as the family writes take them: a family
            # recorded informed, or convoked, meanwhile is either before the link or sees it.
            Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
            lock_households([child.pk, guardian.pk if guardian is not None else None])
            if guardian is None:
                guardian = Person(
                    kind=PersonKind.ADULT,
                    first_name=first_name.strip(),
                    last_name=last_name.strip(),
                    email=email.strip(),
                    phone=phone.strip(),
                    address=address.strip(),
                )
                guardian.save()
            Involvement.objects.get_or_create(case=case, person=guardian, role=InvolvementRole.GUARDIAN)
            link = Guardianship.objects.create(
                child=child,
                guardian=guardian,
                relationship=relationship,
                parental_authority=parental_authority,
                created_by=actor,
            )
            timeline.write(
                case,
                actor,
                EventKind.PERSON,
                _("Ajout %(of_guardian)s au dossier : représentant légal %(of_child)s (%(relationship)s).")
                % {
                    "of_guardian": of_name(guardian),
                    "of_child": of_name(child),
                    "relationship": link.get_relationship_display().lower(),
                },
            )
            record(
                AuditAction.CASE_PERSON_ADDED,
                actor=actor.user,
                membership=actor,
                target=case,
                detail={
                    "role": InvolvementRole.GUARDIAN,
                    "guardianship": str(link.public_id),
                    "parental_authority": parental_authority,
                },
            )
    except IntegrityError:
        raise GuardianRefused(_("Cet adulte est déjà enregistré comme représentant légal de cet élève.")) from None
    return link


def update_contact(*, case: Case, actor, person: Person, email: str, phone: str, address: str) -> Person:
    """Change an adult's contact details (an adult of the case only)."""
    if not can_add_guardian(actor, case):
        raise GuardianRefused(_("Vous ne pouvez pas modifier les coordonnées des personnes de ce dossier."))
    if person.pk not in {adult.pk for adult in adults_of(case)}:
        raise GuardianRefused(_("Les coordonnées s’enregistrent pour les adultes du dossier."))
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(email=email.strip(), phone=phone.strip(), address=address.strip())
        timeline.write(
            case, actor, EventKind.PERSON, _("Coordonnées %(of_person)s mises à jour.") % {"of_person": of_name(person)}
        )
        record(
            AuditAction.CASE_CHANGED,
            actor=actor.user,
            membership=actor,
            target=case,
            detail={"field": "person_contact", "person": str(person.public_id)},
        )
    person.refresh_from_db()
    return person


def update_pupil_identity(*, case: Case, actor, person: Person, birth_date: date | None, address: str) -> Person:
    """Change a pupil's date of birth and home address (a pupil of the case only)."""
    if not can_add_guardian(actor, case):
        raise GuardianRefused(_("Vous ne pouvez pas modifier les coordonnées des personnes de ce dossier."))
    if person.pk not in {pupil.pk for pupil in pupils_of(case)}:
        raise GuardianRefused(_("La date de naissance et l’adresse s’enregistrent ici pour les élèves du dossier."))
    try:
        check_birth_date(birth_date, timezone.localdate(), pupil=True)
    except ValueError as error:
        raise GuardianRefused(str(error)) from None
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(birth_date=birth_date, address=address.strip())
        timeline.write(
            case,
            actor,
            EventKind.PERSON,
            _("Date de naissance et adresse %(of_person)s mises à jour.") % {"of_person": of_name(person)},
        )
        record(
            AuditAction.CASE_CHANGED,
            actor=actor.user,
            membership=actor,
            target=case,
            detail={"field": "pupil_identity", "person": str(person.public_id)},
        )
    person.refresh_from_db()
    return person
