"""Staff screens: the coordinator's intake queue and report page, staff intake, evidence downloads.

Every report is fetched through ``visible_reports(membership)``: a report outside it is a 404. Every
read of a report page and every download is journaled.
"""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.access import reports as access
from halte.access.policy import Capability
from halte.access.today import reports_to_triage
from halte.audit.journal import record_request
from halte.audit.models import Action
from halte.core.faults import heal_connection
from halte.core.submission import FIELD as SUBMISSION_FIELD
from halte.core.submission import AlreadySubmitted, already_done, once, spend
from halte.forms import form_status

from .. import actions, antivirus, custody, vault
from ..forms import StaffIntakeForm, StaffReplyForm
from ..models import Evidence, Report

logger = logging.getLogger(__name__)
PAGE_SIZE = 30


def _report_for(request, public_id) -> Report:
    return get_object_or_404(access.visible_reports(request.membership), public_id=public_id)


logger = logging.getLogger(__name__)


@policy.requires(Capability.TRIAGE_REPORTS)
def queue(request):
    # Waiting for a decision: a triaged report (a case opened, attached, or another outcome) has left.
    reports = reports_to_triage(request.membership).select_related("school").queue_order()
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/staff/queue.html", {"page": page})


@policy.requires(Capability.FILE_REPORTS)
def mine(request):
    reports = access.visible_reports(request.membership).select_related("school").order_by("-received_at")
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/staff/mine.html", {"page": page})


@policy.requires(Capability.FILE_REPORTS)
def detail(request, public_id):
    report = _report_for(request, public_id)
    membership = request.membership
    show_identity = access.can_read_reporter_identity(membership, report)
    first_reading = access.can_take_charge(membership, report) and actions.mark_read(report=report, actor=membership)
    if not first_reading:
        record_request(Action.REPORT_READ, request, target=report)
    if show_identity and not report.is_anonymous:
        record_request(Action.REPORTER_IDENTITY_READ, request, target=report)
    thread = list(report.messages.select_related("author__user").prefetch_related("evidence"))
    evidence = list(report.evidence.filter(message__isnull=True))
    vault.inspect_pending([*evidence, *(item for message in thread for item in message.evidence.all())])
    context = {
        "report": report,
        "pupils": report.pupils.all(),
        "thread": thread,
        "evidence": evidence,
        "antivirus_configured": antivirus.is_configured(),
        "show_identity": show_identity,
        "can_reply": access.can_reply_to_reporter(membership, report),
        "can_take_charge": access.can_take_charge(membership, report) and report.status == "received",
        "can_download": access.can_download_evidence(membership, report),
        "can_triage": access.can_take_charge(membership, report) and not hasattr(report, "triage"),
        "reply_form": StaffReplyForm(),
    }
    return render(request, "reports/staff/detail.html", context)


@policy.requires(Capability.TRIAGE_REPORTS)
@require_POST
def reply(request, public_id):
    report = _report_for(request, public_id)
    if not access.can_reply_to_reporter(request.membership, report):
        raise PermissionDenied
    form = StaffReplyForm(request.POST)
    if form.is_valid():
        # A double click sends the child one message, not two.
        try:
            with once(form.cleaned_data[SUBMISSION_FIELD], user=request.user):
                actions.post_staff_reply(report=report, body=form.cleaned_data["body"], actor=request.membership)
        except AlreadySubmitted:
            messages.info(
                request, _("Déjà envoyée : cette réponse était déjà partie, elle n’a pas été envoyée deux fois.")
            )
        else:
            messages.success(request, _("Réponse envoyée. La personne la verra avec son code de suivi."))
    elif form.non_field_errors():
        messages.error(request, form.non_field_errors()[0])
    else:
        messages.error(request, _("La réponse est vide ou trop longue : rien n’a été envoyé."))
    return redirect("reports:detail", report.public_id)


@policy.requires(Capability.TRIAGE_REPORTS)
@require_POST
def take_charge(request, public_id):
    report = _report_for(request, public_id)
    actions.take_charge(report=report, actor=request.membership)
    messages.success(request, _("Signalement pris en charge."))
    return redirect("reports:detail", report.public_id)


def _evidence_for(request, public_id, evidence_id) -> Evidence:
    report = _report_for(request, public_id)
    if not access.can_download_evidence(request.membership, report):
        raise PermissionDenied
    return get_object_or_404(Evidence, report=report, public_id=evidence_id)


