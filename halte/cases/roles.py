"""Which roles a person may hold in a case, by kind: the one rule every way of adding a person asks
(the people form, the triage of the report's pupils, ``actions.add_person``).

A case of the cell is about school bullying between pupils: its victim is a pupil. An adult is never
« victime » here (facts against an adult are handled elsewhere); an adult may be an alleged author
(a member of staff or a relative harassing a pupil is kept, and sets off the conflict-of-interest rule
of ``access/cases.py``), a witness, a legal guardian or the reporter. A pupil may be a victim, an
alleged author, a witness or the reporter, never a legal guardian.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from .enums import PersonKind, Role

ALLOWED_ROLES: dict[str, frozenset[str]] = {
    PersonKind.PUPIL: frozenset({Role.VICTIM, Role.ALLEGED_AUTHOR, Role.WITNESS, Role.REPORTER}),
    PersonKind.ADULT: frozenset({Role.ALLEGED_AUTHOR, Role.WITNESS, Role.GUARDIAN, Role.REPORTER}),
}

# What the person adding someone reads when the role does not suit the kind: what to do instead.
REFUSALS: dict[tuple[str, str], Any] = {
    (PersonKind.PUPIL, Role.GUARDIAN): _(
        "Un élève ne peut pas être représentant légal : choisissez le type « Adulte » pour un parent."
    ),
    (PersonKind.ADULT, Role.VICTIM): _(
        "Un adulte ne peut pas être victime dans un dossier de harcèlement scolaire : la cellule protège "
        "des élèves. Pour un élève victime, choisissez le type « Élève ». Un adulte qui harcèle un élève "
        "s’ajoute comme « Auteur présumé »."
    ),
}
UNKNOWN_KIND = _("Choisissez le type de la personne : élève ou adulte.")
UNSUITED = _("Ce rôle ne convient pas à ce type de personne.")


def refusal(kind: str, role: str) -> str | None:
    """Why ``role`` does not suit a person of ``kind`` (a French sentence), or None when it does."""
    if kind not in ALLOWED_ROLES:
        return str(UNKNOWN_KIND)
    if role in ALLOWED_ROLES[kind]:
        return None
    return str(REFUSALS.get((kind, role), UNSUITED))


def choices_for(kind: str, roles) -> list[tuple[str, Any]]:
    """The (value, label) choices among ``roles`` that a person of ``kind`` may hold."""
    return [(Role(role).value, Role(role).label) for role in roles if role in ALLOWED_ROLES[kind]]
