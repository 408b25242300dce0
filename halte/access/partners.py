"""Who keeps the cell's directory of partners, and which partners a document may be addressed to.

The directory is per département (``directory.Partner.departement``): a coordinator keeps the entries
of her own organisation's département and never sees another's (a 404, like any object outside a
scope). A document is addressed to an active partner of the case's département whose kind fits it
(``directory.models.ART_40_RECIPIENT_KINDS``, ``IP_RECIPIENT_KINDS``).
"""

from django.db.models import QuerySet

from halte.directory.cells import departement_of
from halte.directory.models import ART_40_RECIPIENT_KINDS, IP_RECIPIENT_KINDS, Partner
from halte.documents.models import DocumentKind

from .policy import Capability, has_capability

RECIPIENT_KINDS: dict[str, tuple[str, ...]] = {
    DocumentKind.ART_40: tuple(ART_40_RECIPIENT_KINDS),
    DocumentKind.INFORMATION_PREOCCUPANTE: tuple(IP_RECIPIENT_KINDS),
}


def partners_departement(membership) -> str:
    """The département whose directory this membership keeps ("" when none)."""
    if membership is None:
        return ""
    return membership.organisation.departement or ""


def can_manage_partners(membership) -> bool:
    return has_capability(membership, Capability.MANAGE_PARTNERS) and bool(partners_departement(membership))


def managed_partners(membership) -> QuerySet[Partner]:
    """The directory entries this membership keeps: its département's, none otherwise."""
    if not can_manage_partners(membership):
        return Partner.objects.none()
    return Partner.objects.filter(departement=partners_departement(membership))


def document_recipients(membership, case, kind: str) -> QuerySet[Partner]:
    """The partners a document of ``kind`` on ``case`` may be addressed to (none for other kinds)."""
    kinds = RECIPIENT_KINDS.get(kind)
    departement = departement_of(case, membership)
    if not kinds or not departement:
        return Partner.objects.none()
    return Partner.objects.filter(departement=departement, kind__in=kinds, is_active=True).order_by(
        "kind", "name", "service"
    )
