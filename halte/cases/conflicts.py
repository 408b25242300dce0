"""Conflicts of interest: withdraw a case from the school of an adult named as alleged author.

The rule (who stops seeing what) lives in :mod:`halte.access.cases`; here are the coordinator's
decision (one transaction, journaled, with a reason), its form, its view and its section of the case
page, which appears only to a coordinator when an adult is named or a school was already set aside.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from halte.access import cases as access
from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.forms import HalteForm

from .models import Case, ConflictOfInterest
from .panels import Panel


class ConflictRefused(Exception):
    pass


def declare_conflict(*, case: Case, actor, organisation, reason: str) -> ConflictOfInterest:
    """Withdraw `case` from every membership of `organisation`, for the reason given."""
    if not access.can_declare_conflict(actor, case):
        raise ConflictRefused(_("Seule la coordination décide d’un conflit d’intérêts."))
    if not access.conflict_candidates(case).filter(pk=organisation.pk).exists():
        raise ConflictRefused(_("Cette structure ne peut pas être écartée de ce dossier."))
    reason = reason.strip()
    if not reason:
        raise ConflictRefused(_("Le motif est obligatoire."))
    try:
        with transaction.atomic():
            conflict = ConflictOfInterest.objects.create(
                case=case, organisation=organisation, reason=reason, decided_by=actor
            )
            record(
                AuditAction.CASE_CONFLICT_DECLARED,
                actor=actor.user,
                membership=actor,
                target=case,
                detail={"organisation": organisation.name, "reason": reason},
            )
    except IntegrityError as error:  # decided meanwhile by someone else
        raise ConflictRefused(_("Cette structure est déjà écartée de ce dossier.")) from error
    return conflict


class ConflictForm(HalteForm):
    organisation: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Établissement à écarter du dossier"), queryset=None
    )
    reason = forms.CharField(
        label=gettext_lazy("Motif"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Par exemple : un enseignant de l’établissement est mis en cause."),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = access.conflict_candidates(case)


def case_panel(request, case, shown) -> Panel | None:
    membership = request.membership
    if not access.can_declare_conflict(membership, case):
        return None
    conflicts = list(case.conflicts.select_related("organisation", "decided_by__user"))
    candidates = access.conflict_candidates(case)
    if not conflicts and not candidates.exists():
        return None
    form = ConflictForm(case=case) if candidates.exists() else None
    return Panel("cases/_conflicts.html", {"conflicts": conflicts, "conflict_form": form, "case": case})


@policy.requires(Capability.READ_CASES)
@require_POST
def declare(request, public_id):
    case = get_object_or_404(access.visible_cases(request.membership), public_id=public_id)
    if not access.can_declare_conflict(request.membership, case):
        raise PermissionDenied
    form = ConflictForm(request.POST, case=case)
    if not form.is_valid():
        messages.error(request, _("Rien n’a été enregistré : choisissez l’établissement et donnez le motif."))
        return redirect("cases:detail", case.public_id)
    try:
        declare_conflict(case=case, actor=request.membership, **form.cleaned_data)
    except ConflictRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("L’établissement ne voit plus ce dossier."))
    return redirect("cases:detail", case.public_id)
