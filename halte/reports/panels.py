"""This module's section of the case page (see halte.cases.panels): for the magistrate, the evidence of
the case's reports, what was found in each file, and the custody pack to download."""

from halte.access import reports as access
from halte.cases.panels import Panel

from . import antivirus, custody, vault


def case_panel(request, case, shown) -> Panel | None:
    if not access.can_export_custody_pack(request.membership, case):
        return None
    items = custody.evidence_of(case)
    vault.inspect_pending(items)
    return Panel("reports/custody/_panel.html", {"items": items, "antivirus_configured": antivirus.is_configured()})
