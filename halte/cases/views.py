"""Case screens: triage, lists, the case page by compartment, and the forms that act on a case.

Thin views: fetch through ``visible_cases`` (404 outside it), check the predicate (403), validate the
form, call one action, redirect. Every display of a case page is journaled with the compartments
shown.
"""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from halte.access import cases as access
from halte.access import policy
from halte.access import reports as report_access
from halte.access import timeline as access_timeline
from halte.access.policy import Capability
from halte.access.today import reports_to_triage
from halte.accounts.models import Membership
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.core import paging, references, submission
from halte.core.paging import BoundedPaginator
from halte.forms import form_status
from halte.reports import actions as report_actions

from . import actions, clocks, page, panels, people, severity, workflow
from . import deadlines as clock_deadlines
from .enums import OPEN_STATES, ActionStatus, Compartment, State, TriageOutcome
from .forms import (
    AssignForm,
    CaseFilterForm,
    CloseForm,
    CriteriaForm,
    FollowUpForm,
    LinkForm,
    NoteForm,
    PersonForm,
    ReasonedTransitionForm,
    ReassessForm,
    ShareForm,
    SummaryForm,
    TriageForm,
    VersionedForm,
)
from .models import Action, Case, FollowUp, Involvement, Person, Share
from .triage import candidates_for, pupil_proposals, waiting_twins_for

PAGE_SIZE = 25


def _case_for(request, public_id) -> Case:
    return get_object_or_404(access.visible_cases(request.membership), public_id=public_id)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- Triage --------------------------------------------------------------------------------------


@policy.requires(Capability.TRIAGE_REPORTS)
def triage(request, public_id):
    report = get_object_or_404(report_access.visible_reports(request.membership), public_id=public_id)
    _require(access.can_triage(request.membership))
    if hasattr(report, "triage"):
        messages.info(request, _("Ce signalement a déjà été trié."))
        return redirect("reports:detail", report.public_id)
    qualification = "bullying"
    initial = CriteriaForm.initial_from(severity.criteria_from_report(report), qualification)
    posted = request.method == "POST"
    data, link_reference = _proposal_choice(request.POST) if posted else (request.POST, "")
    criteria_form = CriteriaForm(data if posted else None, initial=initial, prefix="c")
    deciding = posted and "decide" in data
    triage_form = TriageForm(data if deciding else None, prefix="t")
    pupils = pupil_proposals(report, data if posted else None, bound=deciding)
    assessment = None
    if criteria_form.is_valid():
        assessment = severity.assess(criteria_form.criteria(), criteria_form.cleaned_data["qualification"])
    elif not posted:
        assessment = severity.assess(severity.criteria_from_report(report), qualification)
    if deciding and criteria_form.is_valid() and triage_form.is_valid() and _pupils_valid(triage_form, pupils):
        chosen = triage_form.cleaned_data
        visible = access.visible_cases(request.membership)
        attach_to = link_to = None
        if chosen["attach_to"]:
            attach_to = visible.filter(reference=references.typed(chosen["attach_to"])).first()
            if attach_to is None:
                triage_form.add_error("attach_to", _("Aucun dossier ne porte cette référence."))
        if link_reference:
            link_to = visible.filter(reference=references.typed(link_reference)).first()
            if link_to is None:
                triage_form.add_error(None, _("Aucun dossier ne porte cette référence."))
        if not triage_form.errors:
            decision = actions.TriageDecision(
                outcome=chosen["outcome"],
                qualification=criteria_form.cleaned_data["qualification"],
                criteria=criteria_form.criteria(),
                reason=chosen["reason"],
                override_priority=chosen["override_priority"],
                override_reason=chosen["override_reason"],
                attach_to=attach_to,
                follow_up_on=chosen["follow_up_on"],
                redirected_to=chosen["redirected_to"],
                link_to=link_to,
                pupils=_kept_pupils(pupils),
                confirm_other_school=chosen["confirm_other_school"],
            )
            try:
                result = actions.triage_report(report=report, actor=request.membership, decision=decision)
            except actions.ActionRefused as refused:
                triage_form.add_error(None, refused.message)
            else:
                messages.success(
                    request, _("Signalement trié : %(outcome)s.") % {"outcome": result.get_outcome_display()}
                )
                if result.case:
                    return redirect("cases:detail", result.case.public_id)
                return redirect("reports:queue")
    # Reading the report to triage it is reading it: the safety net of unread reports stops. The pupil
    # records of the school proposed for reuse are shown too: journaled, as on the « add a person » page.
    suggested = sorted({str(s.person.public_id) for proposal in pupils for s in proposal.form.suggestions})
    first_read = report_actions.mark_read(report=report, actor=request.membership)
    if not first_read or suggested:
        detail = {"page": "triage", **({"suggested": suggested} if suggested else {})}
        record_request(AuditAction.REPORT_READ, request, target=report, detail=detail)
    found = candidates_for(report)
    if not triage_form.is_bound and not found:
        # Nothing already open or closed may tell the same story: what comes next is opening the case.
        # With candidates the coordinator chooses between them and a new case; nothing is picked for her.
        triage_form.initial["outcome"] = TriageOutcome.OPEN_CASE
    context = {
        "report": report,
        "waiting_twins": waiting_twins_for(report, reports_to_triage(request.membership)),
        "proposals": [c for c in found if c.reopen],
        "candidates": [c for c in found if not c.reopen],
        "criteria_form": criteria_form,
        "triage_form": triage_form,
        "pupils": pupils,
        "assessment": assessment,
    }
    # « Réévaluer la priorité » posts the page without deciding: shown again, nothing refused.
    return render(request, "cases/triage.html", context, status=400 if deciding else 200)


