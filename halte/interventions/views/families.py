"""The families of a case, one per pupil: contacts, the parents' information (informed, or the
documented exception), and the judicial side's « ne pas informer » instruction, set and lifted."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _

from halte.access import interventions as access
from halte.access import policy
from halte.access.policy import Capability
from halte.cases.models import Person
from halte.core import submission
from halte.core.french import of_name
from halte.interventions import families
from halte.interventions.common import AlreadyDone, InterventionRefused
from halte.interventions.forms import FamilyContactForm, LiftRestrictionForm, ParentsExceptionForm, RestrictionForm
from halte.interventions.models import FamilyRestriction, ParentsInformation

from .base import back, case_for, fields, form_page, once, posted, require

ANCHOR = "titre-familles"


@policy.requires(Capability.READ_CASES)
def family_contact(request, public_id):
    case = case_for(request, public_id)
    require(access.can_record_family_contact(request.membership, case))
    initial = {"pupil": request.GET.get("famille", "")} if request.method == "GET" else None
    form = FamilyContactForm(posted(request), case=case, actor=request.membership, initial=initial)
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
        restrictions=families.active_restrictions(case),
        holds=families.case_holds(case),
    )


@policy.requires(Capability.READ_CASES)
def parents_exception(request, public_id):
    case = case_for(request, public_id)
    require(access.can_document_parents_exception(request.membership, case))
    form = ParentsExceptionForm(posted(request), case=case)
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
        restrictions=families.active_restrictions(case),
    )


@policy.requires(Capability.READ_CASES)
def parents_exception_lift(request, public_id, pupil_id):
    """The cell lifts its decision not to inform one family's parents (the child's interest allows it now)."""
    case = case_for(request, public_id)
    require(access.can_document_parents_exception(request.membership, case))
    row = (
        ParentsInformation.objects.select_related("pupil")
        .filter(case=case, pupil__public_id=pupil_id, status=ParentsInformation.Status.EXCEPTION)
        .first()
    )
    if row is None:
        # Lifted meanwhile (a second tab): who lifted it and when, on the case page; never lifted: 404.
        pupil = get_object_or_404(Person, involvements__case=case, public_id=pupil_id)
        already = families.exception_already_lifted(case, pupil)
        if already is None:
            raise Http404
        messages.info(request, already)
        return back(case, ANCHOR)
    form = LiftRestrictionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            with once(request, form, case, ANCHOR):
                families.lift_exception(
                    case=case, actor=request.membership, pupil=row.pupil, reason=form.cleaned_data["reason"]
                )
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except AlreadyDone as done:
            messages.info(request, done.message)
            return back(case, ANCHOR)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Décision levée : les parents peuvent être informés et convoqués."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Lever la décision de ne pas informer les parents %(of_pupil)s — %(ref)s")
        % {"of_pupil": of_name(row.pupil), "ref": case.reference},
        submit_label=_("Lever la décision"),
        page="parents_exception_lift",
        anchor=ANCHOR,
        intro=_("Motif de la décision : %(reason)s") % {"reason": row.reason},
    )


@policy.requires(Capability.READ_CASES)
def restriction_set(request, public_id):
    """The magistrate or the délégué du procureur: « ne pas informer » one pupil's family."""
    case = case_for(request, public_id)
    require(access.can_set_family_restriction(request.membership, case))
    standing = families.active_restrictions(case)
    # Families already under it stay in the choices (a double click must meet its token, not a refused
    # choice); setting it twice is refused by the action.
    form = RestrictionForm(posted(request), case=case)
    if request.method == "POST" and form.is_valid():
        try:
            with once(request, form, case, ANCHOR):
                families.set_restriction(case=case, actor=request.membership, **fields(form))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Consigne « ne pas informer » posée sur cette famille."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Ne pas informer une famille — %(ref)s") % {"ref": case.reference},
        submit_label=_("Poser la consigne"),
        page="family_restriction",
        anchor=ANCHOR,
        intro=_(
            "Tant que la consigne s’applique, personne ne peut enregistrer que cette famille a été informée "
            "ni lui adresser de convocation ; la personne qui suit le dossier en est avertie, sans le motif."
        ),
        restrictions=standing,
    )


@policy.requires(Capability.READ_CASES)
def restriction_lift(request, public_id, restriction_id):
    case = case_for(request, public_id)
    require(access.can_set_family_restriction(request.membership, case))
    restriction = get_object_or_404(
        FamilyRestriction.objects.select_related("pupil", "set_by__user", "lifted_by__user"),
        case=case,
        public_id=restriction_id,
    )
    if restriction.lifted_at is not None:  # lifted meanwhile, in another tab or by someone else
        messages.info(request, families.restriction_already_lifted(restriction))
        return back(case, ANCHOR)
    form = LiftRestrictionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            with once(request, form, case, ANCHOR):
                families.lift_restriction(
                    case=case, actor=request.membership, restriction=restriction, reason=form.cleaned_data["reason"]
                )
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except AlreadyDone as done:
            messages.info(request, done.message)
            return back(case, ANCHOR)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Consigne « ne pas informer » levée."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Lever la consigne « ne pas informer » — %(ref)s") % {"ref": case.reference},
        submit_label=_("Lever la consigne"),
        page="family_restriction_lift",
        anchor=ANCHOR,
        restrictions=[restriction],
    )


urlpatterns = [
    path("dossiers/<uuid:public_id>/familles/contact/", family_contact, name="family_contact"),
    path("dossiers/<uuid:public_id>/familles/exception/", parents_exception, name="parents_exception"),
    path(
        "dossiers/<uuid:public_id>/familles/exception/<uuid:pupil_id>/lever/",
        parents_exception_lift,
        name="parents_exception_lift",
    ),
    path("dossiers/<uuid:public_id>/familles/ne-pas-informer/", restriction_set, name="restriction_set"),
    path(
        "dossiers/<uuid:public_id>/familles/ne-pas-informer/<uuid:restriction_id>/lever/",
        restriction_lift,
        name="restriction_lift",
    ),
]
