"""What makes a report worrying at intake: critical signals in the words of the account, and boxes.

A report that raises any flag jumps the intake queue and alerts the coordinators at once; a flag raised
at the critical level also ticks the matching critical criterion of the severity assessment (P1). The
full assessment belongs to triage; this only makes sure nothing urgent waits.

The vocabulary is one declarative table, :mod:`.vocabulary`; :mod:`.text` turns French as it is typed
into words, :mod:`.patterns` matches them. :func:`detect` returns every hit with the words that fired it
(their place in the text, for highlighting), :func:`evaluate` only the flag codes.

Two levels: ``critical``, and ``to_check`` (« à vérifier ») when the words stand after a negation in
their clause or beside a joke marker in their sentence. A negation or a joke never silences a signal.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from . import patterns, text, vocabulary, words
from .vocabulary import FLAGS

CRITICAL = "critical"
TO_CHECK = "to_check"
NEGATION = "negation"
JOKE = "joke"
BOX = "box"

LABELS = {flag.code: flag.label for flag in FLAGS}
CODES = tuple(flag.code for flag in FLAGS)


# Verb forms of the vocabulary: an elision typed without its apostrophe is split before one of them
# (« lembrasser » → « l embrasser »), never before a noun (« larmes » stays « larmes »).
KNOWN = frozenset(words.VERB_FORMS)


@dataclass(frozen=True)
class _CompiledSignal:
    signal: vocabulary.Signal
    pattern: patterns.Pattern
    unless: tuple[patterns.Pattern, ...]
    near: patterns.Pattern | None
    blocked: frozenset


def _compile(source: str) -> patterns.Pattern:
    return patterns.compile_pattern(source, vocabulary.WORDS)


_SIGNALS = tuple(
    _CompiledSignal(
        signal=signal,
        pattern=_compile(signal.pattern),
        unless=tuple(_compile(p) for p in signal.unless),
        near=_compile(signal.near) if signal.near else None,
        blocked=vocabulary.WORDS[signal.blocked_by] if signal.blocked_by else frozenset(),
    )
    for signal in vocabulary.SIGNALS
)
_NEGATION_KEYS = {entry[0] for entry in vocabulary.NEGATIONS}
_NOT_NEGATIONS = tuple(_compile(p) for p in vocabulary.NOT_NEGATIONS)
_JOKES = patterns.compile_pattern("<jokes>", {"jokes": vocabulary.JOKES})
_AGENTS = tuple((agent, _compile(f"<{agent.who}>")) for agent in vocabulary.AGENTS)


@dataclass(frozen=True)
class Hit:
    """One reason a flag fired: the words (where they stand in the text) or a box of the form."""

    flag: str
    level: str  # CRITICAL or TO_CHECK
    source: str  # the pattern of the vocabulary that matched, or BOX
    start: int = 0  # the words, as a slice of the report's text (0, 0 for a box)
    end: int = 0
    words: str = ""
    lowered_by: str = ""  # NEGATION or JOKE when the level is TO_CHECK

    def as_dict(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "level": self.level,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "words": self.words,
            "lowered_by": self.lowered_by,
        }


@dataclass(frozen=True)
class Detection:
    hits: tuple[Hit, ...]

    @property
    def codes(self) -> list[str]:
        """Every flag raised, whatever its level, in table order: what makes a report worrying."""
        raised = {hit.flag for hit in self.hits}
        return [code for code in CODES if code in raised]

    @property
    def critical(self) -> list[str]:
        """The flags raised at the critical level, in table order: what the severity rules tick."""
        raised = {hit.flag for hit in self.hits if hit.level == CRITICAL}
        return [code for code in CODES if code in raised]

    @property
    def to_check(self) -> list[str]:
        """The flags raised only at the level « à vérifier »."""
        critical = set(self.critical)
        return [code for code in self.codes if code not in critical]

    def as_json(self) -> list[dict[str, Any]]:
        return [hit.as_dict() for hit in self.hits]


def _lowered(tokens: Sequence[text.Token], match: patterns.Match, signal: vocabulary.Signal, jokes: set[int]) -> str:
    """NEGATION, JOKE or "" — what lowers a match to « à vérifier »."""
    first = tokens[match.first]
    if first.sentence in jokes:
        return JOKE
    if signal.own_negation:
        return ""
    excused = {
        i
        for pattern in _NOT_NEGATIONS
        for found in patterns.find(
            pattern, tokens, starts=range(match.first - vocabulary.NEGATION_REACH - 2, match.last + 2)
        )
        for i in range(found.first, found.last + 1)
    }
    before = range(max(0, match.first - vocabulary.NEGATION_REACH), match.first)
    inside = range(match.first, match.last + 1)
    after = range(match.last + 1, min(len(tokens), match.last + 2))
    for i in [*before, *inside, *after]:
        token = tokens[i]
        if token.key not in _NEGATION_KEYS or i in match.elements or i in excused:
            continue
        if token.clause != tokens[match.first if i < match.first else match.last].clause:
            continue
        if i in after and token.key not in {"pas", "jamais"}:
            continue
        return NEGATION
    return ""


def _excepted(tokens: Sequence[text.Token], match: patterns.Match, unless: Iterable[patterns.Pattern]) -> bool:
    """Whether an exception matches: around the words (``_``), or over some of them."""
    for pattern in unless:
        reach = sum(e.gap_before + 3 for e in pattern.elements)  # as far back as the exception can start
        if any(e.is_hit for e in pattern.elements):
            if patterns.find(pattern, tokens, starts=range(match.first - reach, match.first + 1), hit=match):
                return True
            continue
        for found in patterns.find(pattern, tokens, starts=range(match.first - reach, match.last + 1)):
            if found.first <= match.last and found.last >= match.first:
                return True
    return False


def _sentence_has(tokens: Sequence[text.Token], pattern: patterns.Pattern, sentence: int) -> bool:
    """Whether `pattern` matches in this sentence or the one just before or after it."""
    starts = [i for i, token in enumerate(tokens) if abs(token.sentence - sentence) <= 1]
    return bool(patterns.find(pattern, tokens, starts=starts))


def _words_hits(description: str) -> list[Hit]:
    tokens = text.tokens(description, KNOWN)
    jokes = {tokens[m.first].sentence for m in patterns.find(_JOKES, tokens)}
    found: dict[tuple[str, int, int], Hit] = {}

    def add(flag: str, level: str, source: str, first: int, last: int, lowered_by: str) -> None:
        start, end = tokens[first].start, tokens[last].end
        hit = Hit(flag, level, source, start, end, description[start:end], lowered_by)
        previous = found.get((flag, start, end))
        if previous is None or (previous.level == TO_CHECK and level == CRITICAL):
            found[(flag, start, end)] = hit

    for compiled in _SIGNALS:
        signal = compiled.signal
        for match in patterns.find(compiled.pattern, tokens, clause=signal.clause, blocked=compiled.blocked):
            if _excepted(tokens, match, compiled.unless):
                continue
            if compiled.near is not None and not _sentence_has(tokens, compiled.near, tokens[match.first].sentence):
                continue
            lowered_by = _lowered(tokens, match, signal, jokes)
            level = TO_CHECK if lowered_by else CRITICAL
            add(signal.flag, level, signal.pattern, match.first, match.last, lowered_by)
            for agent, who in _AGENTS:
                if agent.flag == signal.flag and (author := _author_before(tokens, match, who)) is not None:
                    add(agent.also, level, f"{signal.pattern} ← <{agent.who}>", author, match.last, lowered_by)
    return sorted(found.values(), key=lambda hit: (CODES.index(hit.flag), hit.start, hit.end))


def _author_before(tokens: Sequence[text.Token], match: patterns.Match, author: patterns.Pattern) -> int | None:
    """The index of where `author` stands before the match, in its clause or a few words before."""
    first = tokens[match.first]
    for i in range(match.first - 1, -1, -1):
        token = tokens[i]
        if token.sentence != first.sentence:
            return None
        if token.clause != first.clause and match.first - i > vocabulary.AGENT_REACH:
            return None
        # « le copain de ma mère » as a whole, not « des photos de ma sœur » (she is not the author).
        found = patterns.find(author, tokens, starts=[i])
        if found and found[0].last < match.first and (i == 0 or tokens[i - 1].key not in {"de", "d", "a"}):
            return i
    return None


def detect(*, text: str, forms: Iterable[str], signs: Iterable[str], immediate_danger: bool) -> Detection:
    """Every reason to worry: the boxes ticked, then the words of the account, in table order."""
    forms, signs = set(forms), set(signs)
    boxes = [
        Hit(flag.code, CRITICAL, BOX)
        for flag in FLAGS
        if flag.signs & signs or flag.forms & forms or (flag.immediate_danger and immediate_danger)
    ]
    hits = boxes + _words_hits(text or "")
    return Detection(tuple(sorted(hits, key=lambda hit: CODES.index(hit.flag))))


def evaluate(*, text: str, forms: list[str], signs: list[str], immediate_danger: bool) -> list[str]:
    """The codes of the flags raised, whatever their level, in table order."""
    return detect(text=text, forms=forms, signs=signs, immediate_danger=immediate_danger).codes


def stored_critical(flags: Iterable[str], hits: Iterable[dict[str, Any]]) -> set[str]:
    """The flags a saved report raised at the critical level. A flag with no stored hit (a report saved
    before hits were kept) counts as critical: what alerted then still alerts."""
    levels: dict[str, set[str]] = {}
    for hit in hits:
        levels.setdefault(hit.get("flag", ""), set()).add(hit.get("level", CRITICAL))
    return {code for code in flags if code not in levels or CRITICAL in levels[code]}


def highlight(description: str, hits: Iterable[dict[str, Any]]) -> SafeString:
    """The account, escaped, with the words that fired a flag in ``<mark>`` and, for screen readers,
    the flag said before and « fin » after (the highlight is not told by its colour alone)."""
    spans: list[tuple[int, int, list[str]]] = []
    for hit in sorted((h for h in hits if h.get("end", 0) > h.get("start", 0)), key=lambda h: h["start"]):
        start, end = max(0, int(hit["start"])), min(len(description), int(hit["end"]))
        label = _hit_label(hit)
        if spans and start < spans[-1][1]:
            previous_start, previous_end, labels = spans[-1]
            spans[-1] = (previous_start, max(previous_end, end), labels + [label] * (label not in labels))
        elif start < end:
            spans.append((start, end, [label]))
    parts: list[str] = []
    position = 0
    for start, end, labels in spans:
        parts.append(conditional_escape(description[position:start]))
        parts.append(
            format_html(
                '<mark class="halte-signal"><span class="fr-sr-only">{}</span>{}'
                '<span class="fr-sr-only">{}</span></mark>',
                gettext("Début du passage signalé (%(flags)s) : ") % {"flags": " ; ".join(labels)},
                description[start:end],
                gettext(" (fin du passage signalé)"),
            )
        )
        position = end
    parts.append(conditional_escape(description[position:]))
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 — every part is escaped above


def _hit_label(hit: dict[str, Any]) -> str:
    label = str(LABELS.get(hit.get("flag", ""), hit.get("flag", "")))
    if hit.get("level") == TO_CHECK:
        return gettext("%(flag)s, à vérifier") % {"flag": label}
    return label
