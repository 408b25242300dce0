from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.partner_list, name="partners"),
    path("nouveau/", views.partner_new, name="partner_new"),
    path("<uuid:public_id>/", views.partner_edit, name="partner_edit"),
]
