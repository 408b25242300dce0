"""The public reporting journey and the reporter's mailbox. No login, no IP address, no tracking.

The form is a sequence of small steps kept in the session (encrypted: ``drafts``) until the last one,
where everything is saved at once (report, pupils, files) or nothing is. The receipt code is rendered
in the response to that last POST and stored nowhere in clear, not even in the session.

The last step always tells the truth about the outcome: the receipt when the report is committed,
else a page saying that nothing was saved, or — the database having stopped answering during the
commit — that a retry will tell; a retry of the same draft finds a saved report by its submission
token and shows a code for it, never files a second one. While a step is open, a small script keeps
the session alive; a step posted after the session expired keeps what was posted and says so.
"""

import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError, IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.cases.feedback import reporter_status
from halte.core.faults import heal_connection
from halte.directory.models import School

from .. import actions, drafts, receipts, throttle, vault, voice
from ..enums import Channel
from ..forms import (
    STEP_TITLES,
    STEPS,
    FinishStep,
    PupilFormSet,
    ReceiptForm,
    ReporterMessageForm,
    SchoolSearchForm,
    SchoolStep,
    clean_text,
)
from ..models import AuthorKind, Report

logger = logging.getLogger(__name__)

# How long the keep-alive script pings while a step stays open: a day's school hours, not forever.
KEEP_ALIVE_FOR_SECONDS = 4 * 3600
MAILBOX_KEY = "halte_mailbox_report"
SLUGS = [slug for slug, _form in STEPS]


@policy.public
@never_cache
def quick_exit(request):
    """Forget everything this browser was doing here (draft, open mailbox), then leave for a neutral site."""
    request.session.flush()
    return redirect(settings.HALTE["QUICK_EXIT_URL"])


@policy.public
def danger(request):
    return render(request, "reports/public/danger.html")


@policy.public
@never_cache
def start(request):
    """The page before the form. « Commencer » is a POST: it opens the draft that every step needs."""
    if request.method == "POST":
        draft = drafts.load(request.session)
        draft.setdefault("token", secrets.token_hex(16))
        drafts.save(request.session, draft)
        request.session.pop(drafts.SENT_KEY, None)
        return redirect("reports:step", SLUGS[0])
    return render(request, "reports/public/start.html")


def _voice(draft: dict, posted_kind: str | None = None) -> str:
    return voice.voice_of(posted_kind or draft.get("qui", {}).get("reporter_kind"))


def reporter_voice(request) -> str:
    """The voice of the report in progress in this browser, for pages outside the steps."""
    return _voice(drafts.load(request.session))


