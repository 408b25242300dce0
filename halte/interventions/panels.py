"""This module's section of the case page (see halte.cases.panels)."""

from halte.cases.panels import Panel


def case_panel(request, case, shown) -> Panel | None:
    return None
