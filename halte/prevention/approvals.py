"""Approvals (agréments) of associations: recording them and warning before they expire.

An expired approval blocks new assignments (see `access.prevention.is_eligible_provider`) and deletes
nothing: past workshops of the association stay as they were.
"""

from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access.policy import Capability, memberships_with
from halte.access.prevention import can_assign
from halte.accounts.models import Membership
from halte.notifications.service import notify

from .models import Approval
from .workshops import WorkshopRefused

WARNING_DAYS = 60
EXPIRY_KIND = "approval_expiry"


def add_approval(
    *,
    actor,
    organisation,
    number: str,
    issuer: str,
    themes: list[str],
    valid_from: date,
    valid_until: date,
    document=None,
) -> Approval:
    if not can_assign(actor):
        raise WorkshopRefused(_("Seule la coordination enregistre les agréments."))
    if valid_until < valid_from:
        raise WorkshopRefused(_("La fin de validité doit suivre son début."))
    with transaction.atomic():
        approval = Approval(
            organisation=organisation,
            number=number,
            issuer=issuer,
            themes=list(themes),
            valid_from=valid_from,
            valid_until=valid_until,
        )
        if document:
            approval.document.save(f"agrement-{organisation.pk}.pdf", document, save=False)
        approval.save()
    return approval


def expiry_title(approval: Approval) -> str:
    title = _("L’agrément n° %(number)s de %(association)s expire le %(date)s") % {
        "number": approval.number,
        "association": approval.organisation,
        "date": approval.valid_until.strftime("%d/%m/%Y"),
    }
    return title[:200]


def warn_expiring(today: date | None = None) -> int:
    """Warn the coordinators and the association, once, 60 days (or less) before an approval expires.

    Returns the number of approvals warned. Safe to run as often as wanted: `expiry_warned_at` is set
    in the same transaction as the notifications, on a locked row.
    """
    today = today or timezone.localdate()
    due = Approval.objects.filter(
        expiry_warned_at__isnull=True, valid_until__gte=today, valid_until__lte=today + timedelta(days=WARNING_DAYS)
    ).values_list("pk", flat=True)
    warned = 0
    url = reverse("prevention:approvals")
    for pk in list(due):
        with transaction.atomic():
            approval = Approval.objects.select_for_update().select_related("organisation").get(pk=pk)
            if approval.expiry_warned_at is not None:
                continue
            members = Membership.objects.active().filter(organisation=approval.organisation)
            members = members.select_related("user", "organisation")
            notify(
                memberships=[*memberships_with(Capability.MANAGE_PREVENTION), *members],
                kind=EXPIRY_KIND,
                title=expiry_title(approval),
                url=url,
            )
            approval.expiry_warned_at = timezone.now()
            approval.save(update_fields=["expiry_warned_at"])
        warned += 1
    return warned
