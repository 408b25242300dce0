"""Support for the families, one per pupil: contacts with the family of a victim or of an alleged
author, whether its parents were informed — or why, in the child's interest, they were not — and the
judicial side's « ne pas informer » instruction on that family.

A family is that of one pupil of the case (a case with two alleged authors has two author families):
the pupil and the adults linked to them (``cases.Guardianship``). A contact where the family was told
of the situation, the measures and its rights records (or updates) « parents informés » for it.

« Ne pas informer » (:class:`~.models.FamilyRestriction`) is the one rule: set with a reason by the
magistrate or the délégué du procureur, lifted explicitly, journaled in the judicial part of the
timeline. While it stands on a family, recording it as informed is refused, and so is a convocation
addressed to it (``documents.content.convocation``); contacts stay possible, under a warning.
``Case.do_not_disclose_to_family`` mirrors "some family is under it" for banners and letters.
Family-facing outputs draw their measures from :func:`family_facing_measures` (never a judicial one).
"""

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
from halte.cases.guardians import pupils_of
from halte.cases.models import Case, Guardianship, Involvement, Person

from .common import InterventionRefused, audit, case_url, check_not_future, event, is_involved, lock_case
from .measures import family_facing_measures
from .models import Family, FamilyContact, FamilyRestriction, ParentsInformation

FUTURE_CONTACT = gettext_lazy("La date du contact ne peut pas être dans le futur.")
EXCEPTION_NEEDS_REASON = gettext_lazy(
    "Expliquez pourquoi informer ces parents irait contre l’intérêt de l’enfant : sans motif, rien n’est enregistré."
)
RESTRICTED_INFORMED = gettext_lazy(
    "Consigne « ne pas informer » sur la famille de %(pupil)s : vous ne pouvez pas enregistrer que cette famille "
    "a été informée tant que la consigne n’est pas levée."
)
RESTRICTION_NEEDS_REASON = gettext_lazy("Indiquez le motif : sans motif, rien n’est enregistré.")

FAMILY_ROLES = (InvolvementRole.VICTIM, InvolvementRole.ALLEGED_AUTHOR)


@dataclass(frozen=True)
class FamilyOf:
    """One family of the case: that of ``pupil``, on the victim's or the alleged author's side."""

    pupil: Person
    side: str

    @property
    def label(self) -> str:
        if self.side == Family.VICTIM:
            return _("Famille de %(name)s (victime)") % {"name": self.pupil}
        return _("Famille de %(name)s (auteur présumé)") % {"name": self.pupil}


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


def _family_or_refuse(case: Case, pupil: Person | None) -> FamilyOf:
    family = family_of(case, pupil) if pupil is not None else None
    if family is None:
        raise InterventionRefused(_("Choisissez la famille : celle d’un élève victime ou auteur présumé du dossier."))
    return family


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
) -> FamilyContact:
    """Record a contact with a pupil's family. Ticking « informed » records that these parents are
    informed — refused while « ne pas informer » stands on that family."""
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
                "La personne contactée n’est pas de la famille de %(pupil)s : choisissez l’élève ou l’un de "
                "ses représentants légaux."
            )
            % {"pupil": family.pupil}
        )
    check_not_future(at, str(FUTURE_CONTACT))
    with transaction.atomic():
        lock_case(case)
        # Checked under the case's lock: an instruction set meanwhile is seen (it locks the case too).
        if informed_of_situation and is_restricted(case, family.pupil):
            raise InterventionRefused(str(RESTRICTED_INFORMED) % {"pupil": family.pupil})
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
        text = _("Contact avec la famille de %(pupil)s (%(channel)s).") % {
            "pupil": family.pupil,
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
        )
        if informed_of_situation:
            _mark_informed(case=case, actor=actor, family=family, at=at)
    return contact


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
    event(case, actor, "parents_information", _("Parents informés : famille de %(pupil)s.") % {"pupil": family.pupil})
    audit(
        AuditAction.PARENTS_INFORMATION_CHANGED,
        actor,
        case,
        family=family.side,
        pupil=str(family.pupil.public_id),
        status="informed",
    )


def document_exception(*, case: Case, actor, pupil: Person | None, reason: str) -> ParentsInformation:
    """These parents are not informed: it would go against the child's interest. The reason is required."""
    if not can_document_parents_exception(actor, case):
        raise InterventionRefused(_("Vous ne pouvez pas documenter cette décision sur ce dossier."))
    family = _family_or_refuse(case, pupil)
    if not reason.strip():
        raise InterventionRefused(str(EXCEPTION_NEEDS_REASON))
    with transaction.atomic():
        lock_case(case)
        row, _created = ParentsInformation.objects.update_or_create(
            case=case,
            pupil=family.pupil,
            defaults={
                "family": family.side,
                "status": ParentsInformation.Status.EXCEPTION,
                "informed_at": None,
                "reason": reason,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        text = _("Parents non informés (famille de %(pupil)s) : contraire à l’intérêt de l’enfant, motif consigné.") % {
            "pupil": family.pupil
        }
        event(case, actor, "parents_information", text)
        audit(
            AuditAction.PARENTS_INFORMATION_CHANGED,
            actor,
            case,
            family=family.side,
            pupil=str(family.pupil.public_id),
            status="exception",
        )
    return row


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
        case = lock_case(case)
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
            _("Ne pas informer la famille de %(pupil)s : consigne posée — %(reason)s")
            % {"pupil": family.pupil, "reason": row.reason},
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
        if not lifted:
            raise InterventionRefused(_("Cette consigne est déjà levée."))
        restriction.refresh_from_db()
        _mirror_flag(case)
        whom = (
            _("la famille de %(pupil)s") % {"pupil": restriction.pupil}
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
    "FamilyOf",
    "active_restrictions",
    "document_exception",
    "families_of",
    "family_facing_measures",
    "is_restricted",
    "lift_restriction",
    "record_family_contact",
    "restriction_for",
    "set_restriction",
]
