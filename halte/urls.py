"""URL map of Halte. Every view below carries an access rule (see ``halte.access.policy``)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from halte.api.urls import api

admin.site.site_header = settings.HALTE["SERVICE_NAME"] + " — administration"
admin.site.site_title = settings.HALTE["SERVICE_NAME"]

urlpatterns = [
    path("", include("halte.www.urls")),
    path("", include("halte.reports.urls")),
    path("", include("halte.cases.urls")),
    path("", include("halte.interventions.urls")),
    path("", include("halte.documents.urls")),
    path("cellule/", include("halte.meetings.urls")),
    path("prevention/", include("halte.prevention.urls")),
    path("", include("halte.stats.urls")),
    path("connexion/", include("halte.accounts.urls")),
    path("habilitations/", include("halte.accounts.grant_urls")),
    path("partenaires/", include("halte.directory.urls")),
    path("notifications/", include("halte.notifications.urls")),
    path("journal/", include("halte.audit.urls")),
    path("exploitation/envois/", include("halte.delivery.urls")),
    path("api/v1/", api.urls),
    path("administration/", admin.site.urls),
]

handler400 = "halte.www.views.bad_request"
handler403 = "halte.www.views.permission_denied"
handler404 = "halte.www.views.page_not_found"
handler500 = "halte.www.views.server_error"
