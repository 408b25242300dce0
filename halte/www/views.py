"""Pages that belong to no domain: public home, legal pages, staff home, health, error pages."""

import sys

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from halte.access import policy
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.core.faults import CONNECTION_FAULTS
from halte.forms import HalteForm

from . import calendar as calendar_module
from . import search as search_module
from . import today


@policy.public
def home(request):
    return render(request, "www/home.html")


@policy.public
def accessibility(request):
    return render(request, "www/legal/accessibility.html")


@policy.public
def legal_notice(request):
    return render(request, "www/legal/legal_notice.html")


@policy.public
def privacy(request):
    from halte.core.retention import RULES

    # The retention section is the rule table the periodic pass applies: it cannot promise more.
    return render(request, "www/legal/privacy.html", {"retention_rules": RULES})


@policy.requires(Capability.USE_STAFF_AREA)
def staff_home(request):
    """« Aujourd'hui »: what this membership has to do today (``today.py``), then its shortcuts."""
    return render(request, "www/staff_home.html", {"today": today.today_for(request.membership)})


@policy.requires(Capability.READ_CASES)
def calendar(request):
    """Meetings, workshops and due dates by month or week, or as a list (``calendar.py``): only what
    the membership may see (``access/calendar.py``)."""
    today_ = timezone.localdate()
    view, day = calendar_module.parse(request.GET.get("vue"), request.GET.get("date"), today_)
    start, end = calendar_module.period(view, day)
    found = calendar_module.entries(request.membership, start, end)
    days = calendar_module.by_day(found)
    previous, following = calendar_module.neighbours(view, day)
    context = {
        "view": view,
        "views": calendar_module.VIEWS,
        "day": day,
        "today": today_,
        "start": start,
        "end": end,
        "previous": previous,
        "following": following,
        "weeks": calendar_module.weeks(start, end, days) if view != calendar_module.LIST else [],
        "list_days": sorted(days.items()),
        "count": len(found),
        "weekdays": [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche")],
    }
    return render(request, "www/calendar.html", context)


class SearchForm(HalteForm):
    q = forms.CharField(
        label=_("Référence, nom d’un élève ou d’un adulte, établissement, commune"),
        min_length=search_module.MIN_LENGTH,
        max_length=search_module.MAX_LENGTH,
        error_messages={
            "min_length": _("Saisissez au moins %(limit_value)d caractères."),
            "max_length": _("Saisissez au plus %(limit_value)d caractères."),
            "null_characters_not_allowed": _("La recherche contient un caractère invalide."),
        },
    )


@policy.requires(Capability.READ_CASES)
@never_cache
def search(request):
    """One box for cases and reports (``search.py``). Every search is journaled with its words and the
    references it showed: looking for a child by name is a read of personal data."""
    form = SearchForm(request.GET) if request.GET.get("q", "").strip() else SearchForm()
    results = None
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        results = search_module.search(request.membership, query)
        record_request(
            AuditAction.SEARCH,
            request,
            detail={
                "query": query,
                "cases": [hit.obj.reference for hit in results.cases],
                "reports": [hit.obj.reference for hit in results.reports],
                # What the DPO's journal shows of the search: the words typed and how many results.
                "results": len(results.cases) + len(results.reports),
            },
        )
    return render(request, "www/search.html", {"form": form, "results": results})


@policy.public
@never_cache
def healthz(request):
    """The service's vital signs, for monitoring: the database, the age of the last periodic pass
    (`tick`), the age of the oldest job ready and waiting, the count of failed deliveries. 503 when
    the database does not answer, the last pass is older than ``HALTE_HEALTH["TICK_MAX_AGE"]`` (or
    never ran) or the oldest ready job older than ``HALTE_HEALTH["QUEUE_MAX_AGE"]`` (no worker). Ages
    and counts only: nothing about a report or a person."""
    from halte.delivery import queue
    from halte.delivery.models import Job

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        now = timezone.now()
        last_tick = queue.last_beat("tick")
        oldest = queue.oldest_ready_age(now)
        failed = Job.objects.filter(status=Job.Status.FAILED).count()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    limits = settings.HALTE_HEALTH
    tick_age = None if last_tick is None else round((now - last_tick).total_seconds())
    queue_age = None if oldest is None else round(oldest.total_seconds())
    problems = []
    if tick_age is None or tick_age > limits["TICK_MAX_AGE"]:
        problems.append("tick_late")
    if queue_age is not None and queue_age > limits["QUEUE_MAX_AGE"]:
        problems.append("queue_stuck")
    body = {
        "status": "error" if problems else "ok",
        "database": "ok",
        "last_tick_age_seconds": tick_age,
        "oldest_queued_task_age_seconds": queue_age,
        "failed_deliveries": failed,
        "problems": problems,
    }
    return JsonResponse(body, status=503 if problems else 200)


@policy.monitoring
@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics (``halte.core.metrics``), for the monitoring server's token only: the
    access policy answers 404 when ``HALTE_METRICS_TOKEN`` is not set, 401 without a token, 403 with a
    wrong one. Latencies by route name, queue and delivery figures, cases per state: no content."""
    from halte.core import metrics as exported

    try:
        body = exported.exposition()
    except DatabaseError:
        return HttpResponse("Base de données injoignable.\n", status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse(body, content_type=exported.CONTENT_TYPE)


@policy.public
def favicon(request):
    return redirect(static("dsfr/dist/favicon/favicon.ico"), permanent=True)


@policy.public
def robots_txt(request):
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")


def bad_request(request, exception=None):
    # A form posted with megabytes of text is refused before any view runs: say so plainly.
    too_big = isinstance(exception, RequestDataTooBig | TooManyFieldsSent)
    return render(request, "www/errors/400.html", {"too_big": too_big}, status=400)


def permission_denied(request, exception=None):
    return render(request, "www/errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "www/errors/404.html", status=404)


def server_error(request):
    # Rendered without context processors: the database may be what just failed.
    fault = sys.exc_info()[1]
    if isinstance(fault, (*CONNECTION_FAULTS, OSError)):
        # The database or the storage failed, not the request: a transaction that did not commit left
        # nothing behind, and trying again shortly is the right advice.
        template = loader.get_template("www/errors/503.html")
        # A child sending a report hears it in the form's words, with the way back to its last step.
        reporting = request.path.startswith("/signaler/")
        response = HttpResponse(template.render({"HALTE": settings.HALTE, "reporting": reporting}), status=503)
        response["Retry-After"] = "30"
        return response
    template = loader.get_template("www/errors/500.html")
    return HttpResponse(template.render({"HALTE": settings.HALTE}), status=500)


# Where the public (a child, a parent) posts forms; every other form is staff's.
PUBLIC_FORM_PATHS = ("/signaler/", "/suivi/", "/sortie/", "/urgence/")


def csrf_failure(request, reason=""):
    """A form refused because its security cookie did not come back (cookies blocked, page kept open
    for hours, private window closed meanwhile). Said plainly, with the quick exit and a way back:
    the child who meets it is in the middle of writing about something hard."""
    from halte.reports import voice
    from halte.reports.views.public import reporter_voice

    public = request.path == "/" or request.path.startswith(PUBLIC_FORM_PATHS)
    chosen = reporter_voice(request) if public else voice.VOUS
    with voice.speaking(chosen):
        return render(request, "www/errors/csrf.html", {"public": public}, status=403)