# Decisions that give the report a case, and so the case its people.
WITH_A_CASE = (TriageOutcome.OPEN_CASE, TriageOutcome.HAND_BACK, TriageOutcome.ATTACH)


def _pupils_valid(triage_form, pupils) -> bool:
    """The pupils' confirmations matter only to a decision that gives the report a case."""
    if triage_form.cleaned_data["outcome"] not in WITH_A_CASE:
        return True
    return all(proposal.form.is_valid() for proposal in pupils)


def _kept_pupils(pupils) -> list[actions.ReportedPupilChoice]:
    kept = []
    for proposal in pupils:
        form = proposal.form
        if not form.is_valid() or form.cleaned_data["decision"] != "keep":
            continue
        data = form.cleaned_data
        kept.append(
            actions.ReportedPupilChoice(
                role=data["role"],
                person=form.chosen_person(),
                first_name=data["first_name"],
                last_name=data["last_name"],
                class_name=data["class_name"],
            )
        )
    return kept


def _proposal_choice(posted):
    """The buttons of a closed-case proposal: « Rattacher et rouvrir » is the decision « attach » to
    that case; « Ouvrir un nouveau dossier lié » opens a case linked to it. Returns the form data to
    validate and the reference to link to (empty otherwise)."""
    if "reopen" in posted:
        values, reference = {"t-outcome": TriageOutcome.ATTACH, "t-attach_to": posted["reopen"]}, ""
    elif "link_new" in posted:
        values, reference = {"t-outcome": TriageOutcome.OPEN_CASE, "t-attach_to": ""}, posted["link_new"]
    else:
        return posted, ""
    data = posted.copy()
    for key, value in {"decide": "1", **values}.items():
        data[key] = value  # replaces (QueryDict.update would append)
    return data, reference


# --- Lists ---------------------------------------------------------------------------------------


def _repeat_exists():
    other = Involvement.objects.filter(person=OuterRef("person"), role__in=["victim", "alleged_author"]).exclude(
        case=OuterRef("case")
    )
    involved = Involvement.objects.filter(case=OuterRef("pk"), role__in=["victim", "alleged_author"]).filter(
        Exists(other)
    )
    return Exists(involved)


def _clock_prefetch() -> list:
    """What list pages prefetch: the clocks' rows and what ``access.compartments`` reads (so that the
    actions of a compartment the member does not read are left out), with no query per case."""
    return [*clocks.prefetch(), *access.COMPARTMENT_PREFETCH]


def _list_compartments(membership, case: Case) -> frozenset[str]:
    """What a list row counts: the core only, and only for who reads it. The list's RAG state and its
    « En retard » filter (``clocks.overdue_filter``) then agree, whoever looks."""
    return access.compartments(membership, case) & clocks.CORE_ONLY


@policy.requires(Capability.READ_CASES)
def case_list(request):
    if request.GET.get("q", "").strip():
        # Looking for a name or a reference is the staff search's job (scoped, fuzzy, journaled).
        return redirect(f"{reverse('www:search')}?{urlencode({'q': request.GET['q']})}")
    membership = request.membership
    form = CaseFilterForm(request.GET or None)
    cases = access.visible_cases(membership).filter(merged_into__isnull=True)
    data = form.cleaned_data if form.is_valid() else {}
    cases = cases.filter(state=data["state"]) if data.get("state") else cases.filter(state__in=OPEN_STATES)
    if data.get("priority"):
        cases = cases.filter(priority=data["priority"])
    if data.get("school"):
        cases = cases.filter(school__uai=data["school"].strip().upper())
    if data.get("overdue"):
        cases = cases.filter(clocks.overdue_filter(timezone.now()))
    if data.get("repeat"):
        cases = cases.filter(_repeat_exists())
    if data.get("mine"):
        cases = cases.filter(
            Q(lead=membership)
            | Exists(Case.co_workers.through.objects.filter(case_id=OuterRef("pk"), membership_id=membership.pk))
        )
    cases = (
        cases.select_related("school", "lead__user")
        .prefetch_related(*_clock_prefetch())
        .order_by("priority", "opened_at", "id")
    )
    page = BoundedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for case in page:
        case_clocks = clocks.clocks_for(case, now, readable=_list_compartments(membership, case))
        rows.append({"case": case, "rag": clocks.worst_state(case_clocks, now), "next": clocks.next_due(case_clocks)})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/list.html", {"form": form, "page": page, "rows": rows, "query": query.urlencode()})


# « Mes échéances » shows the soonest clocks of all the member's open cases, this many at most.
DEADLINES_SHOWN = 200