def _step_context(slug: str, form, draft: dict) -> dict:
    index = SLUGS.index(slug)
    return {
        "form": form,
        "slug": slug,
        "step_number": index + 1,
        "step_count": len(SLUGS),
        "step_title": STEP_TITLES[slug],
        "next_title": STEP_TITLES[SLUGS[index + 1]] if index + 1 < len(SLUGS) else None,
        "previous_url": reverse("reports:step", args=[SLUGS[index - 1]]) if index else None,
        "danger_declared": draft.get("bien-etre", {}).get("immediate_danger") == "yes",
        # The keep-alive script pings three times per idle period while the page is visible.
        "keep_alive_seconds": max(5, settings.SESSION_COOKIE_AGE // 3),
        "keep_alive_for_seconds": KEEP_ALIVE_FOR_SECONDS,
        "error_lines": form.error_lines(),
    }


def _serialise(form) -> dict | list:
    if hasattr(form, "forms"):  # the pupils formset
        return [f.cleaned_data for f in form.forms if f.cleaned_data.get("first_name")]
    return {key: value for key, value in form.cleaned_data.items() if key != "files"}


def _no_draft(request, slug: str):
    """A step asked for while this browser has no report in progress.

    After « Quitter vite ce site » the draft is gone, and the Back button asks again for the steps
    it remembers (their responses are never stored: ``no-store``). Those requests leave for the
    neutral site, so that going back shows nothing of what was being written, not even an empty
    step. Only a draft just sent leads back to this site, to the page before the form. (A step
    posted after the draft lapsed is kept and shown back: ``_expired``.)
    """
    if request.method == "POST" or drafts.was_sent(request.session):
        return redirect("reports:start")
    return redirect(settings.HALTE["QUICK_EXIT_URL"])


@policy.public
@never_cache
def step(request, slug: str):
    if slug not in SLUGS:
        raise Http404
    draft = drafts.load(request.session)
    if not draft:
        if request.method == "POST" and slug != SLUGS[0] and not drafts.was_sent(request.session):
            # Posted after the draft lapsed: keep what was just written and say what happened.
            return _expired(request, slug, {"token": secrets.token_hex(16)})
        # The first step may still be posted: the draft opens with it.
        if not (request.method == "POST" and slug == SLUGS[0]):
            return _no_draft(request, slug)
        draft = {"token": secrets.token_hex(16)}
    for earlier in SLUGS[: SLUGS.index(slug)]:
        if earlier not in draft:
            return redirect("reports:step", earlier)
    form_class = dict(STEPS)[slug]
    posted_kind = request.POST.get("reporter_kind") if request.method == "POST" and slug == SLUGS[0] else None

    with voice.speaking(_voice(draft, posted_kind)):
        if slug == "etablissement":
            return _school_step(request, draft)
        if slug == "envoyer":
            # Once sent (``drafts.forget(sent=True)``), going back to a step leads to the page before
            # the form, not to the neutral site.
            return _finish_step(request, draft)

        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                draft[slug] = _serialise(form)
                draft.setdefault("token", secrets.token_hex(16))
                drafts.save(request.session, draft)
                return redirect("reports:step", SLUGS[SLUGS.index(slug) + 1])
            if form_class is PupilFormSet and not form.management_form.is_valid():
                # Its hidden fields came back broken: show the boxes again, with the one message.
                form = PupilFormSet(initial=draft.get(slug), carried_errors=form.non_form_errors())
        elif form_class is PupilFormSet:
            form = PupilFormSet(initial=draft.get(slug))
        else:
            form = form_class(initial=draft.get(slug))
        return render(request, "reports/public/step.html", _step_context(slug, form, draft))


def _school_step(request, draft: dict):
    """Step 2 is two forms: the search, and the choice. Enter in the search searches; Enter on a
    chosen school or in the name typed by hand continues with it, and erases nothing."""
    saved = draft.get("etablissement", {})
    posted = request.method == "POST"
    typed = request.POST.get("school_query") if posted else None
    query = clean_text(typed if typed is not None else saved.get("school_query", ""))[:100]
    matches = list(School.objects.open().search(query)[:20]) if query else []
    search = SchoolSearchForm(initial={"school_query": query})
    search_message = ""
    if posted and "search" in request.POST:
        form = SchoolStep(initial={**saved, "school_query": query}, matches=matches)
        if query and not matches:
            search_message = _("Aucune école ne correspond. Essaie un autre mot, ou écris son nom plus bas.")
            if voice.current() == voice.VOUS:
                search_message = _("Aucune école ne correspond. Essayez un autre mot, ou écrivez son nom plus bas.")
    elif posted:
        form = SchoolStep(request.POST, matches=matches)
        if form.is_valid():
            draft["etablissement"] = {**form.cleaned_data, "school_query": query}
            drafts.save(request.session, draft)
            return redirect("reports:step", "eleves")
    else:
        form = SchoolStep(initial=saved, matches=matches)
    context = _step_context("etablissement", form, draft)
    context.update(search=search, query=query, search_message=search_message, searched=bool(query))
    return render(request, "reports/public/step.html", context)


def _report_data(draft: dict, finish: dict) -> actions.ReportData:
    who, where, facts, wellbeing = draft["qui"], draft["etablissement"], draft["faits"], draft["bien-etre"]
    named = who["anonymity"] == "named"
    return actions.ReportData(
        channel=Channel.PUBLIC_FORM,
        submission_token=draft.get("token", ""),
        reporter_kind=who["reporter_kind"],
        is_anonymous=not named,
        reporter_name=who.get("reporter_name", ""),
        reporter_email=who.get("reporter_email", ""),
        reporter_phone=who.get("reporter_phone", ""),
        consent_to_contact=bool(finish.get("consent_to_contact")),
        school=School.objects.filter(uai=where.get("school") or "").first(),
        school_text=where.get("school_text", ""),
        forms=facts["bullying_forms"],
        platforms=facts["platforms"],
        since=facts["since"],
        frequency=facts["frequency"],
        places=facts["places"],
        description=facts["description"],
        distress_signs=wellbeing["distress_signs"],
        immediate_danger=wellbeing["immediate_danger"] == "yes",
        pupils=[
            actions.PupilData(
                first_name=p["first_name"], last_name=p["last_name"], class_name=p["class_name"], role=p["role"]
            )
            for p in draft.get("eleves", [])
        ],
    )


def _finish_step(request, draft: dict):
    if not draft.get("receipt_code"):
        # Chosen once, before anything is sent, and kept in the (encrypted) draft: every answer to
        # this draft — a retry after a lost answer, two clicks at once — shows this same code.
        draft["receipt_code"] = receipts.new_code()
        drafts.save(request.session, draft)
    code = draft["receipt_code"]
    posted = request.method == "POST"
    form = FinishStep(request.POST if posted else None, request.FILES if posted else None)
    context = _step_context("envoyer", form, draft)
    context["draft"] = draft
    context["school"] = School.objects.filter(uai=draft["etablissement"].get("school") or "").first()
    if request.method == "POST" and form.is_valid():
        token = draft.get("token", "")
        try:
            if filed := actions.filed_from_draft(submission_token=token, receipt_code=code):
                # Filed already from this draft: the answer to an earlier try was lost (or a double
                # click). Its files are there; this screen shows the draft's code, which opens it.
                return _receipt(request, filed)
        except DatabaseError:
            logger.exception("Could not check whether this draft was already filed.")
            return _outcome_unknown(request, context)
        try:
            submission = actions.submit_report(
                data=_report_data(draft, form.cleaned_data),
                files=form.cleaned_data["files"],
                actor=None,
                with_receipt=True,
                receipt_code=code,
            )
        except vault.EvidenceRejected as rejected:
            form.add_error("files", rejected.message)
        except IntegrityError:
            # Sent twice at once (double click): the first report stands, filed with the draft's code.
            try:
                filed = actions.filed_from_draft(submission_token=token, receipt_code=code)
            except DatabaseError:
                return _outcome_unknown(request, context)
            if filed is None:
                raise
            return _receipt(request, filed)
        except actions.OutcomeUnknown:
            return _outcome_unknown(request, context)
        except (DatabaseError, OSError):
            # Raised before the commit, or by a commit known to have failed: nothing is kept.
            logger.exception("A public report could not be saved; nothing was kept.")
            heal_connection()
            context["save_failed"] = True
            return render(request, "reports/public/step.html", context, status=503)
        else:
            return _receipt(request, submission)
    return render(request, "reports/public/step.html", context)


def _receipt(request, submission: actions.Submission | None):
    """The report is committed: say so with its code. Rendered now, stored nowhere: the only copy of
    the code is on the reporter's screen."""
    if submission is None:  # the draft's report vanished between two queries: cannot happen, but say it plainly
        raise Http404
    drafts.forget(request.session, sent=True)
    # If the connection died right after the commit, the session must still be saved (draft forgotten).
    heal_connection(check=True)
    return render(
        request,
        "reports/public/receipt.html",
        {"code": receipts.display(submission.receipt_code or ""), "report": submission.report},
    )


def _outcome_unknown(request, context: dict):
    """The database stopped answering while committing: the report may be saved. The draft stays, and a
    retry of it finds the report if it is there (never a second one), or sends it."""
    heal_connection()
    context["outcome_unknown"] = True
    return render(request, "reports/public/step.html", context, status=503)


def _expired(request, slug: str, draft: dict):
    """A step posted while the earlier ones are missing: the session expired while the child was
    writing (typing is not activity, and without JavaScript nothing kept it alive). What was posted
    is kept for when the child comes back to this step, and the story is shown back at once."""
    kept = False
    form_class = dict(STEPS)[slug]
    if form_class is not SchoolStep and slug != "envoyer":
        form = form_class(request.POST)
        if form.is_valid():
            draft[slug] = _serialise(form)
            kept = True
    # A new draft opens either way, so that the link back to the first step finds one.
    draft.setdefault("token", secrets.token_hex(16))
    drafts.save(request.session, draft)
    context = {
        "story": clean_text(request.POST.get("description", ""))[:20_000],
        "kept": kept,
        "first_step": reverse("reports:step", args=[SLUGS[0]]),
    }
    return render(request, "reports/public/draft_expired.html", context)


@policy.public
@never_cache
@require_POST
def keep_alive(request):
    """Pinged by the step pages while they are visible: the session (and the draft's seal) stay fresh
    while a child writes. Creates nothing for a browser without a draft."""
    draft = drafts.load(request.session)
    if draft:
        drafts.save(request.session, draft)
    return HttpResponse(status=204)


@policy.public
@never_cache
def mailbox_open(request):
    """Open the mailbox with a receipt code. A right code always opens (see halte.reports.throttle);
    a wrong one costs an indexed lookup, never a slow hash, and counts per client and for the service."""
    form = ReceiptForm(request.POST or None)
    status = 200
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        typed = form.cleaned_data["code"]
        report = actions.find_by_receipt(typed)
        if report is not None:
            request.session.cycle_key()
            request.session[MAILBOX_KEY] = str(report.public_id)
            return redirect("reports:mailbox")
        verdict = throttle.check(request)
        if verdict.blocked:
            form.add_error(None, _("Trop d’essais. Attends quelques minutes avant de réessayer."))
            status, retry_after = 429, verdict.retry_after
        else:
            if receipts.normalise(typed) is not None:  # something else cannot be a guess: not counted
                throttle.record_failure(request)
            form.add_error("code", _("Ce code ne correspond à aucun signalement. Vérifie les chiffres."))
    response = render(request, "reports/public/mailbox_open.html", {"form": form}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _mailbox_report(request) -> Report | None:
    public_id = request.session.get(MAILBOX_KEY)
    return Report.objects.filter(public_id=public_id).first() if public_id else None


@policy.public
@never_cache
def mailbox(request):
    report = _mailbox_report(request)
    if report is None:
        return redirect("reports:mailbox_open")
    posted = request.method == "POST"
    form = ReporterMessageForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.post_reporter_message(
                report=report, body=form.cleaned_data["body"], files=form.cleaned_data["files"]
            )
        except vault.EvidenceRejected as rejected:
            form.add_error("files", rejected.message)
        else:
            sent = _("Ton message est envoyé. L’équipe va le lire.")
            if voice.voice_of(report.reporter_kind) == voice.VOUS:
                sent = _("Votre message est envoyé. L’équipe va le lire.")
            messages.success(request, sent)
            return redirect("reports:mailbox")
    thread = report.messages.prefetch_related("evidence")
    context = {
        "report": report,
        # A plain status derived from the case: never the judicial track (halte.cases.feedback).
        "status": reporter_status(report),
        "thread": thread,
        "form": form,
        "staff_kind": AuthorKind.STAFF,
    }
    with voice.speaking(voice.voice_of(report.reporter_kind)):
        return render(request, "reports/public/mailbox.html", context)


@policy.public
@require_POST
def mailbox_close(request):
    request.session.pop(MAILBOX_KEY, None)
    request.session.cycle_key()
    return redirect("www:home")
