"""The public reporting journey and the reporter's mailbox. No login, no IP address, no tracking.

The form is a sequence of small steps kept in the session until the last one, where everything is
saved at once (report, pupils, files) or nothing is. The receipt code is rendered in the response to
that last POST and stored nowhere in clear, not even in the session.
"""

import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError, IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.cases.feedback import reporter_status
from halte.directory.models import School

from .. import actions, receipts, throttle, vault, voice
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

DRAFT_KEY = "halte_report_draft"
SENT_KEY = "halte_report_sent"
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
        draft = request.session.get(DRAFT_KEY) or {}
        draft.setdefault("token", secrets.token_hex(16))
        request.session[DRAFT_KEY] = draft
        request.session.pop(SENT_KEY, None)
        return redirect("reports:step", SLUGS[0])
    return render(request, "reports/public/start.html")


def _voice(draft: dict, posted_kind: str | None = None) -> str:
    return voice.voice_of(posted_kind or draft.get("qui", {}).get("reporter_kind"))


def reporter_voice(request) -> str:
    """The voice of the report in progress in this browser, for pages outside the steps."""
    return _voice(request.session.get(DRAFT_KEY) or {})


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
    step. Only a draft just sent leads back to this site, to the page before the form. A step
    posted after the draft lapsed (half an hour without activity) starts again from that page.
    """
    if request.method == "POST" or request.session.get(SENT_KEY):
        if request.method == "POST":
            messages.info(
                request,
                _(
                    "Ce que tu avais écrit a été effacé, parce que la page est restée ouverte trop longtemps. "
                    "Recommence ici."
                ),
            )
        return redirect("reports:start")
    return redirect(settings.HALTE["QUICK_EXIT_URL"])


@policy.public
@never_cache
def step(request, slug: str):
    if slug not in SLUGS:
        raise Http404
    draft = request.session.get(DRAFT_KEY)
    if draft is None:
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
            response = _finish_step(request, draft)
            if DRAFT_KEY not in request.session:
                # Sent: going back to a step now leads to the page before the form, not to the neutral site.
                request.session[SENT_KEY] = True
            return response

        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                draft[slug] = _serialise(form)
                draft.setdefault("token", secrets.token_hex(16))
                request.session[DRAFT_KEY] = draft
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
            request.session[DRAFT_KEY] = draft
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
    posted = request.method == "POST"
    form = FinishStep(request.POST if posted else None, request.FILES if posted else None)
    context = _step_context("envoyer", form, draft)
    context["draft"] = draft
    context["school"] = School.objects.filter(uai=draft["etablissement"].get("school") or "").first()
    if request.method == "POST" and form.is_valid():
        try:
            submission = actions.submit_report(
                data=_report_data(draft, form.cleaned_data),
                files=form.cleaned_data["files"],
                actor=None,
                with_receipt=True,
            )
        except vault.EvidenceRejected as rejected:
            form.add_error("files", rejected.message)
        except IntegrityError:
            # Sent twice (double click): the first report stands; this screen gets a fresh code for it.
            reissued = actions.reissue_receipt(submission_token=draft.get("token", ""))
            if reissued is None:
                raise
            request.session.pop(DRAFT_KEY, None)
            return render(
                request,
                "reports/public/receipt.html",
                {"code": receipts.display(reissued.receipt_code or ""), "report": reissued.report},
            )
        except DatabaseError:
            logger.exception("A public report could not be saved; nothing was kept.")
            context["save_failed"] = True
            return render(request, "reports/public/step.html", context, status=503)
        else:
            request.session.pop(DRAFT_KEY, None)
            # Rendered now, stored nowhere: the only copy of the code is on the reporter's screen.
            return render(
                request,
                "reports/public/receipt.html",
                {"code": receipts.display(submission.receipt_code or ""), "report": submission.report},
            )
    return render(request, "reports/public/step.html", context)


@policy.public
@never_cache
def mailbox_open(request):
    form = ReceiptForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if throttle.is_blocked(request):
            form.add_error(None, _("Trop d’essais. Attends quelques minutes avant de réessayer."))
            status = 429
        else:
            report = actions.find_by_receipt(form.cleaned_data["code"])
            if report is None:
                throttle.record_failure(request)
                form.add_error("code", _("Ce code ne correspond à aucun signalement. Vérifie les chiffres."))
            else:
                throttle.reset(request)
                request.session.cycle_key()
                request.session[MAILBOX_KEY] = str(report.public_id)
                return redirect("reports:mailbox")
    return render(request, "reports/public/mailbox_open.html", {"form": form}, status=status)


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
