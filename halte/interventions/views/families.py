"""Contacts with both families, and the parents' information (informed, or the documented exception)."""

from django.contrib import messages
from django.urls import path
from django.utils.translation import gettext as _

from halte.access import interventions as access
from halte.access import policy
from halte.access.policy import Capability
from halte.core import submission
from halte.interventions import families
from halte.interventions.common import InterventionRefused
from halte.interventions.forms import FamilyContactForm, ParentsExceptionForm

from .base import back, case_for, fields, form_page, once, posted, require

ANCHOR = "titre-familles"


@policy.requires(Capability.READ_CASES)
def family_contact(request, public_id):
    case = case_for(request, public_id)
    require(access.can_record_family_contact(request.membership, case))
    form = FamilyContactForm(posted(request), case=case, actor=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            with once(request, form, case, ANCHOR):
                families.record_family_contact(case=case, actor=request.membership, **fields(form))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Contact avec la famille enregistré."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Enregistrer un contact avec une famille — %(ref)s") % {"ref": case.reference},
        submit_label=_("Enregistrer le contact"),
        page="family_contact",
        anchor=ANCHOR,
        do_not_disclose=case.do_not_disclose_to_family,
    )


@policy.requires(Capability.READ_CASES)
def parents_exception(request, public_id):
    case = case_for(request, public_id)
    require(access.can_document_parents_exception(request.membership, case))
    form = ParentsExceptionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            families.document_exception(case=case, actor=request.membership, **form.cleaned_data)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Décision de ne pas informer les parents enregistrée, avec son motif."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Ne pas informer les parents — %(ref)s") % {"ref": case.reference},
        submit_label=_("Enregistrer la décision"),
        page="parents_exception",
        anchor=ANCHOR,
        intro=_(
            "Les parents sont informés de la situation, sauf si cela va contre l’intérêt de l’enfant "
            "(art. L.226-2-1 du code de l’action sociale et des familles). Cette décision s’écrit avec son motif."
        ),
        do_not_disclose=case.do_not_disclose_to_family,
    )


urlpatterns = [
    path("dossiers/<uuid:public_id>/familles/contact/", family_contact, name="family_contact"),
    path("dossiers/<uuid:public_id>/familles/exception/", parents_exception, name="parents_exception"),
]
