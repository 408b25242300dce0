"""Recognising people across cases: name normalisation, suggestions, repeat detection.

Three jobs, in the order a case meets them:

1. While staff type a person into a case, :func:`suggest_people` proposes existing person records that
   probably are the same person (accents, case, hyphens, apostrophes, compound names, swapped first and
   last names and small typos are tolerated; a different known birth date rules a record out). Nothing is
   linked automatically: staff accept a suggestion, and only then is the same ``Person`` reused.
2. :func:`repeats_for_case` lists, for each victim and alleged author of a case, the other cases in which
   the same person record is a victim or an alleged author (any school, any year).
3. :func:`presumption_notice` words one such repeat for the UI, with the presumption of innocence.
"""

import datetime
import functools
import operator
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from halte.directory.models import School, fold

from .enums import Role
from .models import Case, Involvement, Person

_SEPARATORS = re.compile(r"[\s\-‐‑–—'’`´.,_]+")

# Suggestions: how many rows the database hands over for scoring, and the bars a candidate must clear.
CANDIDATE_LIMIT = 300
FIELD_MIN = 0.75  # each compared name field must be at least this similar
NAME_MIN = 0.8  # and the name as a whole at least this similar
COMPOUND_FACTOR = 0.9  # « Marie » for « Marie-Claire »: likely, not certain
ONE_FIELD_FACTOR = 0.85  # only the first name (or only the last name) could be compared
SAME_SOUND = 0.96  # « Lukas » for « Lucas »: said the same, just below the same spelling
SWAP_FACTOR = 0.95  # swapped names rank just below the same names typed the right way round
SAME_TOKENS_SCORE = 0.95  # same name parts, split differently between first and last name
NAME_WEIGHT = 0.85  # final score = NAME_WEIGHT × name similarity + BIRTH_DATE_WEIGHT if same birth date
BIRTH_DATE_WEIGHT = 0.15

# Roles that make a person "return" in repeat detection; witnesses, guardians and reporters never do.
REPEAT_ROLES = (Role.VICTIM, Role.ALLEGED_AUTHOR)
_ROLE_WORDS: dict[str, object] = {
    Role.VICTIM: gettext_lazy("victime"),
    Role.ALLEGED_AUTHOR: gettext_lazy("auteur présumé"),
}

PRESUMPTION_SENTENCE = gettext_lazy("Être cité dans un dossier ne signifie pas être responsable des faits.")


def _field_tokens(text: str) -> list[str]:
    """Folded tokens of one name field, in the order they were typed."""
    return [t for t in _SEPARATORS.split(fold(text or "")) if t]


def name_tokens(*parts: str) -> list[str]:
    """Folded name tokens: « Marie-Claire DUPONT » → ["dupont", "marie", "claire"] (sorted)."""
    tokens: list[str] = []
    for part in parts:
        tokens.extend(_field_tokens(part))
    return sorted(tokens)


def name_key(first_name: str, last_name: str) -> str:
    return " ".join(name_tokens(first_name, last_name))


def keys_in_text(text: str, longest: int = 3) -> set[str]:
    """The ``name_key`` values a free text may hold: each run of 2 to ``longest`` adjacent folded tokens,
    sorted as ``name_key`` sorts them. « Réunion sur Manon Lefèvre » gives « lefevre manon » among others,
    so that ``Person.objects.filter(name_key__in=…)`` finds the named person with one indexed query."""
    tokens = _field_tokens(text)
    return {
        " ".join(sorted(tokens[start : start + size]))
        for size in range(2, longest + 1)
        for start in range(len(tokens) - size + 1)
    }


# How a folded name sounds: letters written differently for one sound in the names met in French
# schools (« Lukas » / « Lucas », « Mathis » / « Matis », « Sofia » / « Sophia », « Yanis » / « Ianis »,
# « Lefebvre » / « Lefèvre »).
_SOUNDS = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"(?<=[tcr])h|^h"), ""),
    (re.compile(r"qu|ck|q"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"c"), "k"),
    (re.compile(r"y"), "i"),
    (re.compile(r"w"), "v"),
    (re.compile(r"bv"), "v"),  # « Lefebvre » / « Lefèvre »
    (re.compile(r"(.)\1+"), r"\1"),
)
# The spellings a fragment of a typed name may take in a stored one (one kind of change at a time), so
# that the database brings « Lucas » for « Lukas » through the same ``contains`` on ``name_key``.
_SPELLINGS = (("k", "c"), ("c", "k"), ("k", "qu"), ("qu", "c"), ("ph", "f"), ("f", "ph"), ("y", "i"), ("i", "y"))


