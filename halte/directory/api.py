"""Public, read-only search of the school directory, used by every school picker."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from halte.api.errors import ValidationErrorOut

from .models import School

router = Router(tags=["Établissements"])

MAX_RESULTS = 20


class SchoolOut(Schema):
    uai: str
    name: str
    kind: str
    sector: str
    commune: str
    postcode: str
    departement: str
    label: str = Field(description="Libellé prêt à afficher : nom, commune et UAI.")

    @staticmethod
    def resolve_label(obj: School) -> str:
        return str(obj)


@router.get(
    "",
    response={200: list[SchoolOut], 422: ValidationErrorOut},
    auth=None,
    summary="Rechercher un établissement",
)
def search_schools(request: HttpRequest, q: str = Query("", max_length=100, description="Nom, commune ou UAI")):
    """Open establishments whose name, commune, postcode or UAI contain every word of `q`
    (accents and case ignored). At most 20 results; an empty query returns nothing."""
    if not q.strip():
        return []
    return list(School.objects.open().search(q).order_by("name", "uai")[:MAX_RESULTS])
