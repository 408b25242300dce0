"""Training screens (sessions, attendees, attendance, PDF certificates) and pupil ambassadors.

All of them belong to the coordination (MANAGE_PREVENTION). Thin views: validate a form, call one
function of ``prevention.training``, redirect. The certificate is rendered by WeasyPrint, imported
inside the view so that the application starts even where Pango is missing.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access import policy
from halte.access.policy import Capability
from halte.core import submission
from halte.forms import form_status

from .. import coverage
from .. import training as actions
from ..forms_training import AmbassadorForm, AttendanceForm, AttendeeForm, SessionForm
from ..models import AmbassadorCount, TrainingAttendee, TrainingSession
from .coverage import YEARS_SHOWN, year_label

PAGE_SIZE = 50


def _session_for(public_id) -> TrainingSession:
    return get_object_or_404(TrainingSession.objects.select_related("created_by__user"), public_id=public_id)


@policy.requires(Capability.MANAGE_PREVENTION)
def trainings(request):
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
                session = actions.create_session(actor=request.membership, **submission.fields(form))
                spent.leads_to(reverse("prevention:training_detail", args=[session.public_id]))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already, fallback="prevention:trainings")
        messages.success(request, _("Formation enregistrée. Inscrivez maintenant les participants."))
        return redirect("prevention:training_detail", session.public_id)
    sessions = TrainingSession.objects.annotate(
        registered=Count("attendees"), present=Count("attendees", filter=Q(attendees__attended=True))
    ).order_by("-starts_at", "-id")
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "now": timezone.now()}
    return render(request, "prevention/training/list.html", context, status=form_status(request))


@policy.requires(Capability.MANAGE_PREVENTION)
def training_detail(request, public_id):
    session = _session_for(public_id)
    attendees = list(session.attendees.select_related("school"))
    adding = request.method == "POST" and request.POST.get("action") == "add"
    marking = request.method == "POST" and request.POST.get("action") == "attendance"
    attendee_form = AttendeeForm(request.POST if adding else None, prefix="participant")
    attendance_form = AttendanceForm(
        request.POST if marking else None,
        attendees=attendees,
        initial={"present": [str(a.pk) for a in attendees if a.attended]},
        prefix="presence",
    )
    if adding and attendee_form.is_valid():
        detail = reverse("prevention:training_detail", args=[session.public_id])
        try:
            with submission.once(attendee_form.cleaned_data[submission.FIELD], user=request.user, leads_to=detail):
                attendee = actions.add_attendee(session=session, **submission.fields(attendee_form))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        except actions.TrainingRefused as refused:
            attendee_form.add_error(None, refused.message)
        else:
            messages.success(request, _("%(name)s est inscrit(e).") % {"name": attendee.full_name})
            return redirect("prevention:training_detail", session.public_id)
    if marking and attendance_form.is_valid():
        try:
            present = actions.record_attendance(session=session, present=attendance_form.present_ids())
        except actions.TrainingRefused as refused:
            attendance_form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _("Présences enregistrées : %(present)d sur %(total)d.")
                % {"present": present, "total": len(attendees)},
            )
            return redirect("prevention:training_detail", session.public_id)
    context = {
        "session": session,
        "attendees": attendees,
        "attendee_form": attendee_form,
        "attendance_form": attendance_form,
        "started": actions.has_started(session),
        "duration": actions.duration_label(session.duration_minutes),
    }
    return render(request, "prevention/training/detail.html", context, status=form_status(request))


def _refuse_all_fetches(url: str, *args, **kwargs):
    """The certificate needs no external resource: WeasyPrint may fetch nothing."""
    raise ValueError(f"Resource refused: {url}")


@policy.requires(Capability.MANAGE_PREVENTION)
def training_certificate(request, public_id, attendee_id):
    import weasyprint  # lazy: Pango may be missing where the application starts

    session = _session_for(public_id)
    attendee = get_object_or_404(
        TrainingAttendee.objects.select_related("school", "session"), session=session, public_id=attendee_id
    )
    try:
        certificate = actions.certificate_for(attendee)
    except actions.TrainingRefused as refused:
        raise Http404(refused.message) from refused
    html = render_to_string(
        "prevention/training/certificate.html",
        {"certificate": certificate, "topic": session.get_topic_display(), "HALTE": settings.HALTE},
        request=request,
    )
    stylesheet = weasyprint.CSS(string=render_to_string("prevention/training/certificate.css"))
    pdf = weasyprint.HTML(string=html, url_fetcher=_refuse_all_fetches).write_pdf(stylesheets=[stylesheet])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Pupil ambassadors ---------------------------------------------------------------------------


@policy.requires(Capability.MANAGE_PREVENTION)
def ambassadors(request):
    current = coverage.current_school_year()
    years = [current - offset for offset in range(YEARS_SHOWN)]
    try:
        year = int(request.GET.get("annee", current))
    except ValueError:
        year = current
    if year not in years:
        year = current
    form = AmbassadorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user, leads_to=request.path):
                record = actions.record_ambassadors(actor=request.membership, **submission.fields(form))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already)
        messages.success(
            request,
            _("%(count)d élèves ambassadeurs enregistrés pour %(school)s, année scolaire %(year)s.")
            % {"count": record.count, "school": record.school.name, "year": year_label(record.school_year)},
        )
        return redirect(f"{request.path}?annee={record.school_year}")
    records = list(
        AmbassadorCount.objects.filter(school_year=year)
        .select_related("school")
        .order_by("school__commune", "school__name", "trained_on")
    )
    context = {
        "form": form,
        "year": year,
        "year_label": year_label(year),
        "years": [(y, year_label(y)) for y in years],
        "records": records,
        "total": sum(record.count for record in records),
        "schools": len({record.school_id for record in records}),
        "target": coverage.TARGETS["ambassadors_per_school"],
    }
    return render(request, "prevention/training/ambassadors.html", context, status=form_status(request))


urlpatterns = [
    path("formations/", trainings, name="trainings"),
    path("formations/<uuid:public_id>/", training_detail, name="training_detail"),
    path(
        "formations/<uuid:public_id>/attestation/<uuid:attendee_id>.pdf",
        training_certificate,
        name="training_certificate",
    ),
    path("ambassadeurs/", ambassadors, name="ambassadors"),
]
