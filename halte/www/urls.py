from django.urls import path

from . import views

app_name = "www"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", views.privacy, name="privacy"),
    path("espace/", views.staff_home, name="staff_home"),
    path("espace/recherche/", views.search, name="search"),
    path("calendrier/", views.calendar, name="calendar"),
    path("healthz", views.healthz, name="healthz"),
    path("exploitation/metriques", views.metrics, name="metrics"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
]