@policy.requires(Capability.READ_CASES)
def deadlines(request):
    """« Mes échéances »: clocks of my cases and actions my organisation owes, soonest first. The
    database computes every pending clock's due instant and returns the soonest
    (:mod:`halte.cases.deadlines`): the soonest are never missed, whatever the number of my cases, and
    the others are counted up to a bound."""
    membership = request.membership
    now = timezone.now()
    found = clock_deadlines.pending_clocks(membership, shown=DEADLINES_SHOWN, bound=paging.DEFAULT_LIMIT)
    for row in found.rows:
        row["state"] = row["clock"].state(now)
    owed = list(
        access.owed_actions(membership)
        .filter(status=ActionStatus.OPEN, case__in=access.visible_cases(membership))
        .select_related("case")
        .order_by("due_at", "id")[:200]
    )
    urls: dict[int, str] = {}
    for action in owed:  # each case's link reversed once
        if action.case_id not in urls:
            urls[action.case_id] = reverse("cases:detail", args=[action.case.public_id])
    owed_rows = [{"action": action, "case_url": urls[action.case_id]} for action in owed]
    context = {"due": found.rows, "further": found.further, "more": found.more, "owed": owed_rows, "now": now}
    return render(request, "cases/deadlines.html", context)


# --- The case page -------------------------------------------------------------------------------


TIMELINE_PAGE = 50


def _history_page(request) -> int:
    """The page of history asked for (``?historique=2``): 1 for anything that is not a page number."""
    try:
        return min(max(int(request.GET.get("historique", "1")), 1), 100_000)
    except ValueError:
        return 1


def _timeline_page(events, request) -> dict:
    """A page of the case's history, the most recent first (``?historique=2`` for the lines before):
    one query of at most two pages of rows, and no count, whatever the case's history. The page's lines
    are shown in the order they happened; the rows read beyond them say how many lines the link to the
    older page leads to (« Voir les 12 lignes plus anciennes »)."""
    number = _history_page(request)
    start = (number - 1) * TIMELINE_PAGE
    rows = list(events.order_by("-at", "-id")[start : start + 2 * TIMELINE_PAGE])
    older = len(rows) - TIMELINE_PAGE
    return {
        "events": rows[:TIMELINE_PAGE][::-1],
        "number": number,
        "older": number + 1 if older > 0 else None,
        "older_count": max(older, 0),
        "newer": number - 1 if number > 1 else None,
    }


def _page_context(request, case: Case, shown: frozenset[str]) -> dict:
    """What the case page and its print view show of the case: only the compartments in ``shown``.
    A fixed number of queries whatever the number of rows (pinned by tests/cases/test_case_page_scale.py)."""
    membership = request.membership
    now = timezone.now()
    context: dict = {
        "case": case,
        "shown": shown,
        "now": now,
        "can_core": Compartment.CORE in shown,
        "can_health": Compartment.HEALTH in shown,
        "can_judicial": Compartment.JUDICIAL in shown,
        "can_identity": Compartment.REPORTER_IDENTITY in shown,
        "can_manage": access.can_manage(membership, case),
        "can_share": access.can_share(membership, case),
        "can_access_log": access.can_see_access_log(membership, case),
        "timeline": _timeline_page(
            access_timeline.timeline(membership, case, readable=shown).select_related("actor__user"), request
        ),
    }
    if Compartment.CORE in shown:
        # The clocks' rows, with what the action rows show of them: one query each.
        shown_actions = Action.objects.select_related("owner_organisation", "owner__user", "done_by__user")
        prefetch_related_objects([case], "follow_ups", Prefetch("actions", queryset=shown_actions))
        case_clocks = clocks.clocks_for(case, now, readable=shown)
        follow_ups = list(case.follow_ups.all())
        involvements = list(case.involvements.select_related("person", "person__school").order_by("added_at", "id"))
        clock_rows = _clock_rows(case, case_clocks, now)
        action_rows = _action_rows(membership, case, shown, now)
        can_record = access.can_record_follow_up(membership, case) and case.state in OPEN_STATES
        context.update(
            clocks=clock_rows,
            rag=clocks.worst_state(case_clocks, now),
            involvements=involvements,
            people_rows=_people_rows(membership, case, involvements),
            reports=case.reports.prefetch_related("pupils"),
            assessments=case.assessments.select_related("assessed_by__user"),
            actions_list=action_rows,
            follow_ups=follow_ups,
            follow_up_rows=_follow_up_rows(follow_ups, can_record),
            links=[*case.links_out.select_related("to_case"), *case.links_in.select_related("from_case")],
            notes_core=case.notes.filter(compartment=Compartment.CORE).select_related("author__user"),
            transitions=workflow.available(case) if context["can_manage"] else [],
            closure_proposed=_closure_proposed(case, follow_ups),
            repeats=[{"repeat": r, "notice": people.presumption_notice(r)} for r in people.repeats_for_case(case)]
            if access.can_see_repeats(membership, case)
            else [],
            summary=page.summary(
                case,
                involvements=involvements,
                clock_rows=clock_rows,
                action_rows=action_rows,
                follow_ups=follow_ups,
                now=now,
                next_meeting=_next_meeting(case, now),
            ),
            can_write_core=access.can_write_note(membership, case, Compartment.CORE),
        )
        if access.can_add_action(membership, case):
            context["can_add_action"] = True
        if can_record:
            context["can_add_follow_up"] = True
    if context["can_share"]:
        shares = case.shares.all()  # prefetched with their organisation (_page_case)
        context["shares"] = [share for share in shares if access.can_manage_share(membership, share)]
    if context["can_health"]:
        context["notes_health"] = case.notes.filter(compartment=Compartment.HEALTH).select_related("author__user")
        context["can_write_health"] = access.can_write_note(membership, case, Compartment.HEALTH)
    if context["can_judicial"]:
        # « Ne pas informer » is set per family, on its own page (interventions.restriction_set).
        context["can_restrict_families"] = access.can_set_disclosure(membership, case)
        context["notes_judicial"] = case.notes.filter(compartment=Compartment.JUDICIAL).select_related("author__user")
        context["can_write_judicial"] = access.can_write_note(membership, case, Compartment.JUDICIAL)
    if context["can_identity"]:
        context["identities"] = [r for r in case.reports.all() if not r.is_anonymous]
    context["panels"] = panels.panels_for(request, case, shown)
    context["sections"] = page.sections(
        context, [page.Section(anchor, title) for anchor, title in panels.sections_of(context["panels"])]
    )
    return context


