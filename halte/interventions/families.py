"""Support for both families: contacts with the victim's family and the alleged author's family, and
whether the parents were informed — or why, in the child's interest, they were not.

A contact where the family was told of the situation, the measures and its rights records (or
updates) « parents informés » for that family. The « do not disclose to the family » flag of the case
(set by the judicial side) does not block a contact: the forms warn that some things may not be said
(naming the judicial track only to those who read the judicial compartment), and family-facing
outputs draw their measures from :func:`family_facing_measures`, which never lists a judicial measure.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.interventions import can_document_parents_exception, can_record_family_contact
from halte.audit.models import Action as AuditAction
from halte.cases.models import Case, Person

from .common import InterventionRefused, audit, check_not_future, event, is_involved, lock_case
from .measures import family_facing_measures
from .models import Family, FamilyContact, ParentsInformation

FUTURE_CONTACT = gettext_lazy("La date du contact ne peut pas être dans le futur.")
EXCEPTION_NEEDS_REASON = gettext_lazy(
    "Expliquez pourquoi informer ces parents irait contre l’intérêt de l’enfant : sans motif, rien n’est enregistré."
)


def record_family_contact(
    *,
    case: Case,
    actor,
    family: str,
    at: datetime,
    channel: str,
    made_by,
    summary: str,
    person: Person | None = None,
    informed_of_situation: bool = False,
) -> FamilyContact:
    """Record a contact with a family. Ticking « informed » records that these parents are informed."""
    if not can_record_family_contact(actor, case):
        raise InterventionRefused(_("Vous ne pouvez pas enregistrer de contact avec les familles sur ce dossier."))
    if family not in Family.values:
        raise InterventionRefused(_("Choisissez la famille contactée."))
    if channel not in FamilyContact.Channel.values:
        raise InterventionRefused(_("Choisissez le moyen de contact."))
    if not summary.strip():
        raise InterventionRefused(_("Résumez l’échange."))
    if person is not None and not is_involved(case, person):
        raise InterventionRefused(_("La personne contactée doit être une personne du dossier."))
    check_not_future(at, str(FUTURE_CONTACT))
    with transaction.atomic():
        lock_case(case)
        contact = FamilyContact.objects.create(
            case=case,
            family=family,
            person=person,
            at=at,
            channel=channel,
            made_by=made_by,
            summary=summary,
            informed_of_situation=informed_of_situation,
        )
        text = _("Contact avec la %(family)s (%(channel)s).") % {
            "family": contact.get_family_display().lower(),
            "channel": contact.get_channel_display().lower(),
        }
        event(case, actor, "family_contact", text)
        audit(
            AuditAction.FAMILY_CONTACT_RECORDED,
            actor,
            case,
            contact=str(contact.public_id),
            family=family,
            channel=channel,
            informed=informed_of_situation,
        )
        if informed_of_situation:
            _mark_informed(case=case, actor=actor, family=family, at=at)
    return contact


def _mark_informed(*, case: Case, actor, family: str, at: datetime) -> None:
    row = ParentsInformation.objects.select_for_update().filter(case=case, family=family).first()
    earlier = row.informed_at if row is not None and row.status == ParentsInformation.Status.INFORMED else None
    if earlier is not None and earlier <= at:
        return  # informed already, earlier: nothing changes
    ParentsInformation.objects.update_or_create(
        case=case,
        family=family,
        defaults={
            "status": ParentsInformation.Status.INFORMED,
            "informed_at": at,
            "reason": "",
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    label = Family(family).label.lower()
    event(case, actor, "parents_information", _("Parents informés : %(family)s.") % {"family": label})
    audit(AuditAction.PARENTS_INFORMATION_CHANGED, actor, case, family=family, status="informed")


def document_exception(*, case: Case, actor, family: str, reason: str) -> ParentsInformation:
    """These parents are not informed: it would go against the child's interest. The reason is required."""
    if not can_document_parents_exception(actor, case):
        raise InterventionRefused(_("Vous ne pouvez pas documenter cette décision sur ce dossier."))
    if family not in Family.values:
        raise InterventionRefused(_("Choisissez la famille concernée."))
    if not reason.strip():
        raise InterventionRefused(str(EXCEPTION_NEEDS_REASON))
    with transaction.atomic():
        lock_case(case)
        row, _created = ParentsInformation.objects.update_or_create(
            case=case,
            family=family,
            defaults={
                "status": ParentsInformation.Status.EXCEPTION,
                "informed_at": None,
                "reason": reason,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        label = Family(family).label.lower()
        text = _("Parents non informés (%(family)s) : contraire à l’intérêt de l’enfant, motif consigné.") % {
            "family": label
        }
        event(case, actor, "parents_information", text)
        audit(AuditAction.PARENTS_INFORMATION_CHANGED, actor, case, family=family, status="exception")
    return row


__all__ = ["document_exception", "family_facing_measures", "record_family_contact"]
