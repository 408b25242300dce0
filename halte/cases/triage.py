"""Triage helpers: candidate duplicates of a report, shown side by side before deciding.

Two kinds of candidates:

- cases of the report's school opened in the last 60 days or still open (same school alone is enough
  to be shown; shared names rank first);
- **closed** cases — closed within the last two years, or still in their watch period — whose people
  share names with the pupils of the report: in the same school when a name part matches, in any
  school when a pupil's full name (first and last name, folded as in :mod:`halte.cases.people`) is
  the name of a person record of the case. These come first, as a proposal to reopen the case
  (attaching the report reopens it) or to open a new case linked to it.

A bounded number of queries whatever the size of the tables: the pupils, one query for the cases (two
sliced subqueries), and the prefetches of their people and reports.

And the other **reports still waiting for a decision** that may tell the same situation
(:func:`waiting_twins_for`): two calls about one child often arrive before either is triaged.

Finally the **pupils named in the report** (:func:`pupil_proposals`), proposed as the people of the case
the decision opens or attaches to: each one kept (as written, or corrected) or dropped, in the role the
report gave, and, when a pupil record of the same school bears a close name (the suggestions of
:mod:`halte.cases.people`), that record proposed for reuse rather than a duplicate — pre-selected when
the normalised names are the same.
"""

import functools
import operator
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from halte.reports.models import Report, ReportedPupil

from .enums import OPEN_STATES, PersonKind, State
from .forms import NEW_PERSON, ReportedPupilForm
from .models import Case, Involvement
from .people import Suggestion, name_key, name_tokens, suggest_people

WINDOW = timedelta(days=60)
CLOSED_WINDOW = timedelta(days=730)
SCAN = 50  # cases of each kind read at most


@dataclass
class Candidate:
    case: Case
    shared_names: list[str]  # folded name parts (or full names) in common: what the matching uses
    same_school: bool
    reopen: bool = False  # a closed case naming the same people: « Dossier clos — rouvrir ? »
    # The names of the case that matched, as written in its person records and reports: what is shown.
    names: list[str] = field(default_factory=list)


def _written(first_name: str, last_name: str) -> str:
    return " ".join(part.strip() for part in (first_name, last_name) if part and part.strip())


def _names_as_written(case: Case, shared: list[str], same_school: bool) -> list[str]:
    """The people of `case` (person records, then pupils of its reports) whose name matched, as written."""
    matched = set(shared)
    people = [(inv.person.first_name, inv.person.last_name) for inv in case.involvements.all()]
    if same_school:
        people += [(p.first_name, p.last_name) for r in case.reports.all() for p in r.pupils.all()]
    found: dict[str, str] = {}
    for first_name, last_name in people:
        tokens = name_tokens(first_name, last_name)
        hit = bool(matched & set(tokens)) if same_school else " ".join(tokens) in matched
        if hit:
            found.setdefault(" ".join(tokens), _written(first_name, last_name))
    return sorted(found.values(), key=str.casefold)


def _any_of(clauses: list[Q]) -> Q:
    return functools.reduce(operator.or_, clauses)


def _closed_cases(report, tokens: set[str], full_keys: set[str]):
    """Closed cases of the last two years (or under watch) that may name the report's pupils: a
    superset decided in SQL, checked in Python by :func:`candidates_for`."""
    conditions: list[Q] = []
    searchable = sorted(t for t in tokens if len(t) >= 2)  # « N » of « N'Diaye » would match everybody
    if report.school_id is not None and searchable:
        person_named = Involvement.objects.filter(case=OuterRef("pk")).filter(
            _any_of([Q(person__name_key__contains=token) for token in searchable])
        )
        pupil_named = ReportedPupil.objects.filter(report__case=OuterRef("pk")).filter(
            _any_of([Q(first_name__icontains=t) | Q(last_name__icontains=t) for t in searchable])
        )
        conditions.append(Q(school_id=report.school_id) & (Q(Exists(person_named)) | Q(Exists(pupil_named))))
    if full_keys:
        record_named = Involvement.objects.filter(case=OuterRef("pk"), person__name_key__in=sorted(full_keys))
        conditions.append(Q(Exists(record_named)))
    if not conditions:
        return None
    now = timezone.now()
    recent_or_watched = Q(closed_at__gte=now - CLOSED_WINDOW) | Q(watch_until__gte=timezone.localdate(now))
    return (
        Case.objects.filter(state=State.CLOSED, merged_into__isnull=True)
        .filter(recent_or_watched)
        .filter(_any_of(conditions))
        .order_by("-closed_at")
        .values("pk")[:SCAN]
    )


