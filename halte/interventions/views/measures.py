"""The measures register: record a measure, review it."""

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _

from halte.access import interventions as access
from halte.access import policy
from halte.access.policy import Capability
from halte.core import submission
from halte.interventions import measures
from halte.interventions.common import InterventionRefused
from halte.interventions.forms import CONFIRM, MeasureForm, MeasureReviewForm

from .base import back, case_for, form_page, once, posted, require

ANCHOR = "titre-mesures"


@policy.requires(Capability.READ_CASES)
def measure_new(request, public_id):
    case = case_for(request, public_id)
    categories = access.measure_categories(request.membership, case)
    require(bool(categories))
    initial = {}
    if request.GET.get("categorie") in categories:
        initial["category"] = request.GET["categorie"]
    shows_people = access.can_read_interventions(request.membership, case)
    form = MeasureForm(posted(request), case=case, categories=categories, shows_people=shows_people, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with once(request, form, case, ANCHOR):
                measures.record_measure(
                    case=case,
                    actor=request.membership,
                    category=data["category"],
                    kind=data["kind"],
                    person=data["person"],
                    description=data["description"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    review_on=data["review_on"],
                    status=data["status"],
                    receiving_school=data["receiving_school"],
                    confirmed=data.get(CONFIRM, False),
                )
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except InterventionRefused as refused:
            asks = isinstance(refused, measures.NeedsConfirmation) and CONFIRM in form.fields
            form.add_error(CONFIRM if asks else None, refused.message)
        else:
            messages.success(request, _("Mesure enregistrée."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Enregistrer une mesure — %(ref)s") % {"ref": case.reference},
        submit_label=_("Enregistrer la mesure"),
        page="measure_new",
        anchor=ANCHOR,
    )


@policy.requires(Capability.READ_CASES)
def measure_review(request, public_id, measure_id):
    case = case_for(request, public_id)
    measure = get_object_or_404(
        access.visible_measures(request.membership, case).select_related("person", "receiving_school"),
        public_id=measure_id,
    )
    measure.case = case
    require(access.can_review_measure(request.membership, measure))
    form = MeasureReviewForm(posted(request), initial={"status": measure.status})
    if request.method == "POST" and form.is_valid():
        try:
            measures.review_measure(measure=measure, actor=request.membership, **form.cleaned_data)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Bilan de la mesure enregistré."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Bilan de la mesure — %(ref)s") % {"ref": case.reference},
        submit_label=_("Enregistrer le bilan"),
        page="measure_review",
        anchor=ANCHOR,
        measure=measure,
    )


urlpatterns = [
    path("dossiers/<uuid:public_id>/mesures/nouvelle/", measure_new, name="measure_new"),
    path("dossiers/<uuid:public_id>/mesures/<uuid:measure_id>/bilan/", measure_review, name="measure_review"),
]
