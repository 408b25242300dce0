"""Pages of the steering statistics, mounted at the site root: /pilotage/… (staff) and /resultats/ (public)."""

from django.urls import path

from . import views

app_name = "stats"

urlpatterns = [
    path("pilotage/", views.dashboard, name="dashboard"),
    path("pilotage/export/<slug:table>.<str:fmt>", views.export, name="export"),
    path("pilotage/bilans/", views.yearly_reports, name="yearly_reports"),
    path("pilotage/bilans/<int:year>/", views.yearly_report_edit, name="yearly_report_edit"),
    path("pilotage/bilans/<int:year>/publier/", views.yearly_report_publish, name="yearly_report_publish"),
    path("pilotage/bilans/<int:year>/retirer/", views.yearly_report_unpublish, name="yearly_report_unpublish"),
    path("pilotage/bilans/<int:year>/bilan.pdf", views.yearly_report_pdf, name="yearly_report_pdf"),
    path("resultats/", views.public_results, name="public_results"),
    path("resultats/<int:year>/", views.public_year, name="public_year"),
]
