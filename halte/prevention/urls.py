from .views import coverage, observations, training, workshops

app_name = "prevention"

urlpatterns = [
    *workshops.urlpatterns,
    *training.urlpatterns,
    *observations.urlpatterns,
    *coverage.urlpatterns,
]
