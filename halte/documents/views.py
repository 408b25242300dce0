"""Document screens: the short form that generates a document of a case, and the download.

Thin views: fetch the case through ``visible_cases`` (404 outside it), check the predicate of
``halte.access.documents`` (403), validate the form, call ``actions.generate``, redirect to the case.
A download decrypts the file, checks its SHA-256 again and journals the download; an altered or
missing file is journaled and answered with a French page, never served.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access import cases as case_access
from halte.access import documents as access
from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.cases.enums import Compartment
from halte.cases.models import Case
from halte.core import submission
from halte.forms import form_status
from halte.interventions import families

from . import actions, content, storage
from .forms import AddressedForm, ClosureLetterForm, ConvocationForm, GenerateForm, MinutesForm
from .models import Document, DocumentKind

FORMS: dict[str, type[GenerateForm]] = {
    DocumentKind.ART_40: AddressedForm,
    DocumentKind.INFORMATION_PREOCCUPANTE: AddressedForm,
    DocumentKind.CONVOCATION: ConvocationForm,
    DocumentKind.MINUTES: MinutesForm,
    DocumentKind.CLOSURE_LETTER: ClosureLetterForm,
}

# The compartment beyond core that a kind may carry, when its author reads it.
EXTRA_COMPARTMENT: dict[str, str] = {
    DocumentKind.ART_40: Compartment.JUDICIAL,
    DocumentKind.INFORMATION_PREOCCUPANTE: Compartment.HEALTH,
}

FILE_STEMS: dict[str, str] = {
    DocumentKind.ART_40: "signalement-procureur",
    DocumentKind.INFORMATION_PREOCCUPANTE: "information-preoccupante",
    DocumentKind.CONVOCATION: "convocation",
    DocumentKind.MINUTES: "compte-rendu",
    DocumentKind.CLOSURE_LETTER: "courrier-cloture",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _case_for(request, public_id) -> Case:
    return get_object_or_404(case_access.visible_cases(request.membership), public_id=public_id)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _case_page(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id]) + "#titre-documents"


def filename(document: Document) -> str:
    """A safe ASCII file name: kind, case reference, date and time of generation."""
    at = timezone.localtime(document.generated_at)
    name = f"{FILE_STEMS.get(document.kind, 'document')}-{document.case.reference}-{at:%Y%m%d-%H%M}.pdf"
    return _UNSAFE.sub("-", name)


@policy.requires(Capability.READ_CASES)
def generate(request, public_id, kind):
    case = _case_for(request, public_id)
    if kind not in DocumentKind.values:
        raise Http404
    membership = request.membership
    _require(access.can_generate(membership, case, kind))
    posted = request.method == "POST"
    form = FORMS[kind](request.POST if posted else None, case=case, membership=membership, kind=kind)
    if posted and form.is_valid():
        try:
            # One post, one document: a double click does not write the PDF twice.
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=_case_page(case)):
                document = actions.generate(case=case, actor=membership, kind=kind, **form.generation_kwargs())
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except actions.DocumentRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Document généré : %(title)s.") % {"title": document.title})
            return redirect(_case_page(case))
    readable = case_access.compartments(membership, case)
    included: list[str] = [Compartment.CORE]
    extra = EXTRA_COMPARTMENT.get(kind)
    if extra is not None and extra in readable:
        included.append(extra)
    record_request(
        AuditAction.CASE_READ,
        request,
        target=case,
        detail={"page": "document_form", "kind": kind, "compartments": sorted(included)},
    )
    context = {
        "case": case,
        "kind": kind,
        "kind_label": DocumentKind(kind).label,
        "form": form,
        "included": [Compartment(c).label for c in included],
    }
    if kind == DocumentKind.INFORMATION_PREOCCUPANTE and Compartment.CORE in readable:
        # The CRIP needs where the child lives: said before generating, never a refusal.
        context["missing_addresses"] = content.pupils_without_address(case)
    if kind == DocumentKind.CONVOCATION:
        # The families a convocation may not be addressed to, as a warning before anything is typed.
        context["restrictions"] = families.active_restrictions(case)
        context["reads_judicial"] = Compartment.JUDICIAL in readable
        context["holds"] = families.beyond(context["restrictions"], families.case_holds(case))
    return render(request, "documents/generate.html", context, status=form_status(request))


@policy.requires(Capability.READ_CASES)
def download(request, public_id, document_id):
    case = _case_for(request, public_id)
    document = get_object_or_404(Document.objects.select_related("case"), case=case, public_id=document_id)
    _require(access.can_read_document(request.membership, document))
    detail = {
        "document": str(document.public_id),
        "kind": document.kind,
        "compartments": list(document.compartments),
        "sha256": document.sha256,
    }
    try:
        data = storage.read(document)
    except storage.DocumentUnreadable as error:
        tampered = isinstance(error, storage.DocumentTampered)
        key_unavailable = isinstance(error, storage.DocumentKeyUnavailable)
        record_request(
            AuditAction.DOCUMENT_UNREADABLE,
            request,
            target=case,
            detail={**detail, "delivered": False, "tampered": tampered, "key_unavailable": key_unavailable},
        )
        context = {"case": case, "document": document, "tampered": tampered, "key_unavailable": key_unavailable}
        return render(request, "documents/unreadable.html", context, status=409)
    record_request(AuditAction.DOCUMENT_DOWNLOADED, request, target=case, detail={**detail, "delivered": True})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(document)}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
