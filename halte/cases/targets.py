"""Clock targets per priority (product brief §6), as data. Overridable with settings.HALTE_CLOCK_TARGETS.

``None`` means "no such clock for this priority". ``SAME_DAY`` means "before the end of the day the
case was opened, Paris time" (but never less than 4 hours, so a case opened at 23:00 is not overdue
at once). Follow-ups are days after the case was taken in charge (or opened).
"""

from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .enums import Priority

SAME_DAY = "same_day"

TAKE_CHARGE = "take_charge"
FIRST_MEASURE = "first_measure"
CELL_MEETING = "cell_meeting"
FOLLOW_UP = "follow_up"

CLOCK_LABELS = {
    TAKE_CHARGE: _("Prise en charge"),
    FIRST_MEASURE: _("Première mesure de protection"),
    CELL_MEETING: _("Examen en cellule"),
    FOLLOW_UP: _("Point de suivi"),
}

DEFAULT_TARGETS: dict[str, dict] = {
    Priority.P1: {
        TAKE_CHARGE: timedelta(hours=4),
        FIRST_MEASURE: SAME_DAY,
        CELL_MEETING: timedelta(hours=24),
        FOLLOW_UP: [7, 15, 30, 90],
    },
    Priority.P2: {
        TAKE_CHARGE: timedelta(hours=24),
        FIRST_MEASURE: timedelta(hours=48),
        CELL_MEETING: timedelta(hours=72),
        FOLLOW_UP: [7, 30, 90],
    },
    Priority.P3: {
        TAKE_CHARGE: timedelta(hours=72),
        FIRST_MEASURE: timedelta(days=7),
        # "At the next meeting": the cell meets at least every two weeks.
        CELL_MEETING: timedelta(days=14),
        FOLLOW_UP: [15, 30, 90],
    },
    Priority.P4: {
        TAKE_CHARGE: timedelta(days=7),
        FIRST_MEASURE: None,
        CELL_MEETING: None,
        FOLLOW_UP: [30],
    },
}


# The latest checkpoint that may be scheduled by hand: one year after the opening (J+365). Follow-up
# days are stored as small integers; a date further away is refused with a message, never a 500.
LAST_FOLLOW_UP_DAY = 365


def last_follow_up_on(opened_on: date) -> date:
    """The latest date a checkpoint may be scheduled on for a case opened on `opened_on`."""
    return opened_on + timedelta(days=LAST_FOLLOW_UP_DAY)


def targets(priority: str) -> dict:
    configured = getattr(settings, "HALTE_CLOCK_TARGETS", None) or {}
    return {**DEFAULT_TARGETS[priority], **configured.get(priority, {})}
