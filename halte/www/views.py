"""Pages that belong to no domain: public home, legal pages, staff home, health, error pages."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from halte.access import policy
from halte.access.policy import Capability


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
    return render(request, "www/legal/privacy.html")


@policy.requires(Capability.USE_STAFF_AREA)
def staff_home(request):
    return render(request, "www/staff_home.html")


@policy.public
@never_cache
def healthz(request):
    """200 when the database answers, 503 otherwise. Says nothing else to the outside."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


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
    template = loader.get_template("www/errors/500.html")
    return HttpResponse(template.render({"HALTE": settings.HALTE}), status=500)


def csrf_failure(request, reason=""):
    """A form refused because its security cookie did not come back (cookies blocked, page kept open
    for hours, private window closed meanwhile). Said plainly, with the quick exit and a way back:
    the child who meets it is in the middle of writing about something hard."""
    from halte.reports import voice
    from halte.reports.views.public import reporter_voice

    public = not request.path.startswith(("/connexion/", "/administration/"))
    chosen = reporter_voice(request) if public else voice.VOUS
    with voice.speaking(chosen):
        return render(request, "www/errors/csrf.html", {"public": public}, status=403)
