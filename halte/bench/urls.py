"""The application's URLs plus the floor of the intake benchmark (bench settings only)."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.urls import urlpatterns as application

FLOOR_TABLE = "bench_floor"


@csrf_exempt
@require_POST
@policy.public
def floor(request: HttpRequest) -> JsonResponse:
    """The least a Django view can do with a report: one INSERT of the body as it came, 201."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s) RETURNING id", [request.body.decode()])  # noqa: S608
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("banc-d-essai/plancher/", floor, name="bench_floor"), *application]
