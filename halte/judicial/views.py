"""The page where the magistrate and the délégué du procureur record the parquet's facts on a case."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from halte.access import cases as case_access
from halte.access import judicial as access
from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction

from . import actions
from .forms import JudicialFactsForm

ANCHOR = "titre-volet-judiciaire"


def _initial(row) -> dict:
    if row is None:
        return {"version": 0}
    return {name: getattr(row, name) for name in actions.FIELDS} | {"version": row.version}


@policy.requires(Capability.READ_CASES)
def facts(request, public_id):
    case = get_object_or_404(case_access.visible_cases(request.membership), public_id=public_id)
    if not access.can_read_judicial_facts(request.membership, case):
        raise Http404  # those who do not read the judicial part never learn it exists
    if not access.can_write_judicial_facts(request.membership, case):
        raise PermissionDenied
    back_url = reverse("cases:detail", args=[case.public_id]) + f"#{ANCHOR}"
    row = actions.facts_for(case)
    status = 200
    if request.method == "POST":
        form = JudicialFactsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.save_facts(
                    case=case,
                    actor=request.membership,
                    expected_version=data["version"],
                    **{name: data[name] or "" for name in actions.FIELDS},
                )
            except actions.StaleJudicialFacts as stale:
                # Show the version saved by the other person, with the message; nothing of this post is kept.
                row = actions.facts_for(case)
                form = JudicialFactsForm(initial=_initial(row))
                form.stale_message = stale.message
                status = 409
            except actions.JudicialRefused as refused:
                form.add_error(None, refused.message)
                status = 400
            else:
                messages.success(request, _("Volet judiciaire enregistré."))
                return redirect(back_url)
        else:
            status = 400
    else:
        form = JudicialFactsForm(initial=_initial(row))
    shown = case_access.compartments(request.membership, case)
    record_request(
        AuditAction.CASE_READ, request, target=case, detail={"compartments": sorted(shown), "page": "judicial_facts"}
    )
    context = {
        "case": case,
        "form": form,
        "row": row,
        "stale": getattr(form, "stale_message", ""),
        "back_url": back_url,
    }
    return render(request, "judicial/facts_form.html", context, status=status)


app_name = "judicial"

urlpatterns = [
    path("dossiers/<uuid:public_id>/volet-judiciaire/", facts, name="facts"),
]
