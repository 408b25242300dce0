"""The set-ups the family tests share (tests/interventions, tests/documents): a guardian linked to a
pupil, « ne pas informer » set by the judicial side, a contact recording a family as informed."""

from datetime import datetime

import factory
from django.utils import timezone

from halte.cases.models import Guardianship, Person
from halte.interventions import families
from halte.interventions.models import FamilyContact, FamilyRestriction

REASON = "Garde à vue du père prévue par les enquêteurs."


class GuardianshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardianship

    relationship = Guardianship.Relationship.MOTHER
    parental_authority = True


def link(child: Person, guardian: Person, relationship: str = "mother", **fields) -> Guardianship:
    """``guardian`` is a legal guardian of ``child`` (parental authority unless told otherwise)."""
    return GuardianshipFactory(child=child, guardian=guardian, relationship=relationship, **fields)


def restrict(case, actor, pupil: Person, reason: str = REASON) -> FamilyRestriction:
    """« Ne pas informer » this pupil's family on ``case``, set by ``actor`` (the judicial side)."""
    return families.set_restriction(case=case, actor=actor, pupil=pupil, reason=reason)


def inform(
    case,
    actor,
    pupil: Person,
    *,
    person: Person | None = None,
    at: datetime | None = None,
    summary: str = "Appel.",
    informed: bool = True,
    confirmed: bool = False,
) -> FamilyContact:
    """A phone call with this pupil's family, by ``actor``, recording it as informed (unless told not);
    ``confirmed``: the confirmation a contact with a held family asks."""
    return families.record_family_contact(
        case=case,
        actor=actor,
        pupil=pupil,
        person=person,
        at=at or timezone.now(),
        channel="phone",
        made_by=actor,
        summary=summary,
        informed_of_situation=informed,
        hold_confirmed=confirmed,
    )