def candidates_for(report, *, limit: int = 5) -> list[Candidate]:
    """Cases the report may belong to, proposals to reopen first, then by shared names and recency."""
    pupils = list(report.pupils.all())
    reported = {t for p in pupils for t in name_tokens(p.first_name, p.last_name)}
    full_keys = {name_key(p.first_name, p.last_name) for p in pupils if len(name_tokens(p.first_name, p.last_name)) > 1}
    sources: list[Q] = []
    if report.school_id is not None:
        recent = (
            Case.objects.filter(school_id=report.school_id, merged_into__isnull=True)
            .filter(Q(opened_at__gte=timezone.now() - WINDOW) | Q(state__in=OPEN_STATES))
            .order_by("-opened_at")
            .values("pk")[:SCAN]
        )
        sources.append(Q(pk__in=recent))
    closed = _closed_cases(report, reported, full_keys)
    if closed is not None:
        sources.append(Q(pk__in=closed))
    if not sources:
        return []
    rows = Case.objects.filter(_any_of(sources)).prefetch_related("involvements__person", "reports__pupils")
    now = timezone.now()
    found = []
    for case in rows:
        same_school = report.school_id is not None and case.school_id == report.school_id
        names = {t for inv in case.involvements.all() for t in name_tokens(inv.person.first_name, inv.person.last_name)}
        names |= {t for r in case.reports.all() for p in r.pupils.all() for t in name_tokens(p.first_name, p.last_name)}
        shared = sorted(reported & names) if same_school else []
        if not same_school:
            # Another school: only a person record bearing a pupil's full name counts.
            shared = sorted({inv.person.name_key for inv in case.involvements.all()} & full_keys)
        in_window = case.closed_at is not None and (
            case.closed_at >= now - CLOSED_WINDOW
            or (case.watch_until is not None and case.watch_until >= timezone.localdate(now))
        )
        reopen = case.state == State.CLOSED and in_window and bool(shared)
        if not same_school and not reopen:
            continue
        written = _names_as_written(case, shared, same_school)
        found.append(Candidate(case=case, shared_names=shared, same_school=same_school, reopen=reopen, names=written))
    found.sort(key=lambda c: (not c.reopen, -len(c.shared_names), -c.case.opened_at.timestamp()))
    return found[:limit]


@dataclass
class WaitingTwin:
    report: Report
    same_school: bool
    names: list[str]  # the pupils of the other report whose name matched, as written


def waiting_twins_for(report, waiting, *, limit: int = 5) -> list[WaitingTwin]:
    """Reports of ``waiting`` (those still awaiting a decision that the member sees) that may tell the
    same situation: of the same school, received in the last 60 days, shared names first; or, from
    anywhere, naming one of the report's pupils by first and last name. Two queries."""
    pupils = list(report.pupils.all())
    reported = {t for p in pupils for t in name_tokens(p.first_name, p.last_name)}
    full_keys = {name_key(p.first_name, p.last_name) for p in pupils if len(name_tokens(p.first_name, p.last_name)) > 1}
    last_names = sorted({p.last_name.strip() for p in pupils if p.last_name and p.last_name.strip()})
    conditions: list[Q] = []
    if report.school_id is not None:
        conditions.append(Q(school_id=report.school_id, received_at__gte=timezone.now() - WINDOW))
    if last_names:
        named = ReportedPupil.objects.filter(report=OuterRef("pk")).filter(
            _any_of([Q(last_name__iexact=name) for name in last_names])
        )
        conditions.append(Q(Exists(named)))
    if not conditions:
        return []
    rows = (
        waiting.exclude(pk=report.pk)
        .filter(_any_of(conditions))
        .select_related("school")
        .prefetch_related("pupils")
        .order_by("-received_at")[:SCAN]
    )
    found = []
    for other in rows:
        same_school = report.school_id is not None and other.school_id == report.school_id
        matched: dict[str, str] = {}
        for pupil in other.pupils.all():
            tokens = name_tokens(pupil.first_name, pupil.last_name)
            hit = (
                bool(reported & set(tokens))
                if same_school
                else name_key(pupil.first_name, pupil.last_name) in full_keys
            )
            if hit:
                matched.setdefault(" ".join(tokens), _written(pupil.first_name, pupil.last_name))
        if not same_school and not matched:
            continue
        found.append(
            WaitingTwin(report=other, same_school=same_school, names=sorted(matched.values(), key=str.casefold))
        )
    found.sort(key=lambda twin: (-len(twin.names), -twin.report.received_at.timestamp()))
    return found[:limit]


