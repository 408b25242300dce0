"""Interviews with the people of a case (the shared-concern meetings have their own pages)."""

from django.contrib import messages
from django.urls import path
from django.utils.translation import gettext as _

from halte.access import interventions as access
from halte.access import policy
from halte.access.policy import Capability
from halte.core import submission
from halte.interventions import families, interviews
from halte.interventions.common import InterventionRefused
from halte.interventions.forms import InterviewForm

from .base import back, case_for, fields, form_page, once, posted, require

ANCHOR = "titre-entretiens"


@policy.requires(Capability.READ_CASES)
def interview_new(request, public_id):
    case = case_for(request, public_id)
    require(access.can_record_interview(request.membership, case))
    form = InterviewForm(posted(request), case=case, actor=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            with once(request, form, case, ANCHOR):
                interviews.record_interview(case=case, actor=request.membership, **fields(form))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Entretien enregistré."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Enregistrer un entretien — %(ref)s") % {"ref": case.reference},
        submit_label=_("Enregistrer l’entretien"),
        page="interview_new",
        anchor=ANCHOR,
        # Which families are under an instruction, before anyone is chosen (no script needed).
        restrictions=families.active_restrictions(case),
        holds=families.case_holds(case),
        intro=_(
            "Chaque personne est entendue séparément. Pour la victime et les témoins, recopiez leurs paroles "
            "exactement comme elles ont été dites."
        ),
    )


urlpatterns = [
    path("dossiers/<uuid:public_id>/entretiens/nouveau/", interview_new, name="interview_new"),
]
