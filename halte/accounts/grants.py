"""The two-person workflow for memberships that read case content (rules in halte.access.grants).

Ask (``request_grant``) → confirm (``approve_grant``) or refuse (``refuse_grant``), or the asker
withdraws (``cancel_grant``). Each runs in one transaction with its journal row; the deciders are
told of a request, the DPO of every decision. A decision is taken by one conditional UPDATE, so two
people confirming at once cannot both win, and a confirmed grant cannot be refused afterwards.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access import grants as rules
from halte.audit.journal import record
from halte.audit.models import Action
from halte.notifications.models import Kind
from halte.notifications.service import notify

from .models import GrantStatus, Membership, MembershipGrant


class GrantError(Exception):
    """A refused step, with a message for the person who tried it."""


def _detail(grant: MembershipGrant) -> dict:
    return {
        "grant": str(grant.public_id),
        "user": grant.user.email,
        "organisation": grant.organisation.name,
        "role": grant.role,
        "requested_by": grant.requested_by.user.email,
    }


def request_grant(*, actor: Membership, user, organisation, role: str, reason: str) -> MembershipGrant:
    decision = rules.may_grant(actor, user, role)
    if decision is not rules.Decision.SECOND_PERSON:
        record(
            Action.GRANT_DENIED,
            actor=actor.user,
            membership=actor,
            target=user,
            detail={"role": role, "organisation": organisation.name, "path": "grant_request"},
        )
        if actor.user_id == user.pk:
            raise GrantError(_("Vous ne pouvez pas vous attribuer un rôle vous-même."))
        raise GrantError(_("Ce rôle s’attribue directement dans l’administration, sans demande."))
    if Membership.objects.active().filter(user=user, organisation=organisation, role=role).exists():
        raise GrantError(_("Cette personne a déjà ce rôle dans cette structure."))
    with transaction.atomic():
        if MembershipGrant.objects.select_for_update().filter(
            user=user, organisation=organisation, role=role, status=GrantStatus.PENDING
        ):
            raise GrantError(_("Une demande identique attend déjà sa confirmation."))
        grant = MembershipGrant.objects.create(
            user=user, organisation=organisation, role=role, reason=reason, requested_by=actor
        )
        record(Action.GRANT_REQUESTED, actor=actor.user, membership=actor, target=grant, detail=_detail(grant))
        notify(
            memberships=rules.deciders(grant),
            kind=Kind.ACCESS_GRANT,
            title=_("Une demande d’habilitation attend la confirmation d’une seconde personne"),
            url=reverse("grants:list"),
        )
    return grant


def _decide(grant: MembershipGrant, actor: Membership, status: str, note: str, membership=None) -> None:
    """Claim the pending grant for this decision, or fail (rolling back) if someone decided first."""
    claimed = (
        MembershipGrant.objects.filter(pk=grant.pk, status=GrantStatus.PENDING)
        .exclude(requested_by=actor)
        .update(status=status, decided_by=actor, decided_at=timezone.now(), decision_note=note, membership=membership)
    )
    if not claimed:
        raise GrantError(_("Cette demande a déjà été traitée."))
    grant.refresh_from_db()


def approve_grant(*, actor: Membership, grant: MembershipGrant, note: str = "") -> Membership:
    if not rules.may_decide(actor, grant):
        raise GrantError(_("Vous ne pouvez pas confirmer cette demande : il faut une autre personne."))
    with transaction.atomic():
        membership, _created = Membership.objects.get_or_create(
            user=grant.user, organisation=grant.organisation, role=grant.role
        )
        if not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        _decide(grant, actor, GrantStatus.APPROVED, note, membership=membership)
        record(
            Action.GRANT_APPROVED,
            actor=actor.user,
            membership=actor,
            target=membership,
            detail={**_detail(grant), "approved_by": actor.user.email},
        )
        notify(
            memberships=rules.dpo_memberships(),
            kind=Kind.ACCESS_GRANT,
            title=_("Habilitation accordée : %(role)s — %(organisation)s")
            % {"role": grant.get_role_display(), "organisation": grant.organisation.name},
            url=reverse("audit:journal"),
        )
    return membership


def refuse_grant(*, actor: Membership, grant: MembershipGrant, note: str) -> None:
    if not rules.may_decide(actor, grant):
        raise GrantError(_("Vous ne pouvez pas refuser cette demande."))
    with transaction.atomic():
        _decide(grant, actor, GrantStatus.REFUSED, note)
        record(Action.GRANT_REFUSED, actor=actor.user, membership=actor, target=grant, detail=_detail(grant))
        notify(
            memberships=rules.dpo_memberships(),
            kind=Kind.ACCESS_GRANT,
            title=_("Habilitation refusée : %(role)s — %(organisation)s")
            % {"role": grant.get_role_display(), "organisation": grant.organisation.name},
            url=reverse("audit:journal"),
        )


def cancel_grant(*, actor: Membership, grant: MembershipGrant) -> None:
    if not rules.may_cancel(actor, grant):
        raise GrantError(_("Seule la personne qui a fait la demande peut la retirer."))
    with transaction.atomic():
        claimed = MembershipGrant.objects.filter(pk=grant.pk, status=GrantStatus.PENDING).update(
            status=GrantStatus.CANCELLED, decided_at=timezone.now()
        )
        if not claimed:
            raise GrantError(_("Cette demande a déjà été traitée."))
        record(Action.GRANT_CANCELLED, actor=actor.user, membership=actor, target=grant, detail=_detail(grant))
