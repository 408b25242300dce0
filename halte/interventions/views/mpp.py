"""The shared-concern method: start a series with an alleged author, record its meetings and the
victim's follow-up points, close it, and answer Halte's proposal to switch to the sanctions track."""

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import interventions as access
from halte.access import policy
from halte.access.policy import Capability
from halte.cases.enums import Role as InvolvementRole
from halte.cases.models import Involvement
from halte.core import submission
from halte.interventions import mpp
from halte.interventions.common import InterventionRefused
from halte.interventions.forms import AuthorMeetingForm, SeriesOutcomeForm, SeriesStartForm, VictimPointForm
from halte.interventions.models import MppSeries

from .base import back, case_for, fields, form_page, once, posted, require

ANCHOR = "titre-preoccupation-partagee"


def _series_for(request, case, series_id) -> MppSeries:
    series = get_object_or_404(
        access.visible_series(request.membership, case).select_related("author"), public_id=series_id
    )
    series.case = case
    return series


def _no_author_left(case) -> str:
    """Why there is nothing to pick on the start page, and who can change that: the coordination or the
    case's lead add the people of a case (``access.cases.can_manage``)."""
    if not Involvement.objects.filter(case=case, role=InvolvementRole.ALLEGED_AUTHOR).exists():
        text = _(
            "Aucun élève auteur présumé n’est inscrit au dossier : la préoccupation partagée s’engage avec un "
            "élève cité comme auteur présumé. La coordination de la cellule ou le responsable du dossier peut "
            "l’ajouter depuis la partie « Personnes » du dossier."
        )
        if case.lead_id:
            text += " " + _("Responsable du dossier : %(lead)s.") % {"lead": case.lead.user.get_full_name()}
        return text
    return _("La préoccupation partagée est déjà engagée avec chaque élève auteur présumé du dossier.")


@policy.requires(Capability.READ_CASES)
def series_start(request, public_id):
    case = case_for(request, public_id)
    require(access.can_run_mpp(request.membership, case))
    form = SeriesStartForm(posted(request), case=case)
    engaged = form.engaged_series() if request.method == "POST" else None
    if engaged is not None and access.visible_series(request.membership, case).filter(pk=engaged.pk).exists():
        # Sent back to the series, as a form posted twice is (« Déjà enregistré »).
        messages.info(request, mpp.already_engaged(engaged))
        return back(case, ANCHOR)
    if not form.fields["author"].choices:
        return form_page(
            request,
            case,
            form=None,
            title=_("Engager la préoccupation partagée — %(ref)s") % {"ref": case.reference},
            submit_label="",
            page="series_start",
            anchor=ANCHOR,
            intro=_no_author_left(case),
        )
    if request.method == "POST" and form.is_valid():
        try:
            mpp.start_series(case=case, actor=request.membership, author=form.cleaned_data["author"])
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Préoccupation partagée engagée. Enregistrez maintenant le premier entretien."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Engager la préoccupation partagée — %(ref)s") % {"ref": case.reference},
        submit_label=_("Engager la méthode avec cet élève"),
        page="series_start",
        anchor=ANCHOR,
        intro=_(
            "Des entretiens individuels, courts et répétés, sans reproche, avec chaque élève auteur présumé, "
            "jusqu’à ce que la situation cesse. Sans amélioration 15 jours après le premier entretien, Halte "
            "proposera de basculer vers les sanctions."
        ),
    )


@policy.requires(Capability.READ_CASES)
def series_author_meeting(request, public_id, series_id):
    case = case_for(request, public_id)
    series = _series_for(request, case, series_id)
    require(access.can_run_mpp(request.membership, case))
    first = not mpp.has_author_meeting(series)
    form = AuthorMeetingForm(posted(request), case=case, actor=request.membership, first=first)
    if request.method == "POST" and form.is_valid():
        try:
            with once(request, form, case, ANCHOR):
                mpp.record_author_meeting(series=series, actor=request.membership, **fields(form))
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
        title=_("Entretien de préoccupation partagée avec %(author)s") % {"author": series.author},
        submit_label=_("Enregistrer l’entretien"),
        page="series_author_meeting",
        anchor=ANCHOR,
        intro=_(
            "Un entretien bref, sans reproche : l’élève cherche lui-même ce qui aiderait l’autre élève à aller mieux."
        ),
    )


@policy.requires(Capability.READ_CASES)
def series_victim_point(request, public_id, series_id):
    case = case_for(request, public_id)
    series = _series_for(request, case, series_id)
    require(access.can_run_mpp(request.membership, case))
    form = VictimPointForm(posted(request), case=case, actor=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            with once(request, form, case, ANCHOR):
                mpp.record_victim_point(series=series, actor=request.membership, **fields(form))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except InterventionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Point avec l’élève victime enregistré."))
            return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Point de suivi avec la victime — préoccupation partagée avec %(author)s") % {"author": series.author},
        submit_label=_("Enregistrer le point"),
        page="series_victim_point",
        anchor=ANCHOR,
    )


@policy.requires(Capability.READ_CASES)
@require_POST
def series_outcome(request, public_id, series_id):
    case = case_for(request, public_id)
    series = _series_for(request, case, series_id)
    require(access.can_run_mpp(request.membership, case))
    form = SeriesOutcomeForm(request.POST)
    if form.is_valid():
        try:
            mpp.close_series(series=series, actor=request.membership, status=form.cleaned_data["status"])
        except InterventionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Série d’entretiens mise à jour."))
        return back(case, ANCHOR)
    return form_page(
        request,
        case,
        form=form,
        title=_("Issue de la préoccupation partagée avec %(author)s") % {"author": series.author},
        submit_label=_("Enregistrer"),
        page="series_outcome",
        anchor=ANCHOR,
    )


@policy.requires(Capability.READ_CASES)
@require_POST
def series_switch(request, public_id, series_id):
    case = case_for(request, public_id)
    series = _series_for(request, case, series_id)
    require(access.can_decide_mpp_switch(request.membership, case))
    try:
        mpp.switch_to_sanctions(series=series, actor=request.membership)
    except InterventionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("La série bascule vers les sanctions. Enregistrez les mesures décidées."))
    return back(case, ANCHOR)


@policy.requires(Capability.READ_CASES)
@require_POST
def series_keep_going(request, public_id, series_id):
    case = case_for(request, public_id)
    series = _series_for(request, case, series_id)
    require(access.can_decide_mpp_switch(request.membership, case))
    try:
        mpp.keep_going(series=series, actor=request.membership)
    except InterventionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("La préoccupation partagée continue. La proposition ne sera pas répétée."))
    return back(case, ANCHOR)


_SERIES = "dossiers/<uuid:public_id>/preoccupation-partagee/<uuid:series_id>"

urlpatterns = [
    path("dossiers/<uuid:public_id>/preoccupation-partagee/nouvelle/", series_start, name="series_start"),
    path(f"{_SERIES}/entretien/", series_author_meeting, name="series_author_meeting"),
    path(f"{_SERIES}/point-victime/", series_victim_point, name="series_victim_point"),
    path(f"{_SERIES}/issue/", series_outcome, name="series_outcome"),
    path(f"{_SERIES}/basculer/", series_switch, name="series_switch"),
    path(f"{_SERIES}/poursuivre/", series_keep_going, name="series_keep_going"),
]
