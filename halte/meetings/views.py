"""Meeting screens: the list, planning (schedule, edit, cancel, agenda, invitations, attendance),
the meeting page, the minutes of one agenda item, and the .ics file.

Thin views: fetch through ``access.meetings.visible_meetings`` (404 outside it), check the predicate
(403), validate a form, call one function of :mod:`halte.meetings.actions`, redirect. Pages that show
case references or minutes journal their read (``meetings.read``).
"""

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case as Choose
from django.db.models import Count, F, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import cases as case_access
from halte.access import meetings as access
from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.core import submission
from halte.forms import form_status
from halte.interventions import families

from . import actions, agenda, emails, ical
from .forms import (
    DEFAULT_TITLE,
    AddItemForm,
    AttendanceForm,
    CancelForm,
    DecisionFormSet,
    EnrolForm,
    HeldEarlierForm,
    HeldMeetingForm,
    InvitationForm,
    MeetingForm,
    MinutesForm,
    ProposalForm,
    decision_form_kwargs,
)
from .models import AgendaItem, Meeting
from .panels import enrollable_meetings

PAGE_SIZE = 25


def _meeting_for(request, public_id) -> Meeting:
    meetings = access.visible_meetings(request.membership).select_related("organiser__user", "organiser__organisation")
    return get_object_or_404(meetings, public_id=public_id)


def _item_for(meeting: Meeting, item_id) -> AgendaItem:
    return get_object_or_404(meeting.items.select_related("case", "minutes_by__user"), public_id=item_id)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _back(meeting: Meeting):
    return redirect("meetings:detail", meeting.public_id)


def _errors(*forms) -> str:
    return "; ".join(str(error) for form in forms for errors in form.errors.values() for error in errors)


def _invalid(request, meeting: Meeting, *forms):
    messages.error(request, _("Rien n’a été enregistré : %(errors)s") % {"errors": _errors(*forms)})
    return _back(meeting)


# --- List ------------------------------------------------------------------------------------------


@policy.requires(Capability.READ_CASES)
def meeting_list(request):
    """The coordination sees every meeting; others the meetings they are invited to. Upcoming first."""
    now = timezone.now()
    sees_invitations = access.can_see_invitations(request.membership)
    meetings = (
        access.visible_meetings(request.membership)
        .annotate(
            is_past=Choose(When(starts_at__lt=now, then=Value(1)), default=Value(0)),
            upcoming_at=Choose(When(starts_at__gte=now, then=F("starts_at")), default=None),
            cases=Count("items", distinct=True),
        )
        .order_by("is_past", F("upcoming_at").asc(nulls_last=True), "-starts_at", "-id")
    )
    if sees_invitations:  # even how many people are invited: the coordination only
        meetings = meetings.annotate(invited=Count("invitations", distinct=True))
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "can_plan": access.can_plan(request.membership),
        "can_see_invitations": sees_invitations,
        "now": now,
    }
    return render(request, "meetings/list.html", context)


# --- Planning the meeting --------------------------------------------------------------------------


def _create_once(request, form, create, done: str):
    """Create a meeting from a valid form, once per submission token (a double click leads to the
    meeting the first click made); None when the form or the action refused."""
    try:
        with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
            meeting = create(actor=request.membership, **form.meeting_fields())
            spent.leads_to(reverse("meetings:detail", args=[meeting.public_id]))
    except submission.AlreadySubmitted as already:
        return submission.already_done(request, already, fallback="meetings:list")
    except actions.MeetingRefused as refused:
        form.add_error(None, refused.message)
        return None
    messages.success(request, done)
    return _back(meeting)


@policy.requires(Capability.PLAN_MEETINGS)
def schedule(request):
    form = MeetingForm(request.POST or None, initial={"title": DEFAULT_TITLE})
    if request.method == "POST" and form.is_valid():
        done = _("Réunion programmée. Préparez maintenant l’ordre du jour et les invitations.")
        if response := _create_once(request, form, actions.schedule, done):
            return response
    return render(request, "meetings/form.html", {"form": form, "meeting": None}, status=form_status(request))


@policy.requires(Capability.PLAN_MEETINGS)
def record_held(request):
    """A meeting that has already taken place: recorded with its real date, then its minutes."""
    form = HeldMeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _("Réunion enregistrée comme tenue. Ajoutez maintenant les dossiers examinés et leur compte rendu.")
        if response := _create_once(request, form, actions.record_held, done):
            return response
    return render(request, "meetings/held_form.html", {"form": form}, status=form_status(request))


