"""Triage helpers: candidate duplicates of a report, shown side by side before deciding."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from .enums import OPEN_STATES
from .models import Case
from .people import name_tokens

WINDOW = timedelta(days=60)


@dataclass
class Candidate:
    case: Case
    shared_names: list[str]
    same_school: bool


def candidates_for(report, *, limit: int = 5) -> list[Candidate]:
    """Cases of the same school opened in the last 60 days (or still open) whose people share names
    with the pupils of the report. Same school alone is enough to be shown; shared names rank first."""
    if report.school_id is None:
        return []
    since = timezone.now() - WINDOW
    rows = (
        Case.objects.filter(school_id=report.school_id, merged_into__isnull=True)
        .filter(Q(opened_at__gte=since) | Q(state__in=OPEN_STATES))
        .order_by("-opened_at")[:50]
        .prefetch_related("involvements__person", "reports__pupils")
    )
    reported = {t for p in report.pupils.all() for t in name_tokens(p.first_name, p.last_name)}
    found = []
    for case in rows:
        names = {t for inv in case.involvements.all() for t in name_tokens(inv.person.first_name, inv.person.last_name)}
        names |= {t for r in case.reports.all() for p in r.pupils.all() for t in name_tokens(p.first_name, p.last_name)}
        found.append(Candidate(case=case, shared_names=sorted(reported & names), same_school=True))
    found.sort(key=lambda c: (-len(c.shared_names), -c.case.opened_at.timestamp()))
    return found[:limit]
