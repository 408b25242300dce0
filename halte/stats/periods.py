"""Periods of the steering figures: a school year (1 September to 31 August) or a range of months.

A period is a half-open range of instants ``[starts_at, ends_at)`` built from local days of the cell
(``settings.TIME_ZONE``, Europe/Paris): it starts at local midnight of its first day and ends at local
midnight of the day after its last day. A report received at 23:30 on 31 August, Paris time, is
therefore in the school year that ends that day, whatever UTC says (it is 21:30 UTC).

School years are named by the year of their rentrée, as in :mod:`halte.prevention.coverage`
(2025 is 2025-2026) whose helpers are reused here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from halte.prevention.coverage import school_year_bounds, school_year_of

YEARS_SHOWN = 6  # the current school year and the five before
MAX_MONTHS = 36  # a range of months spans at most three years


def year_label(year: int) -> str:
    return f"{year}-{year + 1}"


def local_midnight(day: date) -> datetime:
    """The first instant of a local day (Europe/Paris), as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # included
    school_year: int | None = None  # set when the period is exactly one school year

    @property
    def starts_at(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def ends_at(self) -> datetime:
        """The first instant *after* the period (exclusive bound)."""
        return local_midnight(self.last_day + timedelta(days=1))

    @property
    def label(self) -> str:
        if self.school_year is not None:
            return _("année scolaire %(year)s") % {"year": year_label(self.school_year)}
        return _("du %(first)s au %(last)s") % {
            "first": f"{self.first_day:%d/%m/%Y}",
            "last": f"{self.last_day:%d/%m/%Y}",
        }

    @property
    def prevention_year(self) -> int:
        """Prevention is counted per school year: the one the period ends in."""
        return self.school_year if self.school_year is not None else school_year_of(self.last_day)

    def range(self) -> tuple[datetime, datetime]:
        return self.starts_at, self.ends_at


def school_year(year: int) -> Period:
    first, last = school_year_bounds(year)
    return Period(first_day=first, last_day=last, school_year=year)


def months(first: tuple[int, int], last: tuple[int, int]) -> Period:
    """From the first day of month ``first`` to the last day of month ``last`` ((year, month) pairs). From
    September to the next August, that is a school year, and it is one (the same figures, the same name)."""
    if first[1] == 9 and last == (first[0] + 1, 8):
        return school_year(first[0])
    last_day = calendar.monthrange(last[0], last[1])[1]
    return Period(first_day=date(first[0], first[1], 1), last_day=date(last[0], last[1], last_day))


def month_count(first: tuple[int, int], last: tuple[int, int]) -> int:
    return (last[0] - first[0]) * 12 + (last[1] - first[1]) + 1


def current_school_year(now: datetime | None = None) -> int:
    return school_year_of(timezone.localdate(now))


def recent_school_years(now: datetime | None = None) -> list[int]:
    current = current_school_year(now)
    return [current - offset for offset in range(YEARS_SHOWN)]
