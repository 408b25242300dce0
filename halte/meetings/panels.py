"""This module's section of the case page (see halte.cases.panels): « Réunions de la cellule ».

Shown to members who read the case's core compartment: the meetings where the case was on the
agenda, with the minutes and the decisions (owner, due date). The coordination also gets a small
form to put the case on the agenda of an upcoming planned meeting.
"""

from django.db.models import QuerySet
from django.utils import timezone

from halte.access import meetings as access
from halte.cases.enums import Compartment
from halte.cases.panels import Panel

from .forms import EnrolForm
from .models import AgendaItem, Meeting


def enrollable_meetings(case, now=None) -> QuerySet[Meeting]:
    """Planned meetings still to come whose agenda does not hold the case yet, soonest first."""
    now = now or timezone.now()
    return (
        Meeting.objects.filter(status=Meeting.Status.PLANNED, starts_at__gte=now)
        .exclude(items__case=case)
        .order_by("starts_at", "id")
    )


def case_panel(request, case, shown) -> Panel | None:
    if Compartment.CORE not in shown:
        return None
    membership = request.membership
    items = list(
        AgendaItem.objects.filter(case=case)
        .select_related("meeting", "minutes_by__user")
        .prefetch_related("decisions__action__owner_organisation", "decisions__action__owner__user")
        .order_by("-meeting__starts_at", "-id")
    )
    meeting_ids = {item.meeting_id for item in items}
    readable = set(access.visible_meetings(membership).filter(pk__in=meeting_ids).values_list("pk", flat=True))
    rows = [
        {
            "item": item,
            "linked": item.meeting_id in readable,
            # A decision is an action of the case: shown only if its compartment is read here.
            "decisions": [d for d in item.decisions.all() if d.action.compartment in shown],
        }
        for item in items
    ]
    enrol_form = None
    if access.can_enrol(membership, case) and case.merged_into_id is None:
        meetings = enrollable_meetings(case)
        if meetings.exists():
            enrol_form = EnrolForm(meetings=meetings)
    return Panel(template="meetings/_case_panel.html", context={"case": case, "rows": rows, "enrol_form": enrol_form})
