"""Workshop actions: every write on a workshop request goes through one of these functions.

Each runs in one transaction on a locked row and follows the status sequence
requested → assigned → confirmed → delivered; a request not yet delivered may be cancelled with a
reason. An illegal step raises `WorkshopRefused` with a French message for the screen. Who did what
and when stays on the request itself (requested_by, assigned_by, confirmed_at, delivered_on…).
"""

from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access.policy import Capability, has_capability, memberships_with
from halte.access.prevention import can_act_as_provider, can_assign, can_request_workshop, is_eligible_provider
from halte.accounts.models import Membership, OrganisationKind
from halte.notifications.service import notify

from .enums import RequestStatus
from .models import Programme, WorkshopRequest

# From which states each step may start.
ASSIGNABLE = (RequestStatus.REQUESTED, RequestStatus.ASSIGNED, RequestStatus.CONFIRMED)
CANCELLABLE = (RequestStatus.REQUESTED, RequestStatus.ASSIGNED, RequestStatus.CONFIRMED)
UPCOMING = (RequestStatus.ASSIGNED, RequestStatus.CONFIRMED)


class WorkshopRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _detail_url(workshop: WorkshopRequest) -> str:
    return reverse("prevention:request_detail", args=[workshop.public_id])


def _locked(workshop: WorkshopRequest) -> WorkshopRequest:
    return (
        WorkshopRequest.objects.select_for_update(of=("self",)).select_related("school", "provider").get(pk=workshop.pk)
    )


def _members_of(organisation) -> list:
    """The memberships of a provider that act as providers (confirm, record): the ones that see the workshop."""
    members = Membership.objects.active().filter(organisation=organisation).select_related("user", "organisation")
    return [m for m in members if has_capability(m, Capability.PROVIDE_WORKSHOPS) or can_assign(m)]


def _coordinators() -> list:
    return list(memberships_with(Capability.MANAGE_PREVENTION))


def may_cancel(membership, workshop: WorkshopRequest) -> bool:
    if can_assign(membership) or can_act_as_provider(membership, workshop):
        return True
    return can_request_workshop(membership) and membership.school.pk == workshop.school_id


def ineligibility_message(provider, day: date) -> str:
    """Why a provider may not receive a workshop on that day, in words for the coordinator."""
    if provider.kind != OrganisationKind.ASSOCIATION:
        return _("Seules une équipe de l’Éducation nationale ou une association agréée peuvent animer un atelier.")
    last = provider.approvals.filter(valid_from__lte=day).order_by("-valid_until").first()
    if last is not None and last.valid_until < day:
        return _(
            "L’agrément de cette association a expiré le %(date)s : elle ne peut pas recevoir de nouvel atelier."
        ) % {"date": last.valid_until.strftime("%d/%m/%Y")}
    return _("Cette association n’a pas d’agrément valable à la date prévue : elle ne peut pas recevoir d’atelier.")


def request_workshop(
    *,
    actor,
    theme: str,
    levels: list[str],
    pupil_count: int,
    classes: str = "",
    wished_dates: str = "",
    reason: str = "",
) -> WorkshopRequest:
    if not can_request_workshop(actor):
        raise WorkshopRefused(
            _("Seul le personnel d’un établissement peut demander un atelier pour son établissement.")
        )
    with transaction.atomic():
        workshop = WorkshopRequest.objects.create(
            school=actor.school,
            requested_by=actor,
            theme=theme,
            levels=list(levels),
            classes=classes,
            pupil_count=pupil_count,
            wished_dates=wished_dates,
            reason=reason,
        )
        notify(
            memberships=_coordinators(),
            kind="workshop_request",
            title=_("Nouvelle demande d’atelier : %(school)s") % {"school": workshop.school.name},
            url=_detail_url(workshop),
        )
    return workshop


def assign(
    *,
    request: WorkshopRequest,
    provider,
    scheduled_at: datetime,
    actor,
    programme: Programme | None = None,
) -> WorkshopRequest:
    if not can_assign(actor):
        raise WorkshopRefused(_("Seule la coordination attribue les ateliers."))
    day = timezone.localdate(scheduled_at)
    with transaction.atomic():
        workshop = _locked(request)
        if workshop.status not in ASSIGNABLE:
            raise WorkshopRefused(
                _("Cette demande est « %(status)s » : elle ne peut plus être attribuée.")
                % {"status": workshop.get_status_display()}
            )
        if not is_eligible_provider(provider, day):
            raise WorkshopRefused(ineligibility_message(provider, day))
        if programme is not None and (programme.provider_id != provider.pk or not programme.is_active):
            raise WorkshopRefused(_("Cet atelier n’est pas proposé par l’intervenant choisi."))
        previous_provider = workshop.provider
        workshop.provider = provider
        workshop.programme = programme
        workshop.scheduled_at = scheduled_at
        workshop.assigned_by = actor
        workshop.confirmed_at = None
        workshop.status = RequestStatus.ASSIGNED
        workshop.save(update_fields=["provider", "programme", "scheduled_at", "assigned_by", "confirmed_at", "status"])
        title = _("Atelier attribué : %(school)s le %(date)s") % {
            "school": workshop.school.name,
            "date": timezone.localtime(scheduled_at).strftime("%d/%m/%Y"),
        }
        notify(memberships=_members_of(provider), kind="workshop_assigned", title=title, url=_detail_url(workshop))
        notify(memberships=[workshop.requested_by], kind="workshop_assigned", title=title, url=_detail_url(workshop))
        if previous_provider is not None and previous_provider.pk != provider.pk:
            notify(
                memberships=_members_of(previous_provider),
                kind="workshop_withdrawn",
                title=_("Atelier retiré : %(school)s") % {"school": workshop.school.name},
                url=reverse("prevention:requests"),
            )
    return workshop