# --- The pupils of the report, proposed as the people of the case ----------------------------------


CORRECTED_NAME_MATCHES = gettext_lazy(
    "Le nom corrigé ressemble à d’autres fiches de cet établissement : choisissez l’une d’elles, ou de "
    "nouveau la création d’une fiche."
)


@dataclass
class PupilProposal:
    pupil: ReportedPupil
    form: ReportedPupilForm
    # Public ids of the records proposed on the page: a record proposed only after the name was
    # corrected must be seen before a new record is created beside it.
    shown: str


def _same_school(report, first_name: str, last_name: str) -> list[Suggestion]:
    if report.school_id is None or not (first_name or last_name).strip():
        return []
    return suggest_people(first_name=first_name, last_name=last_name, kind=PersonKind.PUPIL, school_id=report.school_id)


def pupil_proposals(report, data=None, *, bound: bool = False) -> list[PupilProposal]:
    """One form per pupil of the report. ``data`` is the posted page (the corrected names are looked
    up as well as the reported ones); the forms are bound, and so show their errors, only when
    ``bound`` (the decision is being recorded). One query per pupil, and one more per corrected name."""
    proposals = []
    for pupil in report.pupils.all():
        prefix = f"eleve-{pupil.pk}"
        suggestions = _same_school(report, pupil.first_name, pupil.last_name)
        typed = {"first_name": pupil.first_name, "last_name": pupil.last_name}
        if data is not None:
            typed = {name: data.get(f"{prefix}-{name}", value) for name, value in typed.items()}
            if name_key(typed["first_name"], typed["last_name"]) != name_key(pupil.first_name, pupil.last_name):
                known = {s.person.pk for s in suggestions}
                extra = _same_school(report, typed["first_name"], typed["last_name"])
                suggestions = [s for s in extra if s.person.pk not in known] + suggestions
        same = name_key(typed["first_name"], typed["last_name"])
        reuse = next((s.person for s in suggestions if s.person.name_key == same), None)
        initial = {
            "decision": "keep",
            "first_name": pupil.first_name,
            "last_name": pupil.last_name,
            "class_name": pupil.class_name,
            "role": pupil.role,
            "person": str(reuse.public_id) if reuse else (NEW_PERSON if suggestions else ""),
        }
        if data is not None and not bound:
            # « Réévaluer la priorité » posts the page: keep what was typed, without errors yet.
            initial.update({name: data[f"{prefix}-{name}"] for name in initial if f"{prefix}-{name}" in data})
        form = ReportedPupilForm(data if bound else None, prefix=prefix, initial=initial, suggestions=suggestions)
        shown = ",".join(str(s.person.public_id) for s in suggestions)
        if bound and form.is_valid() and form.cleaned_data["decision"] == "keep":
            seen = set(filter(None, str(data.get(f"{prefix}-shown", "")).split(",")))
            unseen = [s for s in suggestions if str(s.person.public_id) not in seen]
            if unseen and form.chosen_person() is None:
                form.add_error("person", str(CORRECTED_NAME_MATCHES))
        proposals.append(PupilProposal(pupil=pupil, form=form, shown=shown))
    return proposals
