"""The staff calendar: the cell's meetings, prevention workshops and the due dates of actions and
follow-up checkpoints, by month or by week, and the same period as a plain list.

What appears is decided by ``access/calendar.py``; this module only lays it out. Four queries read the
period whatever its number of entries (pinned in ``tests/www/test_calendar.py``). Times are local
(Europe/Paris): an entry is on the day its local time falls on.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access import calendar as access

MONTH = "mois"
WEEK = "semaine"
LIST = "liste"
VIEWS = {MONTH: gettext_lazy("Mois"), WEEK: gettext_lazy("Semaine"), LIST: gettext_lazy("Liste")}

MEETING = "meeting"
WORKSHOP = "workshop"
ACTION = "action"
FOLLOW_UP = "follow_up"
KIND_LABELS = {
    MEETING: gettext_lazy("Réunion de la cellule"),
    WORKSHOP: gettext_lazy("Atelier de prévention"),
    ACTION: gettext_lazy("Échéance d’une action"),
    FOLLOW_UP: gettext_lazy("Point de suivi"),
}


@dataclass
class Entry:
    kind: str
    at: datetime | None  # local time, or None for a whole day (follow-ups are due on a day)
    day: date
    title: str
    url: str

    @property
    def kind_label(self) -> Any:
        return KIND_LABELS[self.kind]


def parse(view: str | None, day: str | None, today: date) -> tuple[str, date]:
    """The view asked for (month by default) and the day it shows; anything malformed gives today."""
    chosen = view if view in VIEWS else MONTH
    try:
        shown = date.fromisoformat(day or "")
    except ValueError:
        shown = today
    if not date(1900, 1, 1) <= shown <= date(9998, 12, 1):
        shown = today
    return chosen, shown


def period(view: str, day: date) -> tuple[date, date]:
    """First and last day shown: the month's full weeks (Monday to Sunday), or the week of ``day``
    (the list shows the month)."""
    if view == WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    first = day.replace(day=1)
    last = first.replace(day=stdlib_calendar.monthrange(first.year, first.month)[1])
    if view == LIST:
        return first, last
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def neighbours(view: str, day: date) -> tuple[date, date]:
    """The day shown by « précédent » and « suivant »."""
    if view == WEEK:
        return day - timedelta(days=7), day + timedelta(days=7)
    first = day.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return previous, following


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=zone), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=zone
    )


def entries(membership, start: date, end: date) -> list[Entry]:
    """Everything of the period the membership may see, in time order (a day's whole-day entries first)."""
    since, until = _bounds(start, end)
    found: list[Entry] = []
    for meeting in access.calendar_meetings(membership).filter(starts_at__gte=since, starts_at__lt=until):
        at = timezone.localtime(meeting.starts_at)
        found.append(Entry(MEETING, at, at.date(), meeting.title, reverse("meetings:detail", args=[meeting.public_id])))
    workshops = (
        access.calendar_workshops(membership)
        .filter(scheduled_at__gte=since, scheduled_at__lt=until)
        .select_related("school")
    )
    for workshop in workshops:
        at = timezone.localtime(workshop.scheduled_at)
        title = f"{workshop.get_theme_display()} — {workshop.school.name}"
        found.append(
            Entry(WORKSHOP, at, at.date(), title, reverse("prevention:request_detail", args=[workshop.public_id]))
        )
    actions = (
        access.calendar_actions(membership)
        .filter(due_at__gte=since, due_at__lt=until)
        .select_related("case", "owner_organisation")
    )
    for action in actions:
        at = timezone.localtime(action.due_at)
        title = f"{action.title} — {action.case.reference} ({action.owner_organisation})"
        url = (
            reverse("cases:detail", args=[action.case.public_id])
            if getattr(action, "case_readable", False)
            else reverse("cases:my_actions")
        )
        found.append(Entry(ACTION, at, at.date(), title, url))
    follow_ups = (
        access.calendar_follow_ups(membership).filter(due_on__gte=start, due_on__lte=end).select_related("case")
    )
    for follow_up in follow_ups:
        title = _("J+%(day)s — %(reference)s") % {"day": follow_up.day, "reference": follow_up.case.reference}
        url = reverse("cases:detail", args=[follow_up.case.public_id]) + "#titre-suivis"
        found.append(Entry(FOLLOW_UP, None, follow_up.due_on, title, url))
    found.sort(key=lambda e: (e.day, e.at is not None, e.at.time() if e.at else time.min, e.kind, e.title))
    return found


def by_day(found: list[Entry]) -> dict[date, list[Entry]]:
    days: dict[date, list[Entry]] = defaultdict(list)
    for entry in found:
        days[entry.day].append(entry)
    return days


def weeks(start: date, end: date, days: dict[date, list[Entry]]) -> list[list[dict]]:
    """The period as rows of seven days, each with its entries."""
    rows: list[list[dict]] = []
    current = start
    while current <= end:
        rows.append(
            [
                {"day": current + timedelta(days=i), "entries": days.get(current + timedelta(days=i), [])}
                for i in range(7)
            ]
        )
        current += timedelta(days=7)
    return rows
