"""The judicial facts' section of the case page (see halte.cases.panels): only for those who read the
judicial compartment of the case; the form's link only for those who write it."""

from halte.access import judicial as access
from halte.cases.enums import Compartment
from halte.cases.panels import Panel

from .actions import facts_for


def case_panel(request, case, shown) -> Panel | None:
    if Compartment.JUDICIAL not in shown or not access.can_read_judicial_facts(request.membership, case):
        return None
    return Panel(
        template="judicial/panel.html",
        context={
            "judicial_facts": facts_for(case),
            "can_write_judicial_facts": access.can_write_judicial_facts(request.membership, case),
        },
    )