def _next_meeting(case: Case, now):
    """The next planned meeting of the cell with the case on its agenda (its date only: the meetings
    section of the page says the same to every core reader)."""
    from halte.meetings.models import Meeting

    return (
        Meeting.objects.filter(items__case=case, status=Meeting.Status.PLANNED, starts_at__gte=now)
        .order_by("starts_at", "id")
        .first()
    )


def _page_case(request, public_id) -> Case:
    """The case of the case page and its print view, with what every section reads of it: its school,
    its lead, and its shares (what ``access.compartments`` reads, and the shares section)."""
    queryset = access.visible_cases(request.membership).select_related("school", "lead__user")
    case = get_object_or_404(queryset, public_id=public_id)
    shares = Share.objects.select_related("organisation", "created_by__user")
    prefetch_related_objects([case], Prefetch("shares", queryset=shares), "other_schools")
    return case


@policy.requires(Capability.READ_CASES)
def detail(request, public_id):
    case = _page_case(request, public_id)
    shown = access.compartments(request.membership, case)
    detail: dict = {"compartments": sorted(shown)}
    if _history_page(request) > 1:
        detail["history_page"] = _history_page(request)  # older lines of the history were read
    record_request(AuditAction.CASE_READ, request, target=case, detail=detail)
    if not shown:
        # Shared with the organisation but nothing readable (e.g. expired compartment): say so, show nothing.
        return render(request, "cases/detail_empty.html", {"case": case})
    return render(request, "cases/detail.html", _page_context(request, case, shown))


@policy.requires(Capability.READ_CASES)
def print_view(request, public_id):
    """The case as the member reads it, to print: the same compartments as the case page, no form,
    journaled as a read of the case."""
    case = _page_case(request, public_id)
    shown = access.compartments(request.membership, case)
    record_request(AuditAction.CASE_READ, request, target=case, detail={"page": "print", "compartments": sorted(shown)})
    if not shown:
        return render(request, "cases/detail_empty.html", {"case": case})
    context = _page_context(request, case, shown)
    context.pop("action_form", None)
    context["printing"] = True
    return render(request, "cases/detail.html", context)


def _action_rows(membership, case: Case, shown, now) -> list[dict]:
    """The actions of the case the member reads (judicial ones for judicial readers only), each with
    its badge and whether the member may complete or cancel it."""
    rows = []
    actions_list = [action for action in case.actions.all() if action.compartment in shown]  # prefetched
    completable, cancellable = access.action_rights(membership, case, actions_list)
    for action in actions_list:
        action.case = case  # the case already fetched, its shares prefetched: no query per row
        row = {"action": action, "state": _action_state(action, case, now)}
        # Completing and cancelling are pages of their own (``views_plan``): a link per open action.
        row["can_complete"] = action.status == ActionStatus.OPEN and action.pk in completable
        row["can_cancel"] = action.status == ActionStatus.OPEN and action.pk in cancellable
        rows.append(row)
    return rows


def _action_state(action: Action, case: Case, now) -> str:
    if action.due_at is None:
        return clocks.DONE if action.status != ActionStatus.OPEN else ""
    stopped = None if case.state in OPEN_STATES else (case.closed_at or now)
    return clocks.action_clock(action, stopped).state(now)


# A clock of a case that is no longer open whose milestone was never reached: closing the case stopped it.
STOPPED = "stopped"


def _clock_rows(case: Case, case_clocks, now) -> list[dict]:
    """Each clock with its state. Closing a case stops its clocks (``clocks`` counts them as done, so
    that nothing is awaited any more); the page says which of them were never reached rather than
    « Fait le <date of the closure> »."""
    stopped = case.state not in OPEN_STATES
    return [{"clock": c, "state": STOPPED if stopped and not _reached(case, c) else c.state(now)} for c in case_clocks]


