"""What the interventions views share: fetching the case, refusing, the form page, going back."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from halte.access import cases as case_access
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.cases.enums import Compartment
from halte.cases.models import Case
from halte.core import submission
from halte.core.submission import fields  # noqa: F401 - the views take it from here
from halte.interventions import families

FORM_PAGE = "interventions/form_page.html"


def case_for(request, public_id) -> Case:
    return get_object_or_404(
        case_access.visible_cases(request.membership).select_related("school"), public_id=public_id
    )


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def back(case: Case, anchor: str):
    return redirect(reverse("cases:detail", args=[case.public_id]) + f"#{anchor}")


def once(request, form, case: Case, anchor: str):
    """Spend the form's one-time token with what it records: a double click records one thing, and
    the second post comes back to the case page (`halte/core/submission.py`)."""
    url = reverse("cases:detail", args=[case.public_id]) + f"#{anchor}"
    return submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=url)


def posted(request):
    return request.POST if request.method == "POST" else None


def form_page(
    request,
    case: Case,
    *,
    form,
    title: str,
    submit_label: str,
    page: str,
    anchor: str,
    intro: str = "",
    measure=None,
    restrictions=None,
    holds=None,
    status: int | None = None,
):
    """A page with one form. It shows case content, so its display is journaled with the compartments the
    member reads — and it shows nothing outside them: the people of the case (core) only to those who
    read the core; ``restrictions`` (the standing « ne pas informer » instructions) are shown as a
    warning, their reason and author only to those who read the judicial compartment; ``holds``
    (``families.case_holds``: what else holds the case's families and guardians back — a relative's
    instruction, one on another case in neutral words, the cell's child-interest exception) as a second
    warning, less what the first already shows (``families.beyond``)."""
    shown = case_access.compartments(request.membership, case)
    record_request(AuditAction.CASE_READ, request, target=case, detail={"compartments": sorted(shown), "page": page})
    if status is None:
        status = 400 if request.method == "POST" else 200
    context = {
        "case": case,
        "form": form,
        "title": title,
        "submit_label": submit_label,
        "intro": intro,
        "measure": measure,
        "restrictions": restrictions or [],
        "holds": families.beyond(restrictions or [], holds or []),
        "reads_core": Compartment.CORE in shown,
        "reads_judicial": Compartment.JUDICIAL in shown,
        "back_url": reverse("cases:detail", args=[case.public_id]) + f"#{anchor}",
    }
    return render(request, FORM_PAGE, context, status=status)
