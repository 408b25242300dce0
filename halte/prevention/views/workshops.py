"""Workshop screens: requests and their life (assign, confirm, deliver, cancel), programmes,
approvals, and the iCalendar export of upcoming sessions.

Thin views: fetch through ``visible_requests`` (404 outside it), check the predicate (403), validate
the form, call one action of ``prevention.workshops``, redirect. Pages shared by schools, the
coordination and providers carry the weakest common rule (USE_STAFF_AREA) and check the finer
capability inside.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.access.policy import Capability, has_capability
from halte.access.prevention import can_act_as_provider, can_assign, can_request_workshop, visible_requests
from halte.accounts.models import Organisation, OrganisationKind
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.core import submission
from halte.core.icalendar import ics_document, ics_escape, ics_time
from halte.forms import form_status

from .. import approvals as approval_actions
from .. import workshops as actions
from ..enums import RequestStatus, Theme
from ..forms_workshops import ApprovalForm, AssignForm, CancelForm, DeliveryForm, ProgrammeForm, RequestForm
from ..models import Approval, Programme, WorkshopRequest

PAGE_SIZE = 50
PREVENTION_CAPABILITIES = (
    Capability.REQUEST_WORKSHOPS,
    Capability.MANAGE_PREVENTION,
    Capability.PROVIDE_WORKSHOPS,
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _takes_part(membership) -> bool:
    return any(has_capability(membership, capability) for capability in PREVENTION_CAPABILITIES)


def _workshop_for(request, public_id) -> WorkshopRequest:
    queryset = visible_requests(request.membership).select_related(
        "school", "provider", "programme", "requested_by__user"
    )
    return get_object_or_404(queryset, public_id=public_id)


def _provider_choices(today=None) -> list[tuple[Organisation, str]]:
    """Education teams and associations, each labelled with the state of its approval.

    Associations without a valid approval are listed too: the action refuses them with a message
    that says why, which helps more than an option that silently is not there.
    """
    today = today or timezone.localdate()
    organisations = Organisation.objects.filter(
        is_active=True, kind__in=[OrganisationKind.EDUCATION, OrganisationKind.ASSOCIATION]
    ).order_by("kind", "name")
    by_organisation: dict[int, list[Approval]] = defaultdict(list)
    for approval in Approval.objects.filter(organisation__in=organisations).order_by("-valid_until"):
        by_organisation[approval.organisation_id].append(approval)
    choices = []
    for organisation in organisations:
        if organisation.kind == OrganisationKind.EDUCATION:
            label = _("%(name)s (Éducation nationale)") % {"name": organisation}
        else:
            approvals = by_organisation[organisation.pk]
            valid = [a for a in approvals if a.is_valid_on(today)]
            if valid:
                label = _("%(name)s (agrément valable jusqu’au %(date)s)") % {
                    "name": organisation,
                    "date": max(a.valid_until for a in valid).strftime("%d/%m/%Y"),
                }
            elif approvals and approvals[0].valid_until < today:
                label = _("%(name)s (agrément expiré le %(date)s)") % {
                    "name": organisation,
                    "date": approvals[0].valid_until.strftime("%d/%m/%Y"),
                }
            else:
                label = _("%(name)s (sans agrément valable)") % {"name": organisation}
        choices.append((organisation, label))
    return choices


def _programme_choices() -> list[Programme]:
    return list(Programme.objects.filter(is_active=True).select_related("provider"))


def _assign_form(workshop=None, data=None, *, providers, programmes, auto_id="id_%s") -> AssignForm:
    initial = {}
    if workshop is not None and workshop.provider_id:
        initial = {
            "provider": str(workshop.provider_id),
            "programme": str(workshop.programme_id or ""),
            "scheduled_at": timezone.localtime(workshop.scheduled_at) if workshop.scheduled_at else None,
        }
    return AssignForm(data, initial=initial, providers=providers, programmes=programmes, auto_id=auto_id)


# --- Requests ------------------------------------------------------------------------------------


@policy.requires(Capability.USE_STAFF_AREA)
def request_list(request):
    membership = request.membership
    _require(_takes_part(membership))
    workshops = visible_requests(membership).select_related("school", "provider", "programme")
    status = request.GET.get("etat", "")
    if status in RequestStatus.values:
        workshops = workshops.filter(status=status)
    page = Paginator(workshops.order_by("-requested_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    coordinating = can_assign(membership)
    rows = []
    if coordinating:
        providers, programmes = _provider_choices(), _programme_choices()
    for workshop in page:
        form = None
        if coordinating and workshop.status == RequestStatus.REQUESTED:
            form = _assign_form(providers=providers, programmes=programmes, auto_id=f"id_{workshop.public_id}_%s")
        rows.append({"workshop": workshop, "assign_form": form})
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": RequestStatus.choices,
        "can_request": can_request_workshop(membership),
        "coordinating": coordinating,
    }
    return render(request, "prevention/workshops/list.html", context)


@policy.requires(Capability.REQUEST_WORKSHOPS)
def request_new(request):
    _require(can_request_workshop(request.membership))
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
                workshop = actions.request_workshop(actor=request.membership, **submission.fields(form))
                spent.leads_to(reverse("prevention:request_detail", args=[workshop.public_id]))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already, fallback="prevention:requests")
        messages.success(request, _("Demande d’atelier envoyée à la coordination de la cellule."))
        return redirect("prevention:request_detail", workshop.public_id)
    context = {"form": form, "school": request.membership.school}
    return render(request, "prevention/workshops/new.html", context, status=form_status(request))


@policy.requires(Capability.USE_STAFF_AREA)
def request_detail(request, public_id):
    membership = request.membership
    workshop = _workshop_for(request, public_id)
    context: dict = {"workshop": workshop, "assign_form": None, "delivery_form": None, "cancel_form": None}
    if can_assign(membership) and workshop.status in actions.ASSIGNABLE:
        context["assign_form"] = _assign_form(workshop, providers=_provider_choices(), programmes=_programme_choices())
    provider = can_act_as_provider(membership, workshop)
    context["can_confirm"] = provider and workshop.status == RequestStatus.ASSIGNED
    if provider and workshop.status == RequestStatus.CONFIRMED:
        context["delivery_form"] = DeliveryForm(initial={"delivered_on": timezone.localdate()})
    if actions.may_cancel(membership, workshop) and workshop.status in actions.CANCELLABLE:
        context["cancel_form"] = CancelForm()
    return render(request, "prevention/workshops/detail.html", context)


def _back(workshop):
    return redirect("prevention:request_detail", workshop.public_id)


def _invalid(request, workshop, form):
    errors = "; ".join(str(e) for field in form.errors.values() for e in field)
    messages.error(request, _("Rien n’a été enregistré : %(errors)s") % {"errors": errors})
    return _back(workshop)


def _perform(request, workshop, action, success: str, **kwargs):
    try:
        action(request=workshop, actor=request.membership, **kwargs)
    except actions.WorkshopRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, success)
    return _back(workshop)


@policy.requires(Capability.MANAGE_PREVENTION)
@require_POST
def assign(request, public_id):
    workshop = _workshop_for(request, public_id)
    _require(can_assign(request.membership))
    form = _assign_form(data=request.POST, providers=_provider_choices(), programmes=_programme_choices())
    if not form.is_valid():
        return _invalid(request, workshop, form)
    data = form.cleaned_data
    return _perform(
        request,
        workshop,
        actions.assign,
        _("Atelier attribué à %(provider)s.") % {"provider": data["provider"]},
        provider=data["provider"],
        programme=data["programme"],
        scheduled_at=data["scheduled_at"],
    )


@policy.requires(Capability.PROVIDE_WORKSHOPS)
@require_POST
def confirm(request, public_id):
    workshop = _workshop_for(request, public_id)
    _require(can_act_as_provider(request.membership, workshop))
    return _perform(request, workshop, actions.confirm, _("Atelier confirmé."))


@policy.requires(Capability.PROVIDE_WORKSHOPS)
@require_POST
def deliver(request, public_id):
    workshop = _workshop_for(request, public_id)
    _require(can_act_as_provider(request.membership, workshop))
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        return _invalid(request, workshop, form)
    return _perform(request, workshop, actions.record_delivery, _("Réalisation enregistrée."), **form.cleaned_data)


@policy.requires(Capability.USE_STAFF_AREA)
@require_POST
def cancel(request, public_id):
    workshop = _workshop_for(request, public_id)
    _require(actions.may_cancel(request.membership, workshop))
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _invalid(request, workshop, form)
    return _perform(request, workshop, actions.cancel, _("Demande annulée."), reason=form.cleaned_data["reason"])


# --- Programmes and approvals --------------------------------------------------------------------


@policy.requires(Capability.USE_STAFF_AREA)
def programmes(request):
    membership = request.membership
    _require(_takes_part(membership))
    may_add = has_capability(membership, Capability.PROVIDE_WORKSHOPS) or can_assign(membership)
    form = ProgrammeForm(request.POST or None) if may_add else None
    if request.method == "POST":
        _require(may_add)
        assert form is not None
        if form.is_valid():
            try:
                with submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=request.path):
                    actions.add_programme(actor=membership, **submission.fields(form))
            except submission.AlreadySubmitted as already:
                return submission.already_done(request, already)
            except actions.WorkshopRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("Atelier ajouté à l’offre."))
                return redirect("prevention:programmes")
    offer = Programme.objects.filter(is_active=True).select_related("provider").order_by("provider__name", "title")
    context = {"programmes": offer, "form": form}
    return render(request, "prevention/workshops/programmes.html", context, status=form_status(request))


@policy.requires(Capability.USE_STAFF_AREA)
def approvals(request):
    """The coordination sees and records every approval; an association sees its own."""
    membership = request.membership
    coordinating = can_assign(membership)
    _require(coordinating or has_capability(membership, Capability.PROVIDE_WORKSHOPS))
    form = None
    if coordinating:
        associations = Organisation.objects.filter(kind=OrganisationKind.ASSOCIATION, is_active=True).order_by("name")
        form = ApprovalForm(request.POST or None, request.FILES or None, associations=list(associations))
    if request.method == "POST":
        _require(coordinating)
        assert form is not None
        if form.is_valid():
            try:
                with submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=request.path):
                    approval_actions.add_approval(actor=membership, **submission.fields(form))
            except submission.AlreadySubmitted as already:
                return submission.already_done(request, already)
            except actions.WorkshopRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("Agrément enregistré."))
                return redirect("prevention:approvals")
    rows = Approval.objects.select_related("organisation").order_by("organisation__name", "-valid_until")
    if not coordinating:
        rows = rows.filter(organisation=membership.organisation)
    today = timezone.localdate()
    themes = dict(Theme.choices)
    listed = [
        {
            "approval": a,
            "themes": [themes.get(t, t) for t in a.themes],
            "valid": a.is_valid_on(today),
            "expired": a.valid_until < today,
        }
        for a in rows
    ]
    return render(
        request, "prevention/workshops/approvals.html", {"rows": listed, "form": form}, status=form_status(request)
    )


# --- iCalendar export (RFC 5545) -----------------------------------------------------------------


USUAL_SESSION_MINUTES = 120


def ics_calendar(workshops, now: datetime) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "halte"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Halte//Ateliers de prevention//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(_('Ateliers de prévention'))}",
    ]
    for workshop in workshops:
        summary = _("Atelier %(theme)s — %(school)s") % {
            "theme": workshop.get_theme_display(),
            "school": workshop.school.name,
        }
        description = _("Intervenant : %(provider)s. État : %(status)s. %(url)s") % {
            "provider": workshop.provider or "—",
            "status": workshop.get_status_display(),
            "url": settings.SITE_URL + workshop_url(workshop),
        }
        lines += [
            "BEGIN:VEVENT",
            f"UID:{workshop.public_id}@{host}",
            f"DTSTAMP:{ics_time(now)}",
            f"DTSTART:{ics_time(workshop.scheduled_at)}",
        ]
        # Every event ends (RFC 5545: without DTEND a timed event lasts no time at all, and calendars
        # show a dot): the programme's length, or a usual session's when none is chosen yet.
        minutes = workshop.programme.duration_minutes if workshop.programme is not None else USUAL_SESSION_MINUTES
        lines.append(f"DTEND:{ics_time(workshop.scheduled_at + timedelta(minutes=minutes))}")
        lines += [
            f"SUMMARY:{ics_escape(summary)}",
            f"LOCATION:{ics_escape(f'{workshop.school.name}, {workshop.school.commune}')}",
            f"DESCRIPTION:{ics_escape(description)}",
            "STATUS:CONFIRMED" if workshop.status == RequestStatus.CONFIRMED else "STATUS:TENTATIVE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ics_document(lines)


def workshop_url(workshop) -> str:
    return reverse("prevention:request_detail", args=[workshop.public_id])


@policy.requires(Capability.USE_STAFF_AREA)
def calendar(request):
    _require(_takes_part(request.membership))
    now = timezone.now()
    upcoming = (
        visible_requests(request.membership)
        .filter(status__in=actions.UPCOMING, scheduled_at__gte=now)
        .select_related("school", "provider", "programme")
        .order_by("scheduled_at", "id")
    )
    shown = list(upcoming)
    record_request(
        AuditAction.PREVENTION_CALENDAR_READ,
        request,
        detail={"file": "ateliers.ics", "workshops": [str(workshop.public_id) for workshop in shown]},
    )
    response = HttpResponse(ics_calendar(shown, now), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ateliers.ics"'
    return response


urlpatterns = [
    path("ateliers/", request_list, name="requests"),
    path("ateliers/demander/", request_new, name="request_new"),
    path("ateliers/programmes/", programmes, name="programmes"),
    path("ateliers/calendrier.ics", calendar, name="calendar"),
    path("ateliers/<uuid:public_id>/", request_detail, name="request_detail"),
    path("ateliers/<uuid:public_id>/attribuer/", assign, name="assign"),
    path("ateliers/<uuid:public_id>/confirmer/", confirm, name="confirm"),
    path("ateliers/<uuid:public_id>/realisation/", deliver, name="deliver"),
    path("ateliers/<uuid:public_id>/annuler/", cancel, name="cancel"),
    path("agrements/", approvals, name="approvals"),
]
