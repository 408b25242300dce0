from .views import families, interviews, measures, mpp

app_name = "interventions"

urlpatterns = [
    *measures.urlpatterns,
    *interviews.urlpatterns,
    *mpp.urlpatterns,
    *families.urlpatterns,
]
