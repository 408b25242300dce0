"""The pattern language of the vocabulary, and the matching of a text against it.

A pattern is a line of elements separated by spaces, read in order:

- ``mal`` — this word (any spelling with the same key: case, accents and repeated letters ignored);
- ``<coups>`` — any entry of the word class ``coups`` (a verb in all its forms, a list of nouns…);
- ``du|de|<quantite>`` — any of these alternatives;
- ``il|elle?`` — a trailing ``?`` makes the element optional;
- ``…`` or ``…4`` — up to 3 (or 4) other words may stand here. Without it, elements are side by side.

``_`` only appears in the exceptions of a signal (``unless``) and stands for the words that fired it:
``_ de|d rire`` cancels « mourir » in « mourir de rire ».

Every match stays within one sentence (one clause when the signal says so). A word listed in the
signal's ``blocked_by`` class may not stand in a gap (« ma mère est venue parce que *des garçons*
m'ont frappé » is not a blow from the mother).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .text import Token, key
from .words import Entry, WordClass

DEFAULT_GAP = 3
_GAP = re.compile(r"^…(\d*)$")


@dataclass(frozen=True)
class Element:
    # Literal words and class entries, as key tuples, indexed by their first key.
    by_first: Mapping[str, tuple[Entry, ...]]
    optional: bool
    gap_before: int  # other words allowed before this element
    is_hit: bool = False  # the ``_`` of an exception


def index_entries(words: set[Entry]) -> dict[str, tuple[Entry, ...]]:
    """Entries by their first key, so that a token finds the entries it may start in one look-up."""
    index: dict[str, list[Entry]] = {}
    for entry in words:
        index.setdefault(entry[0], []).append(entry)
    # Longest entries first: « beau pere » before « beau ».
    return {first: tuple(sorted(entries, key=len, reverse=True)) for first, entries in index.items()}


@dataclass(frozen=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]


def compile_pattern(source: str, classes: Mapping[str, WordClass]) -> Pattern:
    elements: list[Element] = []
    gap = 0
    for part in source.split():
        if gap_match := _GAP.match(part):
            gap = int(gap_match.group(1) or DEFAULT_GAP)
            continue
        if part == "_":
            elements.append(Element({}, False, gap, is_hit=True))
            gap = 0
            continue
        optional = part.endswith("?")
        words: set[Entry] = set()
        for alternative in part.rstrip("?").split("|"):
            if alternative.startswith("<") and alternative.endswith(">"):
                name = alternative[1:-1]
                if name not in classes:
                    raise ValueError(f"Pattern {source!r}: unknown word class <{name}>")
                words |= classes[name]
            elif alternative:
                words.add((key(alternative),))
            else:
                raise ValueError(f"Pattern {source!r}: empty alternative in {part!r}")
        elements.append(Element(index_entries(words), optional, gap))
        gap = 0
    if not elements or elements[0].optional:
        raise ValueError(f"Pattern {source!r}: it must start with a word that is not optional")
    if gap:
        raise ValueError(f"Pattern {source!r}: it cannot end with a gap")
    return Pattern(source, tuple(elements))


@dataclass(frozen=True)
class Match:
    first: int  # index of the first and last token of the match
    last: int
    elements: frozenset[int]  # indexes of the tokens that are words of the pattern (not gap words)


def _entry_ends(element: Element, tokens: Sequence[Token], i: int) -> list[int]:
    """Index after each entry of `element` that starts at token `i`, longest first."""
    ends: list[int] = []
    for entry in element.by_first.get(tokens[i].key, ()):  # longest first
        size = len(entry)
        fits = i + size <= len(tokens) and all(tokens[i + n].key == entry[n] for n in range(1, size))
        if fits and (not ends or ends[-1] != i + size):
            ends.append(i + size)
    return ends


class _Search:
    def __init__(self, tokens: Sequence[Token], *, clause: bool, blocked: frozenset[Entry], hit: Match | None):
        self.tokens = tokens
        self.clause = clause
        self.blocked = {entry[0] for entry in blocked}
        self.hit = hit

    def _together(self, a: int, b: int) -> bool:
        ta, tb = self.tokens[a], self.tokens[b]
        return ta.sentence == tb.sentence and (not self.clause or ta.clause == tb.clause)

    def run(self, elements: Sequence[Element], start: int) -> Match | None:
        found = self._from(elements, 0, start, start, set())
        if found is None:
            return None
        last, used = found
        return Match(start, last, frozenset(used))

    def _from(self, elements, index: int, position: int, anchor: int, used: set[int]):
        """Match elements[index:] with the first one starting at `position` or, after a gap, later."""
        if index == len(elements):
            return position - 1, used
        element = elements[index]
        gap = element.gap_before if index else 0
        for skip in range(gap + 1):
            at = position + skip
            if at > position and (at - 1 >= len(self.tokens) or self.tokens[at - 1].key in self.blocked):
                break  # a word that may not stand in a gap
            if at >= len(self.tokens) and not element.is_hit:
                break
            if element.is_hit:
                if self.hit is not None and at == self.hit.first:
                    found = self._from(elements, index + 1, self.hit.last + 1, anchor, used | set())
                    if found:
                        return found
                continue
            if not self._together(anchor, at):
                break
            for end in _entry_ends(element, self.tokens, at):
                if not self._together(anchor, end - 1):
                    continue
                found = self._from(elements, index + 1, end, anchor, used | set(range(at, end)))
                if found:
                    return found
        if element.optional:
            return self._from(elements, index + 1, position, anchor, used)
        return None


def find(
    pattern: Pattern,
    tokens: Sequence[Token],
    *,
    clause: bool = False,
    blocked: frozenset[Entry] = frozenset(),
    starts: Sequence[int] | None = None,
    hit: Match | None = None,
) -> list[Match]:
    """Every match of `pattern` in `tokens` (one per starting token), left to right."""
    search = _Search(tokens, clause=clause, blocked=blocked, hit=hit)
    first = pattern.elements[0]
    matches = []
    for start in range(len(tokens)) if starts is None else starts:
        if start < 0 or start >= len(tokens):
            continue
        if not first.is_hit and tokens[start].key not in first.by_first:
            continue
        if first.is_hit and (hit is None or start != hit.first):
            continue
        found = search.run(pattern.elements, start)
        if found is not None:
            matches.append(found)
    return matches
