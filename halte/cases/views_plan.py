"""Screens of the action plan and of the follow-up: « Nos actions », adding, completing and cancelling
actions, extra follow-up checkpoints, and the judicial « ne pas informer la famille » flag.

Thin views, as in :mod:`halte.cases.views`: fetch through a scoped query (404 outside it), check the
predicate of :mod:`halte.access.cases` (403), validate the form, call one action, redirect.
An action is fetched through ``visible_actions`` and ``can_see_action``: the members of its owner
organisation reach it even when they do not see its case.
"""

from datetime import timedelta

from django.contrib import messages
from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import cases as access
from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.core import submission
from halte.core.paging import BoundedPaginator

from . import actions, clocks
from .enums import ActionStatus, Compartment
from .forms import (
    ActionForm,
    CancelActionForm,
    CompleteActionForm,
    ExtraFollowUpForm,
    MyActionsFilterForm,
)
from .models import Action
from .views import _back, _case_for, _invalid, _once, _refused, _require

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
    visible = access.visible_cases(membership).filter(pk=OuterRef("case_id"))
    rows = (
        _owed_rows(membership, status, now)
        .select_related("case", "owner__user", "done_by__user")
        .annotate(case_visible=Exists(visible))
    )
    page = BoundedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = []
    for action in page:
        item = {"action": action, "badge": _badge(action, now)}
        if action.status == ActionStatus.OPEN:
            prefix = f"action-{action.pk}"
            item["complete_form"] = CompleteActionForm(prefix=prefix, initial={"back": "list"})
            item["cancel_form"] = CancelActionForm(prefix=prefix, initial={"back": "list"})
        items.append(item)
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


# --- Completing and cancelling an action -----------------------------------------------------------


def _action_for(request, action_id) -> Action:
    queryset = access.visible_actions(request.membership).select_related("case", "owner_organisation")
    action = get_object_or_404(queryset, public_id=action_id)
    if not access.can_see_action(request.membership, action):
        raise Http404
    return action


def _after_action(request, action: Action):
    """Back where the member came from: the case page when asked and visible, else « Nos actions »."""
    wants_case = request.POST.get(f"action-{action.pk}-back") == "case"
    if wants_case and access.visible_cases(request.membership).filter(pk=action.case_id).exists():
        return _back(action.case)
    return redirect("cases:my_actions")


def _finish(request, action_id, *, form_class, field: str, finish, missing: str, done: str):
    """Complete or cancel an action: the same checks, one note or reason, back where the member was."""
    action = _action_for(request, action_id)
    _require(access.can_complete_action(request.membership, action))
    form = form_class(request.POST, prefix=f"action-{action.pk}")
    if not form.is_valid():
        messages.error(request, missing)
        return _after_action(request, action)
    try:
        finish(action=action, actor=request.membership, **{field: form.cleaned_data[field]})
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return _after_action(request, action)


@policy.requires(Capability.READ_CASES)
@require_POST
def complete_action(request, action_id):
    return _finish(
        request,
        action_id,
        form_class=CompleteActionForm,
        field="note",
        finish=actions.complete_action,
        missing=_("Rien n’a été enregistré : indiquez ce qui a été fait."),
        done=_("Action enregistrée comme faite."),
    )


@policy.requires(Capability.READ_CASES)
@require_POST
def cancel_action(request, action_id):
    return _finish(
        request,
        action_id,
        form_class=CancelActionForm,
        field="reason",
        finish=actions.cancel_action,
        missing=_("Rien n’a été enregistré : indiquez le motif de l’annulation."),
        done=_("Action annulée."),
    )


# --- On the case page ------------------------------------------------------------------------------


@policy.requires(Capability.READ_CASES)
@require_POST
def add_action(request, public_id):
    case = _case_for(request, public_id)
    _require(access.can_add_action(request.membership, case))
    judicial = access.can_read(request.membership, case, Compartment.JUDICIAL)
    form = ActionForm(request.POST, case=case, judicial=judicial, prefix="action")
    if not form.is_valid():
        return _invalid(request, case, form)
    data = form.cleaned_data
    try:
        with _once(request, form, case):
            actions.create_action(
                case=case,
                actor=request.membership,
                title=data["title"],
                owner_organisation=data["owner_organisation"],
                owner=data["owner"],
                due_at=data["due_at"],
                compartment=Compartment.JUDICIAL if data.get("judicial") else Compartment.CORE,
            )
    except submission.AlreadySubmitted as already:
        return submission.already_done(request, already)
    except actions.ActionRefused as refused:
        return _refused(request, case, refused.message)
    messages.success(request, _("Action ajoutée au plan d’action. La structure responsable est prévenue."))
    return _back(case)


@policy.requires(Capability.READ_CASES)
@require_POST
def add_follow_up(request, public_id):
    case = _case_for(request, public_id)
    _require(access.can_record_follow_up(request.membership, case))
    form = ExtraFollowUpForm(request.POST, case=case, prefix="extra")
    if not form.is_valid():
        return _invalid(request, case, form)
    try:
        with _once(request, form, case):
            actions.add_follow_up(case=case, actor=request.membership, due_on=form.cleaned_data["due_on"])
    except submission.AlreadySubmitted as already:
        return submission.already_done(request, already)
    except actions.ActionRefused as refused:
        return _refused(request, case, refused.message)
    messages.success(request, _("Point de suivi supplémentaire prévu."))
    return _back(case)
