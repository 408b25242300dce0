"""The staff search: one box, cases and reports found by reference, by the name of a pupil or an
adult, by school (name or UAI) or commune.

Where it may look is decided by the access policy (``access/search.py``): references among what the
membership sees, names and schools only where it reads them. Names are matched as repeat detection
matches them (``cases.people.name_score``: accents, case, hyphens, swapped names, small typos), so a
misspelled pupil name still finds the case.

Each source is one query whose shape an index can serve: the people of cases by fragments of their
folded ``Person.name_key`` (:func:`person_candidates`, a pg_trgm index on that column answers the
same ``LIKE '%…%'``), pupils named in reports by fragments of their names, schools by their folded
``search_text``. Python then scores at most ``CANDIDATE_LIMIT`` rows per source.

Pupils named in reports have no folded column: their candidates are found by a regular expression
per fragment in which each letter stands for its accented and upper-case forms (« ines » →
``in[eéèêëEÉÈÊË]s``), so that « Ines » finds « Inès » on SQLite and PostgreSQL alike. Fragments are
folded letters and digits only, escaped, and the expression has no repetition: it runs in linear time.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access import search as access
from halte.cases.enums import PersonKind
from halte.cases.models import Case, Involvement
from halte.cases.people import name_score, name_tokens, spellings
from halte.directory.models import School
from halte.reports.models import Report, ReportedPupil

MIN_LENGTH = 2
MAX_LENGTH = 100
MAX_WORDS = 6  # a name is rarely longer; bounds the readings tried per candidate
CANDIDATE_LIMIT = 300  # rows per source handed over for scoring
RESULT_LIMIT = 50  # per group
SCHOOL_LIMIT = 50  # schools a query may stand for
# A name found by the search may be a little further from what was typed than a repeat suggestion:
# a surname is often typed alone (compared with one field, so at most 0.85) and misspelt (« Lefebvre »
# for « Lefèvre », « Martn »), the results are limited to what the membership may see and ranked by
# likeness, and nothing is merged on the strength of a search. Repeat detection keeps ``NAME_MIN``.
SEARCH_NAME_MIN = 0.7

# « HS-2026-000042 », « hs 2026 42 », « hs2026000042 », « 000042 »: a prefix, then digits in groups.
_REFERENCE = re.compile(r"(?P<prefix>HS|SIG)?-?(?P<body>[0-9]+(?:-[0-9]+)*)?-?")
_SEPARATORS = re.compile(r"[\s_./-]+")
YEAR_DIGITS, NUMBER_DIGITS = 4, 6  # « HS-2026-000042 » (``core.references``)
REFERENCE_YEARS = 10  # a bare number is looked for among the references of this many past years

# Scores: an exact reference first, then a partial one, then names (0.8 to 1), then schools.
EXACT_REFERENCE, PARTIAL_REFERENCE, SCHOOL_SCORE = 3.0, 2.0, 0.5


@dataclass
class Hit:
    """A case or a report found, with why (in French) and how well."""

    obj: Any = None  # the Case or Report, filled once the hits are ranked
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, score: float, reason: str) -> None:
        self.score = max(self.score, score)
        if reason not in self.reasons:
            self.reasons.append(reason)


@dataclass
class Results:
    query: str
    cases: list[Hit]
    reports: list[Hit]
    more_cases: bool  # more than RESULT_LIMIT: the query should be more precise
    more_reports: bool
    searches_reports: bool  # the membership sees reports at all (else the group is not shown)

    @property
    def total(self) -> int:
        return len(self.cases) + len(self.reports)


@dataclass(frozen=True)
class ReferenceQuery:
    """What a query typed as a reference stands for, as lookups an index serves: whole references
    (equality) or the starts of references (« HS-2026- »). Never a fragment inside a reference."""

    prefix: str | None  # "HS" (cases), "SIG" (reports) or None (either)
    exact: tuple[str, ...]
    starts: tuple[str, ...] = ()

    def lookup(self, prefix: str) -> Q | None:
        """The condition on ``reference`` for the references of one prefix, None when none can match."""
        condition = Q()
        exact = [ref for ref in self.exact if ref.startswith(f"{prefix}-")]
        if exact:
            condition |= Q(reference__in=exact)
        for start in self.starts:
            if start.startswith(f"{prefix}-"):
                condition |= Q(reference__startswith=start)
        return condition or None


def reference_years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - REFERENCE_YEARS, -1))


def _numbered(prefix: str | None, prefixes: tuple[str, ...], year: str, number: str) -> ReferenceQuery:
    """A year and a number: the reference with the number zero-padded (« 42 » → « 000042 »); a number
    typed with its leading zeros but not to the end (« 0000 ») is also the start of the numbers."""
    if len(year) != YEAR_DIGITS or not 1 <= len(number) <= NUMBER_DIGITS:
        return ReferenceQuery(prefix, ())
    exact = tuple(f"{p}-{year}-{int(number):0{NUMBER_DIGITS}d}" for p in prefixes)
    partial = number.startswith("0") and len(number) < NUMBER_DIGITS
    starts = tuple(f"{p}-{year}-{number}" for p in prefixes) if partial else ()
    return ReferenceQuery(prefix, exact, starts)


def reference_query(query: str) -> ReferenceQuery | None:
    """The references a query stands for when it reads as one, else None. Separators (spaces, dashes,
    dots, slashes) may be anywhere or nowhere, the case does not matter and the number is zero-padded:
    « HS-2026-2 », « hs2026000002 » and « HS 2026 000002 » all stand for HS-2026-000002. A bare number
    (« 42 ») is that number in any recent year; « HS-2026 » is the start of that year's references. A
    query without a digit is no reference."""
    compact = _SEPARATORS.sub("-", query.strip().upper()).strip("-")
    match = _REFERENCE.fullmatch(compact)
    if match is None or not match.group("body"):
        return None
    prefix = match.group("prefix")
    prefixes = (prefix,) if prefix else ("HS", "SIG")
    groups = match.group("body").split("-")
    digits = "".join(groups)
    if len(groups) > 1:
        return _numbered(prefix, prefixes, groups[0], "".join(groups[1:]))
    if len(digits) > YEAR_DIGITS + (0 if prefix else NUMBER_DIGITS):
        return _numbered(prefix, prefixes, digits[:YEAR_DIGITS], digits[YEAR_DIGITS:])
    if prefix:
        return ReferenceQuery(
            prefix, (), (f"{prefix}-{digits}-" if len(digits) == YEAR_DIGITS else f"{prefix}-{digits}",)
        )
    if len(digits) > NUMBER_DIGITS:
        return ReferenceQuery(None, ())
    exact = tuple(f"{p}-{year}-{int(digits):0{NUMBER_DIGITS}d}" for p in prefixes for year in reference_years())
    return ReferenceQuery(None, exact)


def _readings(query: str) -> list[tuple[str, str]]:
    """The ways a typed name may split into first and last name (``name_score`` also tries each one
    swapped): « Lucas Martin » → ("Lucas", "Martin"); one word is tried as either."""
    words = [w for w in query.split() if any(c.isalpha() for c in w)][:MAX_WORDS]
    if not words:
        return []
    if len(words) == 1:
        return [(words[0], ""), ("", words[0])]
    return [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]


def _fragments(query: str) -> list[str]:
    """Folded pieces a matching name must contain one of: whole tokens, and the three first and last
    letters of longer ones so that a typo inside a name still brings its row."""
    pieces: set[str] = set()
    for typed in name_tokens(query):
        if len(typed) < 2:
            continue  # « N » of « N'Diaye » would bring everybody
        for token in spellings(typed):  # « Lukas » brings « Lucas » (``cases.people.spellings``)
            pieces.add(token)
            if len(token) >= 4:
                pieces.update({token[:3], token[-3:]})
    return sorted(pieces)


def _best_score(readings: list[tuple[str, str]], first_name: str, last_name: str) -> float | None:
    scores = [
        name_score(first, last, first_name=first_name, last_name=last_name, minimum=SEARCH_NAME_MIN)
        for first, last in readings
    ]
    found = [s for s in scores if s is not None]
    return max(found) if found else None


def person_candidates(cases: QuerySet[Case], query: str) -> QuerySet[Involvement]:
    """People of the given cases whose folded name key contains a fragment of the query: at most
    ``CANDIDATE_LIMIT`` rows, each with its person and case. The one query of the name search."""
    pieces = _fragments(query)
    if not pieces:
        return Involvement.objects.none()
    contains = functools.reduce(operator.or_, (Q(person__name_key__contains=p) for p in pieces))
    return (
        Involvement.objects.filter(case__in=cases)
        .filter(contains)
        .select_related("person")
        .order_by("-case__opened_at", "pk")[:CANDIDATE_LIMIT]
    )


# Each folded letter and the forms a name may write it with (French and the names met in schools).
_VARIANTS = {
    "a": "aàâäáãå",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîïíì",
    "n": "nñ",
    "o": "oôöóòõø",
    "u": "uùûüú",
    "y": "yÿý",
}


def accent_pattern(fragment: str) -> str:
    """A regular expression matching a folded fragment however its letters are accented or cased."""
    parts = []
    for char in fragment:
        forms = _VARIANTS.get(char, char)
        if char.isalpha():
            forms += forms.upper()
        parts.append(f"[{re.escape(forms)}]" if len(forms) > 1 else re.escape(forms))
    return "".join(parts)


def pupil_candidates(reports: QuerySet[Report], query: str) -> QuerySet[ReportedPupil]:
    """Pupils named in the given reports whose first or last name contains a fragment of the query."""
    pieces = _fragments(query)
    if not pieces:
        return ReportedPupil.objects.none()
    patterns = [accent_pattern(p) for p in pieces]
    contains = functools.reduce(operator.or_, (Q(first_name__regex=r) | Q(last_name__regex=r) for r in patterns))
    return (
        ReportedPupil.objects.filter(report__in=reports)
        .filter(contains)
        .order_by("-report__received_at", "pk")[:CANDIDATE_LIMIT]
    )


def _schools(query: str) -> list[int]:
    if len(query.strip()) < 3:
        return []
    return list(School.objects.search(query).values_list("pk", flat=True)[:SCHOOL_LIMIT])


def _person_reason(involvement: Involvement) -> str:
    person = involvement.person
    kind = _("Élève") if person.kind == PersonKind.PUPIL else _("Adulte")
    return _("%(kind)s : %(name)s (%(role)s)") % {
        "kind": kind,
        "name": str(person),
        "role": involvement.get_role_display().lower(),
    }


def _match_cases(membership, query: str, reference: ReferenceQuery | None, schools: list[int]):
    hits: dict[int, Hit] = {}

    def hit(case_id: int) -> Hit:
        return hits.setdefault(case_id, Hit())

    condition = reference.lookup("HS") if reference is not None else None
    if reference is not None and condition is not None:
        found = access.reference_searchable_cases(membership).filter(condition)
        for pk, ref in found.values_list("pk", "reference")[:CANDIDATE_LIMIT]:
            exact = ref in reference.exact
            hit(pk).add(EXACT_REFERENCE if exact else PARTIAL_REFERENCE, _("Référence"))
    if reference is None:
        readings = _readings(query)
        named = access.name_searchable_cases(membership)
        for involvement in person_candidates(named, query):
            score = _best_score(readings, involvement.person.first_name, involvement.person.last_name)
            if score is not None:
                hit(involvement.case_id).add(score, _person_reason(involvement))
        if schools:
            in_school = access.name_searchable_cases(membership).filter(school_id__in=schools)
            for pk in in_school.values_list("pk", flat=True)[:CANDIDATE_LIMIT]:
                hit(pk).add(SCHOOL_SCORE, _("Établissement ou commune"))
    return hits


def _match_reports(membership, query: str, reference: ReferenceQuery | None, schools: list[int]):
    hits: dict[int, Hit] = {}
    reports = access.searchable_reports(membership)

    def hit(report_id: int) -> Hit:
        return hits.setdefault(report_id, Hit())

    condition = reference.lookup("SIG") if reference is not None else None
    if reference is not None and condition is not None:
        for pk, ref in reports.filter(condition).values_list("pk", "reference")[:CANDIDATE_LIMIT]:
            hit(pk).add(EXACT_REFERENCE if ref in reference.exact else PARTIAL_REFERENCE, _("Référence"))
    if reference is None:
        readings = _readings(query)
        for pupil in pupil_candidates(reports, query):
            score = _best_score(readings, pupil.first_name, pupil.last_name)
            if score is not None:
                reason = _("Élève cité : %(name)s (%(role)s)") % {
                    "name": str(pupil),
                    "role": pupil.get_role_display().lower(),
                }
                hit(pupil.report_id).add(score, reason)
        if schools:
            for pk in reports.filter(school_id__in=schools).values_list("pk", flat=True)[:CANDIDATE_LIMIT]:
                hit(pk).add(SCHOOL_SCORE, _("Établissement ou commune"))
    return hits


def _ranked(hits: dict[int, Hit], objects: QuerySet) -> tuple[list[Hit], bool]:
    """The hits with their rows (one query), best first, then by priority, newest first."""
    ordered = sorted(hits.items(), key=lambda item: -item[1].score)
    kept = ordered[:RESULT_LIMIT]
    rows = objects.in_bulk([pk for pk, _hit in kept])
    ranked = []
    for pk, hit in kept:
        if pk in rows:
            hit.obj = rows[pk]
            ranked.append(hit)
    return ranked, len(ordered) > RESULT_LIMIT


def search(membership, query: str) -> Results:
    """What this membership finds for a query (already checked for length: see ``SearchForm``)."""
    query = query.strip()
    reference = reference_query(query)
    schools = _schools(query) if reference is None else []
    case_hits = _match_cases(membership, query, reference, schools)
    searches_reports = access.may_search_reports(membership)
    report_hits = _match_reports(membership, query, reference, schools) if searches_reports else {}
    # Rows are read through the scoped querysets again: nothing outside them can come back.
    cases, more_cases = _ranked(case_hits, access.reference_searchable_cases(membership).select_related("school"))
    reports, more_reports = _ranked(report_hits, access.searchable_reports(membership).select_related("school"))
    cases.sort(key=lambda h: (-h.score, h.obj.priority, -h.obj.opened_at.timestamp()))
    reports.sort(key=lambda h: (-h.score, h.obj.proposed_priority, -h.obj.received_at.timestamp()))
    return Results(
        query=query,
        cases=cases,
        reports=reports,
        more_cases=more_cases,
        more_reports=more_reports,
        searches_reports=searches_reports,
    )
