"""Writes of the cell's directory of partners: one transaction per change, journaled.

The caller has checked ``halte.access.partners.can_manage_partners`` and fetched the entry through
``managed_partners`` (so the département is always the actor's own).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access.partners import partners_departement
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction

from .models import Partner

FIELDS = ("kind", "name", "service", "address", "email", "phone", "is_active")


class PartnerRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _duplicate() -> PartnerRefused:
    return PartnerRefused(_("Ce partenaire (même nom et même service) est déjà dans l’annuaire de votre département."))


def create_partner(*, actor, **values) -> Partner:
    departement = partners_departement(actor)
    try:
        with transaction.atomic():
            partner = Partner.objects.create(departement=departement, updated_at=timezone.now(), **values)
            record(
                AuditAction.PARTNER_CREATED,
                actor=actor.user,
                membership=actor,
                target=partner,
                detail={"departement": departement, "kind": partner.kind},
            )
    except IntegrityError as error:
        raise _duplicate() from error
    return partner


def update_partner(*, actor, partner: Partner, **values) -> Partner:
    changed = sorted(name for name in FIELDS if name in values and getattr(partner, name) != values[name])
    if not changed:
        return partner
    try:
        with transaction.atomic():
            locked = Partner.objects.select_for_update().get(pk=partner.pk)
            for name in changed:
                setattr(locked, name, values[name])
            locked.updated_at = timezone.now()
            locked.save()
            record(
                AuditAction.PARTNER_CHANGED,
                actor=actor.user,
                membership=actor,
                target=locked,
                detail={"departement": locked.departement, "fields": changed},
            )
    except IntegrityError as error:
        raise _duplicate() from error
    return locked
