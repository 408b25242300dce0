from django.urls import path

from . import grant_views

app_name = "grants"

urlpatterns = [
    path("", grant_views.grant_list, name="list"),
    path("<uuid:public_id>/", grant_views.grant_decide, name="decide"),
]
