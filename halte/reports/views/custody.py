"""The custody pack of a case's evidence, for the parquet (see reports/custody.py).

The case is fetched through ``visible_cases``; a member who may not make its pack gets the same 404 as
for a case they do not see: whether a case has evidence is itself judicial information. The export is
journaled with the SHA-256 of the signed manifest, in the transaction that builds it.
"""

from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from halte.access import cases as case_access
from halte.access import policy
from halte.access import reports as access
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action

from .. import custody


@policy.requires(Capability.READ_CASES)
def custody_pack(request, public_id):
    case = get_object_or_404(case_access.visible_cases(request.membership), public_id=public_id)
    if not access.can_export_custody_pack(request.membership, case):
        raise Http404
    items = custody.evidence_of(case)
    with transaction.atomic():
        pack = custody.build_pack(case=case, items=items, actor=request.membership)
        detail = {
            "evidence_ids": [str(item.public_id) for item in items],
            "manifest_sha256": pack.manifest_sha256,
            "key": pack.manifest["signature"]["public_key_sha256"],
        }
        record_request(Action.CUSTODY_PACK_EXPORTED, request, target=case, detail=detail)
    response = HttpResponse(pack.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