def _reached(case: Case, clock) -> bool:
    """The clock's own milestone is recorded: the action finished, the checkpoint done, the case's
    milestone set. Reads the follow-ups and actions the case page prefetched (no query)."""
    if clock.action_id is not None:
        return any(a.pk == clock.action_id and a.status != ActionStatus.OPEN for a in case.actions.all())
    if clock.day is not None:
        return any(f.day == clock.day and f.done_at is not None for f in case.follow_ups.all())
    return getattr(case, dict(clocks.MILESTONES)[clock.name]) is not None


def _follow_up_rows(follow_ups, can_record: bool) -> list[dict]:
    """Each checkpoint, with a link to its own form page where the member may record it (the first
    one pending stands out)."""
    rows = []
    first_pending = True
    for follow_up in follow_ups:
        row: dict = {"follow_up": follow_up}
        if follow_up.done_at is None and can_record:
            row["can_record"] = True
            row["open"] = first_pending
            first_pending = False
        rows.append(row)
    return rows


def _closure_proposed(case: Case, follow_ups) -> bool:
    """The last recorded checkpoint proposed closing, the case is still open, and it has not been
    reopened since that checkpoint (a case reopened on a new report is not closed on an old proposal)."""
    recorded = [f for f in follow_ups if f.done_at is not None]
    if not recorded or case.state not in OPEN_STATES:
        return False
    last = max(recorded, key=lambda f: f.done_at)
    if last.decision != FollowUp.Decision.CLOSE:
        return False
    reopened_at = case.transitions.filter(name="reopen").aggregate(at=Max("at"))["at"]
    return reopened_at is None or last.done_at > reopened_at


@policy.requires(Capability.READ_CASES)
def access_log(request, public_id):
    case = _case_for(request, public_id)
    _require(access.can_see_access_log(request.membership, case))
    record_request(AuditAction.CASE_READ, request, target=case, detail={"page": "access_log"})
    events = (
        AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.public_id))
        .exclude(membership__organisation_id__in=access.organisations_hidden_from_log(request.membership, case))
        .select_related("actor", "membership__organisation", "membership__user")
        .order_by("-at", "-id")
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    action_ids = {
        str(event.detail.get(key))
        for event in page
        for key in ("action", "action_id")
        if isinstance(event.detail, dict) and event.detail.get(key)
    }
    action_compartments = {
        str(public_id): compartment
        for public_id, compartment in Action.objects.filter(
            case=case, public_id__in=[value for value in action_ids if _is_uuid(value)]
        ).values_list("public_id", "compartment")
    }
    for event in page:
        touched = access.journal_entry_compartments(event.action, event.detail or {}, action_compartments)
        shown = access.can_see_journal_entry(request.membership, case, touched)
        # What the row says the person did (read by the template as ``event.shown_action``).
        event.shown_action = event.get_action_display() if shown else AuditAction.CASE_READ.label  # type: ignore[attr-defined]
    return render(request, "cases/access_log.html", {"case": case, "page": page})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- Forms acting on a case -----------------------------------------------------------------------


def _people_rows(membership, case, involvements=None):
    """The case's people, each with what makes them reachable: an adult's contact details, a pupil's
    guardians (one query for all of them). ``involvements``: those the case page already read."""
    from halte.access.interventions import can_add_guardian

    from .guardians import guardians_by_pupil

    if involvements is None:
        involvements = list(case.involvements.select_related("person", "person__school").order_by("added_at", "id"))
    pupils = [row.person for row in involvements if row.person.kind == "pupil"]
    links = guardians_by_pupil(pupils)
    may_edit = can_add_guardian(membership, case)
    return [{"involvement": row, "guardians": links.get(row.person_id), "may_edit": may_edit} for row in involvements]


def _back(case):
    return redirect("cases:detail", case.public_id)


def _once(request, form, case):
    """Spend the form's one-time token with what it creates; a second post comes back to the case."""
    url = reverse("cases:detail", args=[case.public_id])
    return submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=url)


def _refused(request, case, message):
    messages.error(request, message)
    return _back(case)


def _invalid(request, case, form):
    errors = "; ".join(str(e) for field in form.errors.values() for e in field)
    return _refused(request, case, _("Rien n’a été enregistré : %(errors)s") % {"errors": errors})


def _form_page(request, case, *, page_name: str, title, form, submit_label, **extra):
    """A form of the case page on its own page: the case's reference in the title, the form, a way
    back. Showing it is a read of the case (it names the case, and often some of its content)."""
    record_request(AuditAction.CASE_READ, request, target=case, detail={"page": page_name})
    context = {
        "case": case,
        "title": title,
        "form": form,
        "submit_label": submit_label,
        "back_url": reverse("cases:detail", args=[case.public_id]),
        **extra,
    }
    return render(request, "cases/form_page.html", context, status=form_status(request))


def _transition_form(spec, data=None, *, case):
    """The form of one change of state: closing asks for the outcome and the watch period, a few
    others for a reason, the rest for nothing but the version the page was built from."""
    if spec.name == "close":
        form_class: type[VersionedForm] = CloseForm
    elif spec.needs_reason:
        form_class = ReasonedTransitionForm
    else:
        form_class = VersionedForm
    return form_class(data, initial={"version": case.version}, auto_id=f"{spec.name}-%s")