def sound_key(token: str) -> str:
    """A folded name token as it sounds: « lukas » and « lucas » both give « lukas »."""
    for pattern, replacement in _SOUNDS:
        token = pattern.sub(replacement, token)
    return token


def spellings(token: str) -> list[str]:
    """The token and its other spellings for the same sound (see ``_SPELLINGS``), in a stable order."""
    found = {token}
    for written, other in _SPELLINGS:
        if written in token:
            found.add(token.replace(written, other))
    return sorted(found)


# --- Suggestions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """An existing person record that probably is the person being typed in."""

    person: Person
    score: float  # 0..1, higher is likelier
    reasons: tuple[str, ...]  # French, shown next to the suggestion


@dataclass(frozen=True)
class _FieldMatch:
    similarity: float
    how: str  # "exact", "compound" or "typo"


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _compare_field(typed: list[str], stored: list[str]) -> _FieldMatch:
    """How alike two name fields are, both given as folded tokens."""
    typed_compact, stored_compact = "".join(typed), "".join(stored)
    # « N'Diaye » / « Ndiaye », « Marie-Claire » / « Marie Claire », « Claire Marie » / « Marie Claire ».
    if typed_compact == stored_compact or sorted(typed) == sorted(stored):
        return _FieldMatch(1.0, "exact")
    # « Lukas » / « Lucas »: written differently, said the same.
    if sound_key(typed_compact) == sound_key(stored_compact):
        return _FieldMatch(SAME_SOUND, "sound")
    whole = _ratio(typed_compact, stored_compact)
    if len(typed) == len(stored) > 1:
        # « Marie-Claire » / « Marie-Louise » share a lot of letters but are two names: compare part by part.
        whole = min(whole, *(_ratio(t, s) for t, s in zip(typed, stored, strict=True)))
    # Compound names: « Marie » for « Marie-Claire » (each part of the shorter name in the longer one).
    shorter, longer = sorted((typed, stored), key=len)
    if len(shorter) < len(longer) and len("".join(shorter)) >= 3:
        partial = COMPOUND_FACTOR * min(max(_ratio(s, t) for t in longer) for s in shorter)
        if partial > whole:
            return _FieldMatch(partial, "compound")
    return _FieldMatch(whole, "typo")


def _compare_names(
    typed_first: list[str], typed_last: list[str], stored_first: list[str], stored_last: list[str]
) -> tuple[float, list[str]] | None:
    """Similarity of a typed name to a stored one (fields compared pairwise), with the reasons in French."""
    pairs = [
        (label, _compare_field(typed, stored))
        for label, typed, stored in (("prénom", typed_first, stored_first), ("nom", typed_last, stored_last))
        if typed and stored
    ]
    if not pairs or any(match.similarity < FIELD_MIN for _label, match in pairs):
        return None
    similarity = sum(match.similarity for _label, match in pairs) / len(pairs)
    reasons: list[str] = []
    for label, match in pairs:
        if match.how == "compound":
            reasons.append(f"{label} composé ou partiel")
        elif match.how == "sound":
            reasons.append(f"{label} qui se prononce de même")
        elif match.how == "typo":
            reasons.append(f"orthographe proche du {label}")
    if len(pairs) == 1:
        similarity *= ONE_FIELD_FACTOR
        reasons.append(f"{pairs[0][0]} seul comparé")
    return similarity, reasons


def _name_similarity(typed_first: list[str], typed_last: list[str], person: Person) -> tuple[float, list[str]] | None:
    """The best reading of the typed name against a person: as typed, swapped, or regrouped."""
    stored_first, stored_last = _field_tokens(person.first_name), _field_tokens(person.last_name)
    readings: list[tuple[float, list[str]]] = []
    direct = _compare_names(typed_first, typed_last, stored_first, stored_last)
    if direct is not None:
        if not direct[1]:
            direct = (direct[0], ["même nom et prénom"])
        readings.append(direct)
    if typed_first and typed_last and stored_first and stored_last:
        swapped = _compare_names(typed_last, typed_first, stored_first, stored_last)
        if swapped is not None:
            readings.append((swapped[0] * SWAP_FACTOR, ["nom et prénom inversés", *swapped[1]]))
    # « DUPONT Marie » typed in a single field, or « Marie Claire » + « Dupont » for « Marie » + « Claire Dupont ».
    if sorted(typed_first + typed_last) == sorted(stored_first + stored_last):
        readings.append((SAME_TOKENS_SCORE, ["mêmes éléments de nom, répartis autrement"]))
    if not readings:
        return None
    return max(readings, key=lambda reading: reading[0])