def confirm(*, request: WorkshopRequest, actor) -> WorkshopRequest:
    with transaction.atomic():
        workshop = _locked(request)
        if not can_act_as_provider(actor, workshop):
            raise WorkshopRefused(_("Seul l’intervenant choisi peut confirmer cet atelier."))
        if workshop.status != RequestStatus.ASSIGNED:
            raise WorkshopRefused(
                _("Cette demande est « %(status)s » : il n’y a rien à confirmer.")
                % {"status": workshop.get_status_display()}
            )
        workshop.status = RequestStatus.CONFIRMED
        workshop.confirmed_at = timezone.now()
        workshop.save(update_fields=["status", "confirmed_at"])
        notify(
            memberships=[*_coordinators(), workshop.requested_by],
            kind="workshop_confirmed",
            title=_("Atelier confirmé par l’intervenant : %(school)s") % {"school": workshop.school.name},
            url=_detail_url(workshop),
        )
    return workshop


def record_delivery(
    *,
    request: WorkshopRequest,
    actor,
    delivered_on: date,
    pupils_reached: int,
    delivered_classes: str = "",
    facilitators: str = "",
    feedback_positive: int | None = None,
    feedback_negative: int | None = None,
    notes: str = "",
) -> WorkshopRequest:
    if delivered_on > timezone.localdate():
        raise WorkshopRefused(_("Un atelier ne peut pas être déclaré réalisé à une date future."))
    if pupils_reached < 1:
        raise WorkshopRefused(_("Indiquez le nombre d’élèves touchés."))
    feedback = (feedback_positive or 0) + (feedback_negative or 0)
    if feedback > pupils_reached:
        raise WorkshopRefused(_("Il y a plus d’avis que d’élèves touchés."))
    with transaction.atomic():
        workshop = _locked(request)
        if not can_act_as_provider(actor, workshop):
            raise WorkshopRefused(_("Seul l’intervenant choisi peut déclarer cet atelier réalisé."))
        if workshop.status != RequestStatus.CONFIRMED:
            raise WorkshopRefused(
                _("Cette demande est « %(status)s » : confirmez d’abord l’atelier avant de déclarer sa réalisation.")
                % {"status": workshop.get_status_display()}
            )
        workshop.status = RequestStatus.DELIVERED
        workshop.delivered_on = delivered_on
        workshop.delivered_classes = delivered_classes
        workshop.pupils_reached = pupils_reached
        workshop.facilitators = facilitators
        workshop.feedback_positive = feedback_positive
        workshop.feedback_negative = feedback_negative
        workshop.delivery_notes = notes
        workshop.save()
        notify(
            memberships=[*_coordinators(), workshop.requested_by],
            kind="workshop_delivered",
            title=_("Atelier réalisé : %(school)s") % {"school": workshop.school.name},
            url=_detail_url(workshop),
        )
    return workshop


def cancel(*, request: WorkshopRequest, actor, reason: str) -> WorkshopRequest:
    reason = (reason or "").strip()
    if not reason:
        raise WorkshopRefused(_("Donnez le motif de l’annulation."))
    with transaction.atomic():
        workshop = _locked(request)
        if not may_cancel(actor, workshop):
            raise WorkshopRefused(_("Vous ne pouvez pas annuler cette demande."))
        if workshop.status not in CANCELLABLE:
            raise WorkshopRefused(
                _("Cette demande est « %(status)s » : elle ne peut plus être annulée.")
                % {"status": workshop.get_status_display()}
            )
        workshop.status = RequestStatus.CANCELLED
        workshop.cancel_reason = reason
        workshop.save(update_fields=["status", "cancel_reason"])
        members = [*_coordinators(), workshop.requested_by]
        if workshop.provider is not None:
            members += _members_of(workshop.provider)
        notify(
            memberships=[m for m in members if m.user_id != actor.user_id],
            kind="workshop_cancelled",
            title=_("Atelier annulé : %(school)s") % {"school": workshop.school.name},
            url=_detail_url(workshop),
        )
    return workshop


def add_programme(
    *,
    actor,
    title: str,
    theme: str,
    levels: list[str],
    duration_minutes: int,
    group_size: int,
    description: str = "",
) -> Programme:
    if actor.organisation.kind not in (OrganisationKind.ASSOCIATION, OrganisationKind.EDUCATION):
        raise WorkshopRefused(_("Seul un intervenant peut proposer un atelier."))
    with transaction.atomic():
        return Programme.objects.create(
            provider=actor.organisation,
            title=title,
            theme=theme,
            levels=list(levels),
            duration_minutes=duration_minutes,
            group_size=group_size,
            description=description,
        )