@policy.requires(Capability.READ_CASES)
def do_transition(request, public_id, name):
    """Move the case to another state (closing it with its outcome and watch period): a page of its
    own, the case's version compared under lock so that nothing is saved over someone else's change."""
    case = _case_for(request, public_id)
    spec = workflow.TRANSITIONS.get(name)
    if spec is None:
        raise Http404  # no such change of state: the address does not exist
    _require(access.can_manage(request.membership, case))
    form = _transition_form(spec, request.POST if request.method == "POST" else None, case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kwargs = {}
        if name in ("close", "reopen", "redirect"):
            kwargs["reason"] = data.get("reason", "")
        if name == "close":
            kwargs["outcome"] = data["outcome"]
            kwargs["watch_days"] = workflow.DEFAULT_WATCH_DAYS if data["watch_days"] is None else data["watch_days"]
        try:
            actions.transition(
                case=case, actor=request.membership, name=name, expected_version=data["version"], **kwargs
            )
        except (actions.StaleCase, workflow.TransitionNotAllowed) as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("État du dossier mis à jour."))
            return _back(case)
    allowed = case.state in spec.sources
    if name == "close":
        title = _("Clore le dossier %(reference)s") % {"reference": case.reference}
        intro = _(
            "Si le harcèlement a cessé, clôturez le dossier : une période de veille garde des rappels après la clôture."
        )
    else:
        title = _("%(label)s — dossier %(reference)s") % {"label": spec.label, "reference": case.reference}
        intro = _("Le dossier passera de l’état « %(from)s » à l’état « %(to)s ».") % {
            "from": case.get_state_display(),
            "to": State(spec.target).label,
        }
    return _form_page(
        request,
        case,
        page_name=f"transition:{name}",
        title=title,
        form=form if allowed else None,
        submit_label=_("Clore le dossier") if name == "close" else spec.label,
        intro=intro,
        refusal=None
        if allowed
        else _("Ce changement n’est pas possible : le dossier est « %(state)s ».")
        % {"state": case.get_state_display()},
    )


@policy.requires(Capability.READ_CASES)
def edit_summary(request, public_id):
    """The summary of the situation, on its own page; saved only over the version it was read from."""
    case = _case_for(request, public_id)
    _require(access.can_manage(request.membership, case))
    posted = request.method == "POST"
    form = SummaryForm(request.POST if posted else None, initial={"summary": case.summary, "version": case.version})
    if posted and form.is_valid():
        try:
            actions.update_summary(
                case=case,
                actor=request.membership,
                summary=form.cleaned_data["summary"],
                expected_version=form.cleaned_data["version"],
            )
        except actions.StaleCase as stale:
            form.add_error(None, stale.message)
        else:
            messages.success(request, _("Résumé enregistré."))
            return _back(case)
    return _form_page(
        request,
        case,
        page_name="summary",
        title=_("Résumé de la situation — dossier %(reference)s") % {"reference": case.reference},
        form=form,
        submit_label=_("Enregistrer le résumé"),
    )


@policy.requires(Capability.READ_CASES)
def edit_assignment(request, public_id):
    """The lead and the co-workers of the case, on their own page."""
    case = _case_for(request, public_id)
    _require(access.can_manage(request.membership, case))
    members = Membership.objects.active().filter(role__in=access.CELL_ROLES).select_related("user", "organisation")
    posted = request.method == "POST"
    initial = {"lead": case.lead, "co_workers": list(case.co_workers.all()), "version": case.version}
    form = AssignForm(request.POST if posted else None, initial=initial, members=members)
    if posted and form.is_valid():
        try:
            actions.assign(
                case=case,
                actor=request.membership,
                lead=form.cleaned_data["lead"],
                co_workers=list(form.cleaned_data["co_workers"]),
                expected_version=form.cleaned_data["version"],
            )
        except actions.StaleCase as stale:
            form.add_error(None, stale.message)
        else:
            messages.success(request, _("Équipe du dossier enregistrée."))
            return _back(case)
    return _form_page(
        request,
        case,
        page_name="assignment",
        title=_("Responsable et co-intervenants — dossier %(reference)s") % {"reference": case.reference},
        form=form,
        submit_label=_("Enregistrer l’équipe"),
    )


