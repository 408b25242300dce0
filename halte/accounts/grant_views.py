"""Pages of the two-person workflow for memberships that read case content ("habilitations")."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import grants as rules
from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action

from . import grants
from .forms import GrantDecisionForm, GrantRequestForm
from .models import GrantStatus


@policy.requires(Capability.MANAGE_GRANTS)
def grant_list(request):
    membership = request.membership
    form = GrantRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grants.request_grant(
                actor=membership,
                user=form.cleaned_data["email"],
                organisation=form.cleaned_data["organisation"],
                role=form.cleaned_data["role"],
                reason=form.cleaned_data["reason"],
            )
        except grants.GrantError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Demande enregistrée : une autre personne doit maintenant la confirmer."))
            return redirect("grants:list")
    visible = rules.visible_grants(membership).select_related(
        "user", "organisation", "requested_by__user", "decided_by__user"
    )
    pending = list(visible.filter(status=GrantStatus.PENDING).order_by("requested_at"))
    for grant in pending:
        grant.can_decide = rules.may_decide(membership, grant)
        grant.can_cancel = rules.may_cancel(membership, grant)
    decided = list(visible.exclude(status=GrantStatus.PENDING).order_by("-decided_at")[:30])
    context = {"form": form, "pending": pending, "decided": decided, "decision_form": GrantDecisionForm()}
    return render(request, "accounts/grants.html", context, status=400 if form.errors else 200)


@policy.requires(Capability.MANAGE_GRANTS)
@require_POST
def grant_decide(request, public_id):
    membership = request.membership
    grant = rules.visible_grants(membership).select_related("requested_by", "user", "organisation")
    grant = grant.filter(public_id=public_id).first()
    if grant is None:
        raise Http404
    verb = request.POST.get("decision")
    form = GrantDecisionForm(request.POST)
    allowed = rules.may_cancel(membership, grant) if verb == "cancel" else rules.may_decide(membership, grant)
    if verb not in {"approve", "refuse", "cancel"} or not form.is_valid():
        messages.error(request, _("Décision incomplète."))
        return redirect("grants:list")
    if not allowed:
        if grant.is_pending:
            record_request(Action.GRANT_DENIED, request, target=grant, detail={"path": "grant_decide", "verb": verb})
            raise PermissionDenied
        messages.error(request, _("Cette demande a déjà été traitée."))
        return redirect("grants:list")
    note = form.cleaned_data["note"]
    try:
        if verb == "approve":
            grants.approve_grant(actor=membership, grant=grant, note=note)
            messages.success(
                request, _("Habilitation confirmée. La déléguée à la protection des données est prévenue.")
            )
        elif verb == "refuse":
            grants.refuse_grant(actor=membership, grant=grant, note=note)
            messages.success(request, _("Demande refusée."))
        else:
            grants.cancel_grant(actor=membership, grant=grant)
            messages.success(request, _("Demande retirée."))
    except grants.GrantError as error:
        messages.error(request, str(error))
    return redirect("grants:list")
