"""Screens of the action plan and of the follow-up: « Nos actions », adding, completing and cancelling
actions, extra follow-up checkpoints, and the judicial « ne pas informer la famille » flag.

Thin views, as in :mod:`halte.cases.views`: fetch through a scoped query (404 outside it), check the
predicate of :mod:`halte.access.cases` (403), validate the form, call one action, redirect.
An action is fetched through ``visible_actions`` and ``can_see_action``: the members of its owner
organisation reach it even when they do not see its case.
"""

from datetime import timedelta

from django.contrib import messages
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access import cases as access
from halte.access import policy
from halte.access.policy import Capability
from halte.accounts.models import Membership, Role
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.core import submission
from halte.core.paging import BoundedPaginator
from halte.directory.cells import departement_of
from halte.directory.switchboards import switchboard
from halte.forms import form_status
from halte.interventions import families

from . import actions, clocks
from .enums import ActionStatus, Compartment
from .forms import (
    ActionForm,
    CancelActionForm,
    CompleteActionForm,
    DifficultyForm,
    ExtraFollowUpForm,
    MyActionsFilterForm,
)
from .models import Action
from .views import _back, _case_for, _form_page, _once, _require

PAGE_SIZE = 25
FINISHED_WINDOW = timedelta(days=30)
FINISHED_FILTERS = ("finished", "done", "cancelled")


# --- « Nos actions » -------------------------------------------------------------------------------


def _owed_rows(membership, status: str, now):
    """The organisation's actions for one tab and filter, in the order of the page."""
    owed = access.owed_actions(membership)
    if status in FINISHED_FILTERS:
        rows = owed.exclude(status=ActionStatus.OPEN).filter(done_at__gte=now - FINISHED_WINDOW)
        if status in ("done", "cancelled"):
            rows = rows.filter(status=status)
        return rows.order_by("-done_at", "-id")
    rows = owed.filter(status=ActionStatus.OPEN)
    if status == "late":
        rows = rows.filter(due_at__lt=now)
    elif status == "soon":
        rows = rows.filter(due_at__gte=now, due_at__lte=now + clocks.ACTION_AMBER)
    # Late first (oldest due first), then due soon, then the others; without a due date last.
    return rows.order_by(F("due_at").asc(nulls_last=True), "id")


def _badge(action: Action, now) -> str:
    """red (late), amber (due within 24 hours), green, or "" without a due date / when finished."""
    if action.status != ActionStatus.OPEN or action.due_at is None:
        return ""
    if action.due_at < now:
        return clocks.RED
    if action.due_at <= now + clocks.ACTION_AMBER:
        return clocks.AMBER
    return clocks.GREEN


@policy.requires(Capability.READ_CASES)
def my_actions(request):
    """« Nos actions »: what the member's organisation owes, late first; finished ones in a second tab."""
    membership = request.membership
    now = timezone.now()
    form = MyActionsFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    rows = _owed_rows(membership, status, now).select_related("case", "owner__user", "done_by__user")
    page = BoundedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Which of the page's cases the member may open: asked for these cases only (as an annotation,
    # PostgreSQL read every visible case into a hash table to answer it).
    case_ids = {action.case_id for action in page}
    visible = set(access.visible_cases(membership).filter(pk__in=case_ids).values_list("pk", flat=True))
    items = []
    for action in page:
        action.case_visible = action.case_id in visible
        items.append({"action": action, "badge": _badge(action, now)})
    record_request(
        AuditAction.CASE_READ,
        request,
        detail={"page": "my_actions", "cases": sorted({item["action"].case.reference for item in items})},
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "items": items,
        "finished": status in FINISHED_FILTERS,
        "query": query.urlencode(),
        "organisation": membership.organisation,
    }
    return render(request, "cases/my_actions.html", context)


# --- The action's own page, completing, cancelling, reporting a difficulty ---------------------------


def _action_for(request, action_id) -> Action:
    queryset = access.visible_actions(request.membership).select_related(
        "case__school",
        "case__lead__user",
        "case__lead__organisation",
        "owner_organisation",
        "owner__user",
        "created_by__user",
        "created_by__organisation",
        "done_by__user",
    )
    action = get_object_or_404(queryset, public_id=action_id)
    if not access.can_open_action(request.membership, action):
        raise Http404
    return action


def _journal_action_read(request, action: Action, page: str) -> None:
    """The action's pages show its title and its case's reference, school and lead: a read of the case."""
    record_request(
        AuditAction.CASE_READ,
        request,
        target=action.case,
        detail={"page": page, "action": str(action.public_id), "compartments": [action.compartment]},
    )