def _never_rendered(response: HttpResponse) -> HttpResponse:
    """A file from the vault is data, never a page: no sniffing, no script, no plugin, no cache."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response


@policy.requires(Capability.TRIAGE_REPORTS)
def evidence_original(request, public_id, evidence_id):
    evidence = _evidence_for(request, public_id, evidence_id)
    detail = {"evidence": str(evidence.public_id), "copy": "original", "sha256": evidence.sha256}
    if not access.can_download_original(request.membership, evidence):
        return _quarantined(request, evidence, detail)
    try:
        data = vault.read_original(evidence)
    except vault.EvidenceUnreadable as error:
        return _unreadable(request, evidence, detail, error)
    record_request(Action.EVIDENCE_DOWNLOADED, request, target=evidence.report, detail=detail)
    # Always an attachment, as bytes without a type: a PDF with JavaScript or a script saved as text
    # is never opened by the browser inside Halte's origin.
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = (
        f'attachment; filename="{evidence.public_id}{custody.extension(evidence.content_type)}"'
    )
    response["X-Content-SHA256"] = evidence.sha256
    return _never_rendered(response)


@policy.requires(Capability.TRIAGE_REPORTS)
def evidence_display(request, public_id, evidence_id):
    evidence = _evidence_for(request, public_id, evidence_id)
    if not evidence.display_path:
        raise Http404
    detail = {"evidence": str(evidence.public_id), "copy": "display"}
    if not access.can_download_original(request.membership, evidence):
        return _quarantined(request, evidence, detail)
    try:
        data = vault.read_display(evidence)
    except vault.EvidenceUnreadable as error:
        return _unreadable(request, evidence, detail, error)
    record_request(Action.EVIDENCE_DOWNLOADED, request, target=evidence.report, detail=detail)
    # Display copies are pixels re-encoded by the vault (images only): nothing in them can run.
    content_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return _never_rendered(HttpResponse(data, content_type=content_type))


def _quarantined(request, evidence: Evidence, detail: dict):
    """A virus was found: the file stays sealed in the vault; the refusal is journaled."""
    record_request(Action.EVIDENCE_REFUSED, request, target=evidence.report, detail=detail)
    context = {"evidence": evidence, "report": evidence.report}
    return render(request, "reports/staff/evidence_quarantined.html", context, status=403)


def _unreadable(request, evidence: Evidence, detail: dict, error: Exception):
    """A missing or altered file, or a missing key, is itself an event for the journal, and a page, not a crash."""
    tampered = isinstance(error, vault.EvidenceTampered)
    key_unavailable = isinstance(error, vault.EvidenceKeyUnavailable)
    detail = {**detail, "tampered": tampered, "key_unavailable": key_unavailable}
    record_request(Action.EVIDENCE_UNREADABLE, request, target=evidence.report, detail=detail)
    context = {
        "evidence": evidence,
        "tampered": tampered,
        "key_unavailable": key_unavailable,
        "report": evidence.report,
    }
    return render(request, "reports/staff/evidence_unreadable.html", context, status=409)


@policy.requires(Capability.FILE_REPORTS)
def staff_new(request):
    schools = access.intake_schools(request.membership)
    initial = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    form = StaffIntakeForm(request.POST or None, request.FILES or None, schools=schools, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report_data = actions.ReportData(
            channel=data["channel"],
            received_at=data["received_at"],
            reporter_kind=data["reporter_kind"],
            is_anonymous=data["is_anonymous"],
            reporter_name=data["reporter_name"],
            reporter_email=data["reporter_email"],
            reporter_phone=data["reporter_phone"],
            consent_to_contact=data["consent_to_contact"],
            school=data["school"],
            school_text=data.get("school_text", ""),
            forms=data["bullying_forms"],
            platforms=data["platforms"],
            since=data["since"],
            frequency=data["frequency"],
            places=data["places"],
            description=data["description"],
            distress_signs=data["distress_signs"],
            immediate_danger=data["immediate_danger"],
            faits_etablissement_id=data["faits_etablissement_id"],
            faits_etablissement_level=data["faits_etablissement_level"],
            parquet_number=data["parquet_number"],
            stop_harcelement_id=data["stop_harcelement_id"],
            crip_id=data["crip_id"],
        )
        try:
            # The form's one-time token is spent in the report's own transaction (which must stay the
            # outermost one, so that a lost COMMIT is told from a refused one): a double click files one.
            submission = actions.submit_report(
                data=report_data,
                files=data["files"],
                actor=request.membership,
                alongside=lambda report: spend(
                    data[SUBMISSION_FIELD],
                    user=request.user,
                    leads_to=reverse("reports:detail", args=[report.public_id]),
                ),
            )
        except AlreadySubmitted as already:
            return already_done(request, already, fallback="reports:mine")
        except vault.EvidenceRejected as rejected:
            form.add_error("files", rejected.message)
        except actions.OutcomeUnknown:
            heal_connection()
            form.add_error(
                None,
                _(
                    "La connexion à la base de données a été coupée pendant l’enregistrement : le signalement "
                    "l’est peut-être. Vérifiez dans « Mes signalements » avant de le saisir de nouveau."
                ),
            )
            return render(request, "reports/staff/new.html", {"form": form}, status=503)
        except (DatabaseError, OSError):
            logger.exception("A staff report could not be saved; nothing was kept.")
            heal_connection()
            form.add_error(
                None,
                _(
                    "Le signalement n’a pas été enregistré (base de données ou stockage des pièces momentanément "
                    "indisponible) : rien n’a été gardé. Réessayez dans quelques minutes ; les pièces jointes "
                    "sont à choisir de nouveau."
                ),
            )
            return render(request, "reports/staff/new.html", {"form": form}, status=503)
        else:
            messages.success(
                request, _("Signalement %(reference)s enregistré.") % {"reference": submission.report.reference}
            )
            return redirect("reports:detail", submission.report.public_id)
    return render(request, "reports/staff/new.html", {"form": form}, status=form_status(request))
