"""Measuring the vocabulary against a corpus of accounts with the flags each one should raise.

The corpus is a TOML file of ``[[narrative]]`` tables (``id``, ``voice``, ``text``, ``flags`` expected at
the critical level, ``to_check`` expected at least at the level « à vérifier », optional ``note``); see
``tests/reports/flags_corpus.toml``. :func:`measure` runs :func:`halte.reports.flags.detect` on every
text, as an account sent with no box ticked, and counts per flag:

- *recall*: the expected flags raised (at the critical level when expected critical, at any level when
  expected « à vérifier »), over the flags expected; the goal is every one of them;
- *false alarms*: the benign narratives (nothing expected) that raise any flag, at any level, over the
  benign narratives; the goal is at most ``FALSE_ALARM_GOAL``.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import CODES, detect

RECALL_GOAL = 1.0
FALSE_ALARM_GOAL = 0.10
# Raised by the words of an account: every flag but the « immediate danger » box.
WORD_FLAGS = tuple(code for code in CODES if code != "immediate_danger")
VOICES = frozenset({"enfant", "temoin", "parent", "personnel"})


class CorpusError(ValueError):
    """The corpus file cannot be read as a corpus: the message says where."""


@dataclass(frozen=True)
class Narrative:
    id: str
    voice: str
    text: str
    flags: frozenset[str]
    to_check: frozenset[str]
    note: str = ""

    @property
    def benign(self) -> bool:
        return not self.flags and not self.to_check


@dataclass
class Miss:
    narrative: Narrative
    flag: str
    got: str  # "to_check" (expected critical) or "" (nothing)


@dataclass
class FlagScore:
    expected: int = 0
    found: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0


@dataclass
class Measure:
    narratives: list[Narrative]
    scores: dict[str, FlagScore] = field(default_factory=lambda: {code: FlagScore() for code in WORD_FLAGS})
    misses: list[Miss] = field(default_factory=list)
    false_alarms: list[tuple[Narrative, list[str]]] = field(default_factory=list)

    @property
    def benign(self) -> int:
        return sum(1 for narrative in self.narratives if narrative.benign)

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / self.benign if self.benign else 0.0

    @property
    def meets_goals(self) -> bool:
        recall = all(score.recall >= RECALL_GOAL for score in self.scores.values())
        return recall and self.false_alarm_rate <= FALSE_ALARM_GOAL


def load(path: Path | str) -> list[Narrative]:
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CorpusError(f"{path}: {error}") from error
    narratives: list[Narrative] = []
    seen: set[str] = set()
    for position, row in enumerate(data.get("narrative", []), start=1):
        where = f"{path}, narrative {position}"
        try:
            narrative = Narrative(
                id=str(row["id"]),
                voice=str(row["voice"]),
                text=str(row["text"]),
                flags=frozenset(row.get("flags", [])),
                to_check=frozenset(row.get("to_check", [])),
                note=str(row.get("note", "")),
            )
        except KeyError as error:
            raise CorpusError(f"{where}: missing {error.args[0]!r}") from error
        unknown = (narrative.flags | narrative.to_check) - set(WORD_FLAGS)
        if unknown:
            raise CorpusError(f"{where} ({narrative.id}): unknown flags {sorted(unknown)}")
        if narrative.voice not in VOICES:
            raise CorpusError(f"{where} ({narrative.id}): unknown voice {narrative.voice!r}")
        if narrative.id in seen:
            raise CorpusError(f"{where}: the id {narrative.id!r} is used twice")
        seen.add(narrative.id)
        narratives.append(narrative)
    if not narratives:
        raise CorpusError(f"{path}: no narrative")
    return narratives


def measure(narratives: list[Narrative]) -> Measure:
    result = Measure(narratives)
    for narrative in narratives:
        detection = detect(text=narrative.text, forms=[], signs=[], immediate_danger=False)
        critical, raised = set(detection.critical), set(detection.codes)
        for flag in narrative.flags:
            result.scores[flag].expected += 1
            if flag in critical:
                result.scores[flag].found += 1
            else:
                result.misses.append(Miss(narrative, flag, "to_check" if flag in raised else ""))
        for flag in narrative.to_check - narrative.flags:
            result.scores[flag].expected += 1
            if flag in raised:
                result.scores[flag].found += 1
            else:
                result.misses.append(Miss(narrative, flag, ""))
        if narrative.benign and raised:
            result.false_alarms.append((narrative, detection.codes))
    return result
