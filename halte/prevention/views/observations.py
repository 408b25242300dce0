"""Weak-signal observation screens, for the staff of the observed pupil's school.

Thin views: fetch through ``visible_observations`` (404 for anyone outside the school), validate the
form, call one action of ``prevention.observations``, redirect.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.access.policy import Capability
from halte.access.prevention import visible_observations
from halte.core import submission
from halte.forms import form_status
from halte.prevention import observations as actions
from halte.prevention.enums import Sign
from halte.prevention.forms_observations import EntryForm, ObservationForm
from halte.prevention.models import Observation


def _observation_for(request, public_id) -> Observation:
    return get_object_or_404(visible_observations(request.membership).select_related("school"), public_id=public_id)


@policy.requires(Capability.REQUEST_WORKSHOPS)
def observation_list(request):
    rows = (
        visible_observations(request.membership)
        .filter(report__isnull=True)
        .annotate(entry_count=Count("entries"), last_on=Max("entries__observed_on"))
        .order_by("-opened_at")
    )
    listed = [{"observation": o, "erased_on": actions.erasure_date(o)} for o in rows]
    transmitted = visible_observations(request.membership).filter(report__isnull=False).select_related("report")
    return render(request, "prevention/observations/list.html", {"rows": listed, "transmitted": transmitted})


@policy.requires(Capability.REQUEST_WORKSHOPS)
def observation_new(request):
    school = request.membership.school
    if school is None:  # a REQUEST_WORKSHOPS membership outside a school: nothing to observe
        raise Http404
    form = ObservationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
                observation = actions.open_observation(
                    school=school,
                    initials=form.cleaned_data["initials"],
                    class_name=form.cleaned_data["class_name"],
                    actor=request.membership,
                )
                spent.leads_to(reverse("prevention:observation_detail", args=[observation.public_id]))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already, fallback="prevention:observations")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Observation ouverte. Ajoutez maintenant ce que vous avez observé."))
            return redirect("prevention:observation_detail", observation.public_id)
    # What the notice says of an observation opened now.
    context = {"form": form, "erased_on": actions.add_months(timezone.localdate(), actions.RETENTION_MONTHS)}
    return render(request, "prevention/observations/new.html", context, status=form_status(request))


def _detail_context(observation: Observation, entry_form: EntryForm) -> dict:
    labels = dict(Sign.choices)
    return {
        "observation": observation,
        "summary": actions.summary(observation),
        "entries": [
            {"entry": entry, "signs": [labels.get(s, s) for s in entry.signs]}
            for entry in observation.entries.select_related("author__user")
        ],
        "entry_form": entry_form,
        "erased_on": actions.erasure_date(observation),
    }


@policy.requires(Capability.REQUEST_WORKSHOPS)
def observation_detail(request, public_id):
    observation = _observation_for(request, public_id)
    context = _detail_context(observation, EntryForm(observation=observation))
    return render(request, "prevention/observations/detail.html", context)


@policy.requires(Capability.REQUEST_WORKSHOPS)
@require_POST
def observation_entry(request, public_id):
    observation = _observation_for(request, public_id)
    form = EntryForm(request.POST, observation=observation)
    if form.is_valid():
        data = form.cleaned_data
        detail = reverse("prevention:observation_detail", args=[observation.public_id])
        try:
            with submission.once(data[submission.FIELD], user=request.user, leads_to=detail):
                actions.add_entry(
                    observation=observation,
                    observed_on=data["observed_on"],
                    place=data["place"],
                    signs=data["signs"],
                    note=data["note"],
                    actor=request.membership,
                )
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except ValidationError as error:
            form.add_error(None, error)
        except actions.ObservationRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Observation ajoutée."))
            return redirect("prevention:observation_detail", observation.public_id)
    context = _detail_context(observation, form)
    return render(request, "prevention/observations/detail.html", context, status=400)


@policy.requires(Capability.REQUEST_WORKSHOPS)
@require_POST
def observation_to_report(request, public_id):
    observation = _observation_for(request, public_id)
    try:
        report = actions.to_report(observation=observation, actor=request.membership)
    except actions.ObservationRefused as refused:
        messages.error(request, refused.message)
        return redirect("prevention:observation_detail", observation.public_id)
    messages.success(
        request,
        _("Signalement %(reference)s transmis à la cellule. L’observation est conservée avec lui.")
        % {"reference": report.reference},
    )
    return redirect("reports:detail", report.public_id)


urlpatterns = [
    path("signaux-faibles/", observation_list, name="observations"),
    path("signaux-faibles/nouvelle/", observation_new, name="observation_new"),
    path("signaux-faibles/<uuid:public_id>/", observation_detail, name="observation_detail"),
    path("signaux-faibles/<uuid:public_id>/observer/", observation_entry, name="observation_entry"),
    path("signaux-faibles/<uuid:public_id>/transmettre/", observation_to_report, name="observation_to_report"),
]