@policy.requires(Capability.PLAN_MEETINGS)
def edit(request, public_id):
    meeting = _meeting_for(request, public_id)
    if meeting.status != Meeting.Status.PLANNED:
        messages.error(request, _("Seule une réunion prévue peut être modifiée."))
        return _back(meeting)
    form = MeetingForm(request.POST or None, initial=MeetingForm.initial_for(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            updated = actions.update(meeting=meeting, actor=request.membership, **form.meeting_fields())
        except actions.MeetingRefused as refused:
            form.add_error(None, refused.message)
        else:
            if updated.sequence != meeting.sequence:
                messages.success(request, _("Réunion modifiée. Les personnes déjà invitées reçoivent la mise à jour."))
            else:
                messages.info(request, _("Rien n’a changé."))
            return _back(meeting)
    return render(request, "meetings/form.html", {"form": form, "meeting": meeting}, status=form_status(request))


@policy.requires(Capability.PLAN_MEETINGS)
def cancel(request, public_id):
    meeting = _meeting_for(request, public_id)
    if meeting.status != Meeting.Status.PLANNED:
        messages.error(request, _("Seule une réunion prévue peut être annulée."))
        return _back(meeting)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.cancel(meeting=meeting, actor=request.membership, reason=form.cleaned_data["reason"])
        except actions.MeetingRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Réunion annulée. Les personnes invitées reçoivent l’annulation."))
            return _back(meeting)
    return render(request, "meetings/cancel.html", {"form": form, "meeting": meeting}, status=form_status(request))


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def mark_held(request, public_id):
    meeting = _meeting_for(request, public_id)
    held_at = None
    if request.POST.get("day") or request.POST.get("start"):  # brought forward: when it really began
        form = HeldEarlierForm(request.POST)
        if not form.is_valid():
            return _invalid(request, meeting, form)
        held_at = form.cleaned_data["held_at"]
    try:
        actions.mark_held(meeting=meeting, actor=request.membership, held_at=held_at)
    except actions.MeetingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Réunion marquée comme tenue."))
    return _back(meeting)


# --- The meeting page ------------------------------------------------------------------------------


@policy.requires(Capability.READ_CASES)
def detail(request, public_id):
    meeting = _meeting_for(request, public_id)
    membership = request.membership
    planner = access.can_plan(membership)
    sees_invitations = access.can_see_invitations(membership)
    # The whole list for the coordination; anyone else sees only their own invitation.
    if sees_invitations:
        invitations = list(meeting.invitations.select_related("membership__user", "membership__organisation"))
        own_invitation = None
    else:
        invitations = []
        own_invitation = meeting.invitations.filter(membership=membership).select_related("membership__user").first()
    items = list(
        meeting.items.select_related("case")
        .prefetch_related("case__shares", "case__other_schools")  # compartments() per case without queries
        .annotate(decision_count=Count("decisions"))
        .order_by("position", "id")
    )
    known = access.visible_case_ids(membership, [item.case for item in items])
    rows = []
    for item in items:
        visible = item.case_id in known
        rows.append(
            {"item": item, "known": visible, "core": visible and access.can_read_minutes(membership, item.case)}
        )
    record_request(
        AuditAction.MEETING_READ,
        request,
        target=meeting,
        detail={"cases": [item.case.reference for item in items if item.case_id in known]},
    )
    context = {
        "meeting": meeting,
        "when": emails.when(meeting),
        "invitations": invitations,
        "can_see_invitations": sees_invitations,
        "own_invitation": own_invitation,
        "rows": rows,
        "can_plan": planner,
        "is_planned": meeting.status == Meeting.Status.PLANNED,
        "is_cancelled": meeting.status == Meeting.Status.CANCELLED,
        "has_started": meeting.starts_at <= timezone.now(),
        "can_download": access.can_download_invitation(membership, meeting),
    }
    if planner and meeting.status != Meeting.Status.CANCELLED:
        proposals = agenda.propose(meeting)
        context.update(
            attendance_form=AttendanceForm(invitations=invitations) if invitations else None,
            add_form=AddItemForm(),
            proposals=proposals,
            proposal_form=ProposalForm(
                proposals=proposals, initial={"cases": [str(p.case.public_id) for p in proposals]}
            )
            if proposals
            else None,
        )
    return render(request, "meetings/detail.html", context)


# --- Agenda ----------------------------------------------------------------------------------------


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def accept_proposal(request, public_id):
    meeting = _meeting_for(request, public_id)
    form = ProposalForm(request.POST, proposals=agenda.propose(meeting))
    if not form.is_valid():
        return _invalid(request, meeting, form)
    try:
        items = actions.accept_proposal(meeting=meeting, actor=request.membership, case_ids=form.cleaned_data["cases"])
    except actions.MeetingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(count)d dossier(s) inscrit(s) à l’ordre du jour.") % {"count": len(items)})
    return _back(meeting)


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def add_item(request, public_id):
    meeting = _meeting_for(request, public_id)
    form = AddItemForm(request.POST)
    if not form.is_valid():
        return _invalid(request, meeting, form)
    case = case_access.visible_cases(request.membership).filter(reference=form.cleaned_data["reference"]).first()
    if case is None:
        messages.error(request, _("Aucun dossier ne porte cette référence."))
        return _back(meeting)
    try:
        actions.add_item(meeting=meeting, actor=request.membership, case=case)
    except actions.MeetingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Dossier %(reference)s inscrit à l’ordre du jour.") % {"reference": case.reference})
    return _back(meeting)


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def remove_item(request, public_id, item_id):
    meeting = _meeting_for(request, public_id)
    item = _item_for(meeting, item_id)
    try:
        actions.remove_item(item=item, actor=request.membership)
    except actions.MeetingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Dossier retiré de l’ordre du jour."))
    return _back(meeting)


def _move(request, public_id, item_id, offset: int):
    meeting = _meeting_for(request, public_id)
    item = _item_for(meeting, item_id)
    try:
        actions.move_item(item=item, actor=request.membership, offset=offset)
    except actions.MeetingRefused as refused:
        messages.error(request, refused.message)
    return _back(meeting)


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def move_up(request, public_id, item_id):
    return _move(request, public_id, item_id, -1)


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def move_down(request, public_id, item_id):
    return _move(request, public_id, item_id, +1)


# --- Invitations and attendance --------------------------------------------------------------------


@policy.requires(Capability.PLAN_MEETINGS)
def invitations(request, public_id):
    meeting = _meeting_for(request, public_id)
    if meeting.status != Meeting.Status.PLANNED:
        messages.error(request, _("Les invitations ne s’envoient que pour une réunion prévue."))
        return _back(meeting)
    form = InvitationForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            result = actions.send_invitations(meeting=meeting, actor=request.membership, memberships=form.chosen())
        except actions.MeetingRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _("Invitations envoyées : %(sent)d ; invitations retirées : %(removed)d.")
                % {"sent": result.sent, "removed": result.removed},
            )
            return _back(meeting)
    return render(request, "meetings/invitations.html", {"form": form, "meeting": meeting}, status=form_status(request))


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def attendance(request, public_id):
    meeting = _meeting_for(request, public_id)
    form = AttendanceForm(request.POST, invitations=meeting.invitations.select_related("membership__user"))
    if not form.is_valid():
        return _invalid(request, meeting, form)
    try:
        changed = actions.record_attendance(meeting=meeting, actor=request.membership, values=form.values())
    except actions.MeetingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Présences enregistrées (%(count)d modifiée(s)).") % {"count": changed})
    return _back(meeting)


@policy.requires(Capability.READ_CASES)
def invitation_ics(request, public_id):
    meeting = _meeting_for(request, public_id)
    _require(access.can_download_invitation(request.membership, meeting))
    # One's own file: the organiser and oneself (if invited), never the other people invited.
    attendees = [request.membership] if access.is_invited(request.membership, meeting) else []
    method = ical.CANCEL if meeting.status == Meeting.Status.CANCELLED else ical.REQUEST
    text = emails.calendar_for(meeting, attendees, method=method)
    record_request(AuditAction.MEETING_READ, request, target=meeting, detail={"file": "invitation.ics"})
    response = HttpResponse(text.encode("utf-8"), content_type=f"text/calendar; method={method}; charset=utf-8")
    day = timezone.localtime(meeting.starts_at, timezone.get_default_timezone()).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="reunion-cellule-{day}.ics"'
    response["Cache-Control"] = "no-store"
    return response


# --- Minutes of one case ---------------------------------------------------------------------------


def _due_at(day) -> datetime:
    """A decision is due by the end of its day, Paris time."""
    return datetime.combine(day, time(23, 59), tzinfo=timezone.get_default_timezone())


@policy.requires(Capability.READ_CASES)
def item_detail(request, public_id, item_id):
    meeting = _meeting_for(request, public_id)
    item = _item_for(meeting, item_id)
    membership = request.membership
    if not access.visible_case_ids(membership, [item.case]):
        raise Http404
    _require(access.can_read_minutes(membership, item.case))
    can_write = access.can_write_minutes(membership, item)
    posted = request.method == "POST"
    if posted:
        _require(can_write)
    form = formset = None
    if can_write:
        form = MinutesForm(request.POST if posted else None, initial={"minutes": item.minutes}, prefix="cr")
        proposes_share = case_access.can_share(membership, item.case)
        formset = DecisionFormSet(
            request.POST if posted else None,
            prefix="decisions",
            form_kwargs={
                **decision_form_kwargs(),
                "proposes_share": proposes_share,
                "share_allowed": case_access.share_compartments_for(membership, item.case),
            },
        )
        if posted:
            form_ok, formset_ok = form.is_valid(), formset.is_valid()
            asks_confirmation = False
            if form_ok and formset_ok:
                decisions = [
                    actions.DecisionData(
                        title=f.cleaned_data["title"],
                        owner_organisation=f.cleaned_data["owner_organisation"],
                        owner=f.cleaned_data["owner"],
                        due_at=_due_at(f.cleaned_data["due_on"]),
                        share_with=f.share_request(),
                    )
                    for f in formset.forms
                    if f.has_changed()
                ]
                # A text naming a held family (« recevoir le père d’Enzo ») is said, and kept only once the
                # writer confirms it plans no contact with that family (interventions.families).
                mentions = families.held_mentions(
                    item.case, form.cleaned_data["minutes"], *[decision.title for decision in decisions]
                )
                if mentions and not request.POST.get("hold_confirmed"):
                    form.add_error(None, families.mentions_warning(mentions))
                    asks_confirmation = True
            if form_ok and formset_ok and not asks_confirmation:
                try:
                    # One post, one set of decisions: a double click does not create the actions twice.
                    with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
                        actions.record_minutes(
                            item=item, actor=membership, minutes=form.cleaned_data["minutes"], decisions=decisions
                        )
                        spent.leads_to(reverse("meetings:item", args=[meeting.public_id, item.public_id]))
                except submission.AlreadySubmitted as already:
                    return submission.already_done(request, already, fallback="meetings:list")
                except actions.MeetingRefused as refused:
                    form.add_error(None, refused.message)
                else:
                    messages.success(request, _("Compte rendu enregistré."))
                    _say_who_works_without_the_case(request, item.case, decisions)
                    return redirect("meetings:item", meeting.public_id, item.public_id)
    record_request(
        AuditAction.MEETING_READ,
        request,
        target=item.case,
        detail={"meeting": str(meeting.public_id), "compartments": [case_access.CORE]},
    )
    readable = case_access.compartments(membership, item.case)
    taken = item.decisions.filter(action__compartment__in=readable).select_related(
        "action__owner_organisation", "action__owner__user"
    )
    context = {
        "meeting": meeting,
        "item": item,
        "case": item.case,
        "decisions": taken,
        "form": form,
        "formset": formset,
        "has_started": meeting.starts_at <= timezone.now(),
        "can_write": can_write,
        # Who already reads the case through a share: the decision form says who will need one.
        "proposes_share": can_write and case_access.can_share(membership, item.case),
        "shared_with": case_access.shared_with_names(membership, item.case) if can_write else [],
        "family_caution": can_write and bool(families.case_holds(item.case)),
    }
    return render(request, "meetings/item.html", context, status=form_status(request))


def _say_who_works_without_the_case(request, case, decisions) -> None:
    """An organisation given a decision without a share, and that cannot read the case: it works
    from the action's page (the action, the school, the person to contact). Said, not refused."""
    for decision in decisions:
        organisation = decision.owner_organisation
        if decision.share_with is None and not case_access.organisation_reads(organisation, case, case_access.CORE):
            messages.warning(
                request,
                _(
                    "%(org)s n’a pas accès au dossier %(ref)s : elle voit seulement l’action, l’établissement "
                    "et la personne à contacter. Partagez le dossier si l’action le demande."
                )
                % {"org": organisation.name, "ref": case.reference},
            )


# --- From the case page ----------------------------------------------------------------------------


@policy.requires(Capability.PLAN_MEETINGS)
@require_POST
def enrol(request, case_id):
    """« Inscrire à l’ordre du jour » from the case page."""
    case = get_object_or_404(case_access.visible_cases(request.membership), public_id=case_id)
    _require(access.can_enrol(request.membership, case))
    form = EnrolForm(request.POST, meetings=enrollable_meetings(case))
    if not form.is_valid():
        messages.error(request, _("Rien n’a été enregistré : %(errors)s") % {"errors": _errors(form)})
        return redirect("cases:detail", case.public_id)
    meeting = form.cleaned_data["meeting"]
    try:
        actions.add_item(meeting=meeting, actor=request.membership, case=case)
    except actions.MeetingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Dossier inscrit à l’ordre du jour de la réunion du %(when)s.") % {"when": emails.short_when(meeting)},
        )
    return redirect("cases:detail", case.public_id)
