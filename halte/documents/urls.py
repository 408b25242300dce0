from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("dossiers/<uuid:public_id>/documents/nouveau/<slug:kind>/", views.generate, name="generate"),
    path("dossiers/<uuid:public_id>/documents/<uuid:document_id>/", views.download, name="download"),
]