def _fragments(tokens: list[str]) -> dict[str, int]:
    """SQL search fragments with their weights: whole tokens, and their ends to survive a typo.

    Every fragment searched inside a name is at least 3 letters long, so that PostgreSQL finds it
    through the trigram index on ``name_key``. A 2-letter name (« Li », « Bo ») is searched as a whole
    token (see ``_matches``); a single letter (« N » of « N'Diaye ») would match everybody."""
    weights: dict[str, int] = {}
    for typed in tokens:
        if len(typed) < 2:
            continue
        for token in spellings(typed):
            weights[token] = weights.get(token, 0) + (4 if token == typed else 2)
            if len(token) >= 4:
                for end in (token[:3], token[-3:]):
                    weights[end] = weights.get(end, 0) + 1
    return weights


def _matches(fragment: str) -> Q:
    """``name_key`` holds the fragment: anywhere for 3 letters or more, as a whole token below."""
    if len(fragment) >= 3:
        return Q(name_key__contains=fragment)
    return (
        Q(name_key=fragment)
        | Q(name_key__startswith=f"{fragment} ")
        | Q(name_key__endswith=f" {fragment}")
        | Q(name_key__contains=f" {fragment} ")
    )


def _candidates(
    tokens: list[str], *, birth_date: datetime.date | None, kind: str | None, school_id: int | None = None
) -> QuerySet[Person]:
    """At most CANDIDATE_LIMIT persons sharing a name fragment, those sharing the most first.

    ``name_key`` holds folded tokens, so plain ``contains`` works the same on SQLite and PostgreSQL;
    on PostgreSQL a trigram index (``person_name_key_trgm_idx``) serves every fragment.
    """
    weights = _fragments(tokens)
    if not weights:
        return Person.objects.none()
    shares_a_fragment = functools.reduce(operator.or_, (_matches(f) for f in weights))
    hits: Combinable = functools.reduce(
        operator.add,
        (
            SqlCase(When(_matches(f), then=Value(w)), default=Value(0), output_field=IntegerField())
            for f, w in weights.items()
        ),
    )
    people = Person.objects.filter(shares_a_fragment)
    if birth_date is not None:
        # A different known birth date is a different person.
        people = people.filter(Q(birth_date__isnull=True) | Q(birth_date=birth_date))
    if kind:
        people = people.filter(kind=kind)
    if school_id is not None:
        people = people.filter(school_id=school_id)
    return people.annotate(hits=hits).order_by("-hits", "pk")[:CANDIDATE_LIMIT]


def _score(
    person: Person, typed_first: list[str], typed_last: list[str], birth_date: datetime.date | None
) -> Suggestion | None:
    found = _name_similarity(typed_first, typed_last, person)
    if found is None or found[0] < NAME_MIN:
        return None
    similarity, reasons = found
    score = NAME_WEIGHT * similarity
    if birth_date is not None and person.birth_date == birth_date:
        score += BIRTH_DATE_WEIGHT
        reasons = [*reasons, "même date de naissance"]
    elif birth_date is None or person.birth_date is None:
        reasons = [*reasons, "date de naissance non comparée"]
    return Suggestion(person=person, score=round(min(score, 1.0), 3), reasons=tuple(reasons))


