from ninja import NinjaAPI

from halte.directory.api import router as directory_router

api = NinjaAPI(
    title="API Halte",
    version="1",
    description="API de la cellule d'intervention rapide contre le harcèlement scolaire.",
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("/schools", directory_router)

urlpatterns = api.urls[0]