def _contacts(action: Action) -> list[dict]:
    """Who the owner organisation calls about the action: the case lead, and whoever gave the action
    when it is someone else; without either, the coordination of the case's territory (its school's
    département, else the owner organisation's): never a coordinator of another département."""
    rows: list[dict] = []
    seen: set[int] = set()
    for membership, why in (
        (action.case.lead, _("Responsable du dossier")),
        (action.created_by, _("A confié l’action")),
    ):
        if membership is not None and membership.pk not in seen and membership.is_active:
            seen.add(membership.pk)
            rows.append({"membership": membership, "why": why, "switchboard": _switchboard(membership)})
    if not rows:
        departement = departement_of(action.case) or action.owner_organisation.departement
        if not departement:
            return rows
        coordinators = (
            Membership.objects.active()
            .filter(role=Role.COORDINATOR, organisation__departement=departement)
            .select_related("user", "organisation")
        )
        rows = [
            {"membership": m, "why": _("Coordination de la cellule"), "switchboard": _switchboard(m)}
            for m in coordinators[:3]
        ]
    return rows


def _switchboard(membership) -> str:
    """The number to call when the contact left none: her organisation's switchboard in the cell's
    directory of partners, else nothing (never « non renseigné »)."""
    if membership.user.phone:
        return ""
    return switchboard(membership.organisation)


@policy.requires(Capability.READ_CASES)
def action_detail(request, action_id):
    """The action's own page: what to do, by when, on which case, who asked and whom to call; the case
    itself only through a link, and only for who may open it."""
    action = _action_for(request, action_id)
    membership = request.membership
    _journal_action_read(request, action, "action")
    is_open = action.status == ActionStatus.OPEN
    context = {
        "action": action,
        "case": action.case,
        "badge": _badge(action, timezone.now()),
        "contacts": _contacts(action),
        "decision": getattr(action, "decision", None),
        "can_open_case": access.can_open_case_of_action(membership, action),
        "owes": access.owes_action(membership, action),
        "can_complete": is_open and access.can_complete_action(membership, action),
        "can_cancel": is_open and access.can_cancel_action(membership, action),
        "can_report": is_open and access.can_report_difficulty(membership, action),
        # A family of the case may not be contacted (« ne pas informer », here or on another case, or the
        # cell's exception): said where the call is prepared, in words that name neither family nor reason.
        "family_caution": is_open and bool(families.case_holds(action.case)),
    }
    return render(request, "cases/action.html", context)


def _action_page(request, action: Action, form, *, title: str, submit: str, intro: str = ""):
    context = {"action": action, "form": form, "title": title, "submit_label": submit, "intro": intro}
    return render(request, "cases/action_form.html", context, status=form_status(request))


def _finish(request, action_id, *, form_class, field: str, finish, allowed, title: str, submit: str, done: str):
    """Complete or cancel an action on its own page: one note or reason, then back to the action."""
    action = _action_for(request, action_id)
    _require(allowed(request.membership, action))
    prefix = f"action-{action.pk}"
    if action.status != ActionStatus.OPEN:  # done or cancelled meanwhile (another tab, someone else)
        messages.info(request, actions.action_already_finished(action))
        return redirect("cases:action", action.public_id)
    if request.method != "POST":
        _journal_action_read(request, action, field)
        # From the case page (« ?depuis=dossier »): back to the case once done.
        initial = {"back": "case"} if request.GET.get("depuis") == "dossier" else {}
        return _action_page(request, action, form_class(prefix=prefix, initial=initial), title=title, submit=submit)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            finish(action=action, actor=request.membership, **{field: form.cleaned_data[field]})
        except actions.AlreadyDone as already:
            messages.info(request, already.message)
            return redirect("cases:action", action.public_id)
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, done)
            return _after_action(request, action)
    _journal_action_read(request, action, field)
    return _action_page(request, action, form, title=title, submit=submit)


def _after_action(request, action: Action):
    """Back to the case when the member came from it and may open it, else to the action's page."""
    wants_case = request.POST.get(f"action-{action.pk}-back") == "case"
    if wants_case and access.can_open_case_of_action(request.membership, action):
        return _back(action.case)
    return redirect("cases:action", action.public_id)


@policy.requires(Capability.READ_CASES)
def complete_action(request, action_id):
    return _finish(
        request,
        action_id,
        form_class=CompleteActionForm,
        field="note",
        finish=actions.complete_action,
        allowed=access.can_complete_action,
        title=_("Marquer l’action comme faite"),
        submit=_("Enregistrer : action faite"),
        done=_("Action enregistrée comme faite."),
    )


