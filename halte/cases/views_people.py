"""People who can be reached: a pupil's guardians (added from the case page: an adult of the case, or
one entered then), an adult's contact details, a pupil's date of birth and home address. Thin views:
the case through ``visible_cases`` (404 outside it), the person among the case's own (404 otherwise),
``can_add_guardian`` (403), one action, back to the case; every display is journaled as a read of the
case."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from halte.access import cases as access
from halte.access import policy
from halte.access.interventions import can_add_guardian
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.core import submission
from halte.core.french import of_name

from . import guardians
from .enums import PersonKind
from .forms_people import ContactForm, GuardianForm, PupilIdentityForm
from .models import Case, Person
from .views import _require

ANCHOR = "titre-personnes"


def _case_for(request, public_id) -> Case:
    return get_object_or_404(access.visible_cases(request.membership).select_related("school"), public_id=public_id)


def _person_of(case: Case, person_id, kind: str | None = None) -> Person:
    people = Person.objects.filter(involvements__case=case)
    if kind is not None:
        people = people.filter(kind=kind)
    return get_object_or_404(people.distinct(), public_id=person_id)


def _back(case: Case):
    return reverse("cases:detail", args=[case.public_id]) + f"#{ANCHOR}"


def _page(request, case: Case, page: str, context: dict, status: int | None = None):
    record_request(AuditAction.CASE_READ, request, target=case, detail={"page": page})
    if status is None:
        status = 400 if request.method == "POST" else 200
    return render(request, "cases/person_form.html", {"case": case, "back_url": _back(case), **context}, status=status)


@policy.requires(Capability.READ_CASES)
def guardian_add(request, public_id, person_id):
    case = _case_for(request, public_id)
    _require(can_add_guardian(request.membership, case))
    child = _person_of(case, person_id, PersonKind.PUPIL)
    linked = {link.guardian_id for link in child.guardianships.all()}
    adults = [adult for adult in guardians.adults_of(case) if adult.pk not in linked]
    form = GuardianForm(request.POST if request.method == "POST" else None, adults=adults)
    if request.method == "POST" and form.is_valid():
        data = submission.fields(form)
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=_back(case)):
                guardians.add_guardian(case=case, actor=request.membership, child=child, **data)
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except guardians.GuardianRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Représentant légal ajouté."))
            return redirect(_back(case))
    return _page(
        request,
        case,
        "guardian",
        {
            "form": form,
            "title": _("Ajouter un représentant légal %(of_name)s — %(ref)s")
            % {"of_name": of_name(child), "ref": case.reference},
            "submit_label": _("Ajouter le représentant légal"),
            "current": guardians.guardians_by_pupil([child])[child.pk],
            "child": child,
            # The link is the pupil's, whatever the case: it shows in the pupil's other cases too.
            "other_cases": guardians.other_cases_count(child, case),
        },
    )


@policy.requires(Capability.READ_CASES)
def person_contact(request, public_id, person_id):
    case = _case_for(request, public_id)
    _require(can_add_guardian(request.membership, case))
    person = _person_of(case, person_id)
    if person.kind == PersonKind.PUPIL:
        return _pupil_identity(request, case, person)
    initial = {"email": person.email, "phone": person.phone, "address": person.address}
    form = ContactForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=_back(case)):
                guardians.update_contact(case=case, actor=request.membership, person=person, **submission.fields(form))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except guardians.GuardianRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Coordonnées enregistrées."))
            return redirect(_back(case))
    return _page(
        request,
        case,
        "person_contact",
        {
            "form": form,
            "title": _("Coordonnées %(of_name)s — %(ref)s") % {"of_name": of_name(person), "ref": case.reference},
            "submit_label": _("Enregistrer les coordonnées"),
            "other_cases": guardians.other_cases_count(person, case),
        },
    )


def _pupil_identity(request, case: Case, person: Person):
    """A pupil's date of birth and home address (the CRIP's information préoccupante prints them)."""
    initial = {"birth_date": person.birth_date, "address": person.address}
    form = PupilIdentityForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=_back(case)):
                guardians.update_pupil_identity(
                    case=case, actor=request.membership, person=person, **submission.fields(form)
                )
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except guardians.GuardianRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Date de naissance et adresse enregistrées."))
            return redirect(_back(case))
    return _page(
        request,
        case,
        "pupil_identity",
        {
            "form": form,
            "title": _("Date de naissance et adresse %(of_name)s — %(ref)s")
            % {"of_name": of_name(person), "ref": case.reference},
            "submit_label": _("Enregistrer"),
        },
    )
