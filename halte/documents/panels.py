"""This module's section of the case page (see halte.cases.panels): the documents of the case the
member may read, and links to generate the kinds the member may generate."""

from halte.access import documents as access
from halte.cases.panels import Panel

from .models import DocumentKind


def case_panel(request, case, shown) -> Panel | None:
    membership = request.membership
    documents = access.readable_documents(
        membership, case, case.documents.select_related("generated_by__user", "generated_by__organisation")
    )
    kinds = [(kind, DocumentKind(kind).label) for kind in access.generatable_kinds(membership, case)]
    if not documents and not kinds:
        return None
    return Panel("documents/_panel.html", {"documents": documents, "kinds": kinds})