@policy.requires(Capability.READ_CASES)
def cancel_action(request, action_id):
    return _finish(
        request,
        action_id,
        form_class=CancelActionForm,
        field="reason",
        finish=actions.cancel_action,
        allowed=access.can_cancel_action,
        title=_("Annuler l’action"),
        submit=_("Annuler cette action"),
        done=_("Action annulée."),
    )


@policy.requires(Capability.READ_CASES)
def report_difficulty(request, action_id):
    """« Signaler une difficulté »: the owner organisation tells the cell; the action stays open."""
    action = _action_for(request, action_id)
    _require(access.can_report_difficulty(request.membership, action))
    title, submit = _("Signaler une difficulté"), _("Envoyer à la cellule")
    intro = _(
        "Ce que vous écrivez rejoint l’historique du dossier ; la personne qui suit le dossier est prévenue. "
        "L’action reste à faire."
    )
    posted = request.method == "POST"
    form = DifficultyForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
                actions.report_difficulty(action=action, actor=request.membership, text=form.cleaned_data["text"])
                spent.leads_to(reverse("cases:action", args=[action.public_id]))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already, fallback="cases:my_actions")
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Difficulté transmise à la cellule."))
            return redirect("cases:action", action.public_id)
    _journal_action_read(request, action, "difficulty")
    return _action_page(request, action, form, title=title, submit=submit, intro=intro)


# --- On the case page ------------------------------------------------------------------------------


@policy.requires(Capability.READ_CASES)
def add_action(request, public_id):
    """« Ajouter une action » on its own page: the action, its owner, its due time, and the share the
    owner organisation needs when it cannot read the case."""
    case = _case_for(request, public_id)
    _require(access.can_add_action(request.membership, case))
    judicial = access.can_read(request.membership, case, Compartment.JUDICIAL)
    posted = request.method == "POST"
    form = ActionForm(
        request.POST if posted else None,
        case=case,
        judicial=judicial,
        share_allowed=access.share_compartments_for(request.membership, case),
        prefix="action",
    )
    if not access.can_share(request.membership, case):
        for name in ("share", *ActionForm.SHARE_DETAILS):
            del form.fields[name]
    if posted and form.is_valid():
        data = form.cleaned_data
        share_with = form.share_request() if "share" in form.fields else None
        try:
            with _once(request, form, case):
                actions.create_action(
                    case=case,
                    actor=request.membership,
                    title=data["title"],
                    owner_organisation=data["owner_organisation"],
                    owner=data["owner"],
                    due_at=data["due_at"],
                    compartment=form.compartment(),
                    share_with=share_with,
                )
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Action ajoutée au plan d’action. La structure responsable est prévenue."))
            organisation = data["owner_organisation"]
            if share_with is None and not access.organisation_reads(organisation, case, form.compartment()):
                messages.warning(
                    request,
                    _(
                        "%(org)s n’a pas accès à ce dossier : elle voit seulement l’action, l’établissement et la "
                        "personne à contacter. Partagez le dossier si l’action le demande."
                    )
                    % {"org": organisation.name},
                )
            return _back(case)
    record_request(AuditAction.CASE_READ, request, target=case, detail={"page": "add_action", "compartments": ["core"]})
    context = {
        "case": case,
        "form": form,
        "shared_with": access.shared_with_names(request.membership, case),
    }
    return render(request, "cases/add_action.html", context, status=form_status(request))


@policy.requires(Capability.READ_CASES)
def add_follow_up(request, public_id):
    """An extra follow-up checkpoint, on its own page like the other forms of the case."""
    case = _case_for(request, public_id)
    _require(access.can_record_follow_up(request.membership, case))
    posted = request.method == "POST"
    form = ExtraFollowUpForm(request.POST if posted else None, case=case, prefix="extra")
    if posted and form.is_valid():
        try:
            with _once(request, form, case):
                actions.add_follow_up(case=case, actor=request.membership, due_on=form.cleaned_data["due_on"])
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except actions.ActionRefused as refused:
            form.add_error("due_on", refused.message)
        else:
            messages.success(request, _("Point de suivi supplémentaire prévu."))
            return _back(case)
    return _form_page(
        request,
        case,
        page_name="add_follow_up",
        title=_("Point de suivi supplémentaire — dossier %(reference)s") % {"reference": case.reference},
        form=form,
        submit_label=_("Prévoir ce point de suivi"),
        intro=_("Un point avec l’élève en plus de ceux déjà prévus : demandez-lui comment la situation évolue."),
    )
