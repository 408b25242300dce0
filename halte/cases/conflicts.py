"""Conflicts of interest: withdraw a case from the school of an adult named as alleged author.

The rule (who stops seeing what) lives in :mod:`halte.access.cases`; here are the coordinator's
decision (one transaction, journaled, with a reason), its form, its view and its section of the case
page, which appears only to a coordinator when an adult is named or a school was already set aside.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access import cases as access
from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record, record_request
from halte.audit.models import Action as AuditAction
from halte.forms import HalteForm, form_status

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
    can_declare = access.conflict_candidates(case).exists()
    if not conflicts and not can_declare:
        return None
    return Panel("cases/_conflicts.html", {"conflicts": conflicts, "can_declare": can_declare, "case": case})


@policy.requires(Capability.READ_CASES)
def declare(request, public_id):
    """The coordinator's decision on its own page: which school to set aside and why."""
    case = get_object_or_404(access.visible_cases(request.membership), public_id=public_id)
    if not access.can_declare_conflict(request.membership, case):
        raise PermissionDenied
    form = ConflictForm(request.POST if request.method == "POST" else None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            declare_conflict(case=case, actor=request.membership, **form.cleaned_data)
        except ConflictRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("L’établissement ne voit plus ce dossier."))
            return redirect("cases:detail", case.public_id)
    # The page names the case and the schools of the adults it names: a read of the case.
    record_request(AuditAction.CASE_READ, request, target=case, detail={"page": "conflict"})
    has_candidates = access.conflict_candidates(case).exists()
    return render(
        request,
        "cases/form_page.html",
        {
            "case": case,
            "title": _("Conflit d’intérêts — dossier %(reference)s") % {"reference": case.reference},
            "intro": _(
                "Un adulte d’un établissement est cité comme auteur présumé. Vous pouvez retirer ce dossier "
                "à cet établissement : ses membres ne le verront plus, ni ses actions. L’adulte cité, "
                "s’il a un compte, ne voit jamais ce dossier."
            ),
            "form": form if has_candidates else None,
            "refusal": None if has_candidates else _("Aucun établissement ne peut être écarté de ce dossier."),
            "submit_label": _("Écarter l’établissement du dossier"),
            "back_url": reverse("cases:detail", args=[case.public_id]),
        },
        status=form_status(request),
    )
