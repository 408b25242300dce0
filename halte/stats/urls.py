from django.urls import path  # noqa: F401 - used as soon as the module has pages

app_name = "stats"

urlpatterns: list = []