@policy.requires(Capability.READ_CASES)
def reassess(request, public_id):
    case = _case_for(request, public_id)
    _require(access.can_manage(request.membership, case))
    latest = case.assessments.order_by("-version").first()
    initial = CriteriaForm.initial_from(
        severity.Criteria.from_dict(latest.criteria) if latest else severity.Criteria(), case.qualification
    )
    posted = request.method == "POST"
    criteria_form = CriteriaForm(request.POST if posted else None, initial=initial, prefix="c")
    form = ReassessForm(request.POST if posted else None, initial={"version": case.version}, prefix="r")
    assessment = (
        severity.assess(criteria_form.criteria(), criteria_form.cleaned_data["qualification"])
        if criteria_form.is_valid()
        else None
    )
    if posted and "decide" in request.POST and criteria_form.is_valid() and form.is_valid():
        try:
            actions.reassess(
                case=case,
                actor=request.membership,
                criteria=criteria_form.criteria(),
                qualification=criteria_form.cleaned_data["qualification"],
                expected_version=form.cleaned_data["version"],
                override_priority=form.cleaned_data["override_priority"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except (actions.StaleCase, actions.ActionRefused) as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Nouvelle évaluation enregistrée."))
            return _back(case)
    # The severity criteria name self-harm, sexual violence, a weapon: a read of the case.
    record_request(AuditAction.CASE_READ, request, target=case, detail={"page": "severity"})
    return render(
        request,
        "cases/reassess.html",
        {"case": case, "criteria_form": criteria_form, "form": form, "assessment": assessment},
        status=400 if posted and "decide" in request.POST else 200,
    )


@policy.requires(Capability.READ_CASES)
def add_share(request, public_id):
    """The case's shares, to revoke, and a new one: organisation, compartments, legal basis, expiry."""
    case = _case_for(request, public_id)
    _require(access.can_share(request.membership, case))
    allowed = access.share_compartments_for(request.membership, case)
    form = ShareForm(request.POST if request.method == "POST" else None, allowed=allowed)
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != submission.FIELD}
        try:
            with _once(request, form, case):
                row = actions.share(case=case, actor=request.membership, **fields)
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            if row.renewed:
                messages.success(
                    request,
                    _("Partage avec %(org)s renouvelé : %(labels)s, jusqu’au %(date)s.")
                    % {
                        "org": row.organisation.name,
                        "labels": ", ".join(row.compartment_labels),
                        "date": row.expires_on.strftime("%d/%m/%Y"),
                    },
                )
            else:
                messages.success(request, _("Dossier partagé."))
            return _back(case)
    return _form_page(
        request,
        case,
        page_name="shares",
        title=_("Partager le dossier %(reference)s") % {"reference": case.reference},
        form=form,
        submit_label=_("Partager"),
        shares=[
            share
            for share in case.shares.select_related("organisation", "created_by__user")
            if access.can_manage_share(request.membership, share)
        ],
    )


@policy.requires(Capability.READ_CASES)
@require_POST
def revoke_share(request, public_id, share_id):
    case = _case_for(request, public_id)
    _require(access.can_share(request.membership, case))
    share = get_object_or_404(
        Share.objects.select_related("organisation", "revoked_by__user"), case=case, public_id=share_id
    )
    share.case = case
    if not access.can_manage_share(request.membership, share):
        # A share of a compartment one may not share is never listed to them: it does not exist here.
        raise Http404
    if share.revoked_at is not None:  # a page kept open after someone revoked it
        messages.info(request, actions.share_already_revoked(share))
        return redirect("cases:share", case.public_id)
    try:
        actions.revoke_share(share=share, actor=request.membership)
    except actions.AlreadyDone as done:
        messages.info(request, done.message)
        return redirect("cases:share", case.public_id)
    except actions.ActionRefused as refused:
        return _refused(request, case, refused.message)
    messages.success(request, _("Partage révoqué."))
    return redirect("cases:share", case.public_id)


# The compartment of a note page, as its address says it (?volet=…).
NOTE_VOLETS = {"dossier": Compartment.CORE, "sante": Compartment.HEALTH, "judiciaire": Compartment.JUDICIAL}
NOTE_TITLES = {
    Compartment.CORE: gettext_lazy("Notes du dossier %(reference)s"),
    Compartment.HEALTH: gettext_lazy("Notes du volet santé et accompagnement — %(reference)s"),
    Compartment.JUDICIAL: gettext_lazy("Notes du volet judiciaire — %(reference)s"),
}


@policy.requires(Capability.READ_CASES)
def add_note(request, public_id):
    """The notes of one compartment and a new one, for who may write there (``?volet=sante``…)."""
    case = _case_for(request, public_id)
    if request.method == "POST":
        compartment = request.POST.get("compartment", "")
    else:
        compartment = NOTE_VOLETS.get(request.GET.get("volet", "dossier"), "")
    if compartment not in NOTE_TITLES:
        raise PermissionDenied
    _require(access.can_write_note(request.membership, case, compartment))
    form = NoteForm(request.POST if request.method == "POST" else None, initial={"compartment": compartment})
    if request.method == "POST" and form.is_valid():
        try:
            with _once(request, form, case):
                actions.add_note(
                    case=case, actor=request.membership, compartment=compartment, text=form.cleaned_data["text"]
                )
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        messages.success(request, _("Note ajoutée."))
        return _back(case)
    return _form_page(
        request,
        case,
        page_name=f"notes:{compartment}",
        title=NOTE_TITLES[compartment] % {"reference": case.reference},
        form=form,
        submit_label=_("Ajouter la note"),
        notes=case.notes.filter(compartment=compartment).select_related("author__user"),
    )


def _suggested(data) -> Person:
    """The existing record chosen with « C'est cette personne »: only one of the records the name typed
    brings (the page showed the best of them), so that an id taken elsewhere attaches no one's record.
    Of any kind: a record of the other kind is then refused by the roles rule, with its message."""
    suggestions = people.suggest_people(
        first_name=data["first_name"], last_name=data["last_name"], birth_date=data["birth_date"], limit=20
    )
    for suggestion in suggestions:
        if suggestion.person.public_id == data["existing"]:
            return suggestion.person
    raise Http404


@policy.requires(Capability.READ_CASES)
def add_person(request, public_id):
    """Add a person; first show existing people who look like the one typed in."""
    case = _case_for(request, public_id)
    _require(access.can_manage(request.membership, case))
    form = PersonForm(request.POST if request.method == "POST" else None)
    suggestions = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["existing"]:
            person = _suggested(data)
            try:
                with _once(request, form, case):
                    actions.add_person(case=case, actor=request.membership, role=data["role"], person=person)
            except submission.AlreadySubmitted as already:
                return submission.already_done(request, already)
            except actions.ActionRefused as refused:
                form.add_error("role", refused.message)
            else:
                messages.success(request, _("Personne ajoutée au dossier."))
                return _back(case)
        else:
            suggestions = people.suggest_people(
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                kind=data["kind"],
            )
        if not form.errors and (not suggestions or "create" in request.POST):
            try:
                with _once(request, form, case):
                    actions.add_person(
                        case=case,
                        actor=request.membership,
                        role=data["role"],
                        kind=data["kind"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        birth_date=data["birth_date"],
                        class_name=data["class_name"],
                        school=case.school if data["kind"] == "pupil" else None,
                        email=data["email"],
                        phone=data["phone"],
                        address=data["address"],
                    )
            except submission.AlreadySubmitted as already:
                return submission.already_done(request, already)
            except actions.ActionRefused as refused:
                form.add_error("role", refused.message)
            else:
                messages.success(request, _("Personne ajoutée au dossier."))
                return _back(case)
    # The page names the case's people and, when suggested, people already known in other cases.
    record_request(
        AuditAction.CASE_READ,
        request,
        target=case,
        detail={"page": "people", "suggested": [str(s.person.public_id) for s in suggestions]},
    )
    # Posted without « create », the suggestions are shown: nothing refused yet.
    status = 400 if form.errors else 200
    return render(
        request, "cases/add_person.html", {"case": case, "form": form, "suggestions": suggestions}, status=status
    )


@policy.requires(Capability.READ_CASES)
def record_follow_up(request, public_id, follow_up_id):
    """One follow-up checkpoint: the pupil's view, well-being, the decision. Recorded once (the
    action refuses a checkpoint already recorded)."""
    case = _case_for(request, public_id)
    _require(access.can_record_follow_up(request.membership, case))
    follow_up = get_object_or_404(FollowUp, case=case, public_id=follow_up_id)
    form = FollowUpForm(request.POST if request.method == "POST" else None, prefix=f"suivi-{follow_up.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_follow_up(follow_up=follow_up, actor=request.membership, **form.cleaned_data)
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            decision = form.cleaned_data["decision"]
            if decision == FollowUp.Decision.CLOSE and not access.can_manage(request.membership, case):
                # The school proposes; closing is the cell's (the proposal shows on the case page).
                messages.success(
                    request, _("Point de suivi enregistré. La proposition de clôture est transmise à la cellule.")
                )
                return _back(case)
            if decision == FollowUp.Decision.CLOSE:
                messages.success(
                    request, _("Point de suivi enregistré. Vous proposez la clôture : voici le formulaire.")
                )
                return redirect("cases:transition", case.public_id, "close")
            if decision == FollowUp.Decision.ESCALATE:
                messages.success(request, _("Point de suivi enregistré. La coordination est alertée."))
            else:
                messages.success(request, _("Point de suivi enregistré."))
            return _back(case)
    done = follow_up.done_at is not None
    return _form_page(
        request,
        case,
        page_name="follow_up",
        title=_("Point de suivi J+%(day)s — dossier %(reference)s")
        % {"day": follow_up.day, "reference": case.reference},
        form=None if done else form,
        submit_label=_("Enregistrer ce point de suivi"),
        intro=_(
            "Prévu le %(date)s. Demandez à l’élève comment la situation évolue selon lui ou elle, et notez ses mots."
        )
        % {"date": date_format(follow_up.due_on, "j F Y")},
        refusal=_("Ce point de suivi est déjà enregistré.") if done else None,
    )


@policy.requires(Capability.READ_CASES)
def link_case(request, public_id):
    """Link the case to another one, or merge it into another one, on its own page."""
    case = _case_for(request, public_id)
    _require(access.can_manage(request.membership, case))
    posted = request.method == "POST"
    form = LinkForm(request.POST if posted else None)
    if posted and form.is_valid():
        reference = references.typed(form.cleaned_data["other"])
        other = access.visible_cases(request.membership).filter(reference=reference).first()
        if other is None:
            form.add_error("other", _("Aucun dossier ne porte cette référence."))
        elif form.cleaned_data["kind"] == "merged" and not access.can_manage(request.membership, other):
            raise PermissionDenied
        else:
            try:
                if form.cleaned_data["kind"] == "merged":
                    target = actions.merge(
                        source=case, target=other, actor=request.membership, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Dossier fusionné."))
                    return _back(target)
                actions.link(case=case, other=other, actor=request.membership, reason=form.cleaned_data["reason"])
            except (actions.ActionRefused, workflow.TransitionNotAllowed) as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("Dossiers liés."))
                return _back(case)
    return _form_page(
        request,
        case,
        page_name="link",
        title=_("Lier ou fusionner le dossier %(reference)s") % {"reference": case.reference},
        form=form,
        submit_label=_("Enregistrer"),
    )


__all__ = ["State"]
