from django.urls import path

from . import views

app_name = "delivery"

urlpatterns = [
    path("", views.troubles, name="troubles"),
    path("<uuid:public_id>/relancer/", views.retry, name="retry"),
]
