"""An attacker of the published statistics: what can be worked out exactly from the figures shown?

The attacker knows every figure Halte shows for a population — as linear equations over unknown counts —
and that counts are whole numbers, never negative. A count (any linear combination of the unknowns) is
*derivable* when it has the same value in every population that gives the same figures: its minimum
and its maximum over those populations, found by integer linear programming, are equal. Rank or
nullspace arguments alone would miss what non-negativity pins (a sum of 0 pins every term to 0).

The unknowns are counts ``n[place, signature]``: how many reports (or cases) with one exact set of
answers (channel, month, who reports, triage, forms…) a school received. Only the signatures found in the
true population are unknowns, so the populations the attacker considers are a subset of the real ones:
anything this attacker cannot pin, a stronger one cannot either; anything it pins is a real leak.

``rule_2`` adds what an attacker who has read the method knows about the table by commune (rule 2 of
:mod:`halte.stats.suppression`): which communes would be masked for any candidate population. With it,
the populations considered are exactly those for which Halte would print the very same table.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

BIG = 10_000  # more than any count of these small populations


@dataclass
class Knowledge:
    """Linear facts about non-negative integer unknowns, and the true value of each (to check the facts)."""

    truth: dict[Hashable, int] = field(default_factory=dict)
    rows: list[tuple[dict[Hashable, float], float, float]] = field(default_factory=list)  # lower ≤ Σ ≤ upper
    binaries: list[Hashable] = field(default_factory=list)
    _seen: set = field(default_factory=set)
    _problem: tuple | None = None

    def unknown(self, key: Hashable, value: int) -> None:
        self.truth.setdefault(key, value)

    def binary(self, key: Hashable, value: int) -> None:
        self.unknown(key, value)
        self.binaries.append(key)

    def _row(self, terms: Mapping[Hashable, float], lower: float, upper: float, why: str) -> None:
        true = sum(coef * self.truth[key] for key, coef in terms.items())
        assert lower - 1e-9 <= true <= upper + 1e-9, f"a published figure does not match the population: {why}"
        seen = (frozenset(terms.items()), lower, upper)
        if seen in self._seen or not terms:
            return  # the same fact again (many tables repeat a total), or a fact about nothing
        self._seen.add(seen)
        self.rows.append((dict(terms), lower, upper))
        self._problem = None

    def equal(self, terms: Mapping[Hashable, float], value: float, why: str = "") -> None:
        self._row(terms, value, value, why)

    def at_least(self, terms: Mapping[Hashable, float], value: float, why: str = "") -> None:
        self._row(terms, value, np.inf, why)

    def at_most(self, terms: Mapping[Hashable, float], value: float, why: str = "") -> None:
        self._row(terms, -np.inf, value, why)

    def _compiled(self) -> tuple:
        if self._problem is None:
            keys = list(self.truth)
            index = {key: i for i, key in enumerate(keys)}
            rows, columns, values = [], [], []
            lower, upper = np.empty(len(self.rows)), np.empty(len(self.rows))
            for r, (terms, low, high) in enumerate(self.rows):
                for key, coef in terms.items():
                    rows.append(r)
                    columns.append(index[key])
                    values.append(coef)
                lower[r], upper[r] = low, high
            matrix = coo_array((values, (rows, columns)), shape=(len(self.rows), len(keys))).tocsr()
            highs = np.full(len(keys), np.inf)
            for key in self.binaries:
                highs[index[key]] = 1
            constraints = [LinearConstraint(matrix, lower, upper)] if self.rows else []
            self._problem = (index, Bounds(np.zeros(len(keys)), highs), constraints, np.ones(len(keys)))
        return self._problem

    def _optimum(self, target: Mapping[Hashable, float], sign: int) -> float:
        index, bounds, constraints, integrality = self._compiled()
        objective = np.zeros(len(index))
        for key, coef in target.items():
            objective[index[key]] += sign * coef
        result = milp(objective, integrality=integrality, bounds=bounds, constraints=constraints)
        assert result.status == 0, result.message  # the true population is a solution: never infeasible
        return sign * result.fun

    def solve_range(self, target: Mapping[Hashable, float]) -> tuple[float, float]:
        """The smallest and largest value of ``target`` over every integer point of the facts."""
        return self._optimum(target, 1), self._optimum(target, -1)

    def pinned(self, target: Mapping[Hashable, float]) -> bool:
        """Whether ``target`` has its true value in every integer point of the facts (one optimisation when
        the largest value already differs from the true one)."""
        true = sum(coef * self.truth[key] for key, coef in target.items())
        if self._optimum(target, -1) > true + 0.5:
            return False
        return self._optimum(target, 1) > true - 0.5

    def derivable(self, target: Mapping[Hashable, float]) -> bool:
        return self.pinned(target)


def rule_2(
    knowledge: Knowledge,
    name: Hashable,
    counts: Mapping[Hashable, dict[Hashable, float]],
    order: Sequence[Hashable],
    listed: Iterable[Hashable],
    threshold: int = 5,
) -> None:
    """What the method says of one group of the table by commune (one département, class, measure and
    year): ``counts`` gives each commune's count as a linear expression of the unknowns, ``order`` is
    rule 2b's order, ``listed`` the communes shown. Communes not listed are masked: all count 0 to 4,
    except at most one (rule 2b's) that counts 5 or more — and then it comes before every listed commune
    in rule 2b's order, since it is the first commune of 5 or more."""
    listed = set(listed)
    masked = [place for place in order if place not in listed]
    big = {}
    for place in order:
        expression = counts[place]
        true = sum(coef * knowledge.truth[key] for key, coef in expression.items())
        flag = (name, "5 or more", place)
        knowledge.binary(flag, int(true >= threshold))
        big[place] = flag
        # flag = 1 exactly when the count reaches the threshold.
        knowledge.at_least({**expression, flag: -threshold}, 0, "threshold flag")
        knowledge.at_most({**expression, flag: -BIG}, threshold - 1, "threshold flag")
    for place in listed:
        knowledge.equal({big[place]: 1}, 1, "a listed commune counts 5 or more")
    if not masked:
        return
    knowledge.at_most({big[place]: 1 for place in masked}, 1, "one masked commune of 5 or more at most")
    knowledge.at_most({big[place]: 1 for place in masked}, len(masked) - 1, "rule 2b masks only with a small one")
    if listed:
        knowledge.equal({big[place]: 1 for place in masked}, 1, "rule 2b: a listed commune means one protector")
        first_listed = min(order.index(place) for place in listed)
        for place in masked:
            if order.index(place) > first_listed:
                knowledge.equal({big[place]: 1}, 0, "rule 2b takes the first commune of 5 or more")