def suggest_people(
    *,
    first_name: str,
    last_name: str = "",
    birth_date: datetime.date | None = None,
    kind: str | None = None,
    school_id: int | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """Existing person records that probably are the person being typed in, best first.

    One query: the database narrows the table to the persons sharing a name fragment (and not born on
    another known date, and of the given kind, and of the given school); Python scores at most
    CANDIDATE_LIMIT of them.
    """
    typed_first, typed_last = _field_tokens(first_name), _field_tokens(last_name)
    if not typed_first and not typed_last:
        return []
    suggestions = [
        suggestion
        for person in _candidates(typed_first + typed_last, birth_date=birth_date, kind=kind, school_id=school_id)
        if (suggestion := _score(person, typed_first, typed_last, birth_date)) is not None
    ]
    suggestions.sort(key=lambda s: (-s.score, s.person.birth_date != birth_date, s.person.name_key, s.person.pk or 0))
    return suggestions[:limit]


def name_score(
    typed_first: str, typed_last: str, *, first_name: str, last_name: str, minimum: float = NAME_MIN
) -> float | None:
    """How alike a typed name and a stored one are, judged exactly as :func:`suggest_people` judges them
    (accents, case, compound names, swaps, small typos), or None when they are too far apart
    (below `minimum`).

    For searches that choose their own candidates (the staff search, scoped to what a membership may
    see) and still want the same notion of « probably the same name ».
    """
    stored = Person(first_name=first_name or "", last_name=last_name or "")
    found = _name_similarity(_field_tokens(typed_first), _field_tokens(typed_last), stored)
    if found is None or found[0] < minimum:
        return None
    return found[0]


# --- Repeat detection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repeat:
    """The same person, a victim or an alleged author here, is a victim or an alleged author in another case."""

    person: Person
    role_here: str
    other_case: Case
    role_there: str
    other_school: School | None
    year: int  # calendar year the other case was opened, in local time
    same_school: bool

    @property
    def school_year(self) -> str:
        """« 2024-2025 » for a case opened between 1 September 2024 and 31 August 2025."""
        opened = timezone.localtime(self.other_case.opened_at)
        start = opened.year if opened.month >= 9 else opened.year - 1
        return f"{start}-{start + 1}"


def repeats_for_case(case: Case) -> list[Repeat]:
    """Other cases in which this case's victims and alleged authors are victims or alleged authors.

    A case merged into another one counts as that other case (so it neither repeats its survivor nor
    counts twice). Two queries whatever the number of people.
    """
    here = list(Involvement.objects.filter(case=case, role__in=REPEAT_ROLES).select_related("person").order_by("pk"))
    if not here:
        return []
    roles_here: dict[int, list[Involvement]] = {}
    for involvement in here:
        roles_here.setdefault(involvement.person_id, []).append(involvement)
    there = (
        Involvement.objects.filter(person_id__in=roles_here, role__in=REPEAT_ROLES)
        .exclude(case=case)
        .select_related("case__school", "case__merged_into__school")
        .order_by("-case__opened_at", "pk")
    )
    repeats: list[Repeat] = []
    seen: set[tuple[int, str, int, str]] = set()
    for other in there:
        other_case = other.case.merged_into or other.case
        if other_case.pk in (case.pk, case.merged_into_id):
            continue
        for mine in roles_here[other.person_id]:
            key = (other.person_id, mine.role, other_case.pk, other.role)
            if key in seen:
                continue
            seen.add(key)
            repeats.append(
                Repeat(
                    person=mine.person,
                    role_here=mine.role,
                    other_case=other_case,
                    role_there=other.role,
                    other_school=other_case.school,
                    year=timezone.localtime(other_case.opened_at).year,
                    same_school=case.school_id is not None and other_case.school_id == case.school_id,
                )
            )
    return repeats


def count_repeat_authors(cases_queryset: QuerySet[Case] | None = None) -> int:
    """Persons cited as alleged author in at least two cases (a merged case counts as its survivor)."""
    involvements = Involvement.objects.filter(role=Role.ALLEGED_AUTHOR)
    if cases_queryset is not None:
        involvements = involvements.filter(case__in=cases_queryset)
    return (
        involvements.annotate(effective_case=Coalesce("case__merged_into_id", "case_id"))
        .values("person_id")
        .annotate(cases=Count("effective_case", distinct=True))
        .filter(cases__gte=2)
        .count()
    )


def presumption_notice(repeat: Repeat) -> str:
    """The sentence shown in the case page for one repeat, worded with the presumption of innocence."""
    school = repeat.other_school.name if repeat.other_school else gettext("établissement non renseigné")
    notice = gettext(
        "Cette personne est également citée comme %(role)s dans le dossier %(reference)s (%(year)s, %(school)s)."
    ) % {
        "role": _ROLE_WORDS[repeat.role_there],
        "reference": repeat.other_case.reference,
        "year": repeat.year,
        "school": school,
    }
    if Role.ALLEGED_AUTHOR in (repeat.role_here, repeat.role_there):
        notice += f" {PRESUMPTION_SENTENCE}"
    return notice
