from ninja import NinjaAPI

from halte.api.errors import JsonOnlyParser
from halte.api.errors import install as install_error_handlers
from halte.directory.api import router as directory_router
from halte.reports.api import router as reports_router

api = NinjaAPI(
    title="API Halte",
    version="1",
    description="API de la cellule d'intervention rapide contre le harcèlement scolaire.",
    urls_namespace="api",
    docs_url="/docs",
    parser=JsonOnlyParser(),
)
install_error_handlers(api)
api.add_router("/schools", directory_router)
api.add_router("/reports", reports_router)
