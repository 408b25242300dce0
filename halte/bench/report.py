"""The table of a benchmark run, and what decides its exit status. Pure Python: no Django needed."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# The run drops and creates its database: only a name that says it is a benchmark's is accepted.
DATABASE_PREFIX = "halte_bench"


def database_name(url: str) -> str:
    """The database a run may drop and create, or ValueError with the reason (French)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(
            "le banc d’essai mesure PostgreSQL, la base de production : l’adresse doit commencer par postgres://."
        )
    name = parts.path.lstrip("/")
    if not re.fullmatch(rf"{DATABASE_PREFIX}[a-z0-9_]*", name):
        raise ValueError(
            f"la base « {name} » serait supprimée puis recréée : son nom doit commencer par « {DATABASE_PREFIX} » "
            "(lettres minuscules, chiffres et _)."
        )
    return name


@dataclass
class Row:
    """One line of the table."""

    name: str
    value: float | None  # in `unit`
    unit: str
    goal: float | None = None  # value must stay below it (above it when `higher_is_better`)
    floor: float | None = None
    ratio_goal: float | None = None  # value / floor must stay below it (above it when higher_is_better)
    higher_is_better: bool = False
    queries: int | None = None
    note: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    def _meets(self, value: float | None, goal: float | None) -> bool:
        if goal is None:
            return True
        if value is None:
            return False
        return value >= goal if self.higher_is_better else value <= goal

    @property
    def passed(self) -> bool:
        return not self.errors and self._meets(self.value, self.goal) and self._meets(self.ratio, self.ratio_goal)


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th)."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * round(fraction * 1000) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def run_failed(rows: list[Row]) -> bool:
    return any(not row.passed for row in rows)


def exit_status(rows: list[Row], *, enforce: bool) -> int:
    """1 when a goal is missed and goals are enforced (a big run), else 0."""
    return 1 if enforce and run_failed(rows) else 0


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    return (text.replace(",", " ") + (f" {unit}" if unit else "")).strip()


def _goal(row: Row) -> str:
    sign = "≥" if row.higher_is_better else "<"
    parts = []
    if row.goal is not None:
        parts.append(f"{sign} {_number(row.goal, row.unit)}")
    if row.ratio_goal is not None:
        parts.append(f"ratio {sign} {_number(row.ratio_goal)}")
    return ", ".join(parts) or "—"


def render(rows: list[Row], context: dict[str, str], *, enforce: bool) -> str:
    """A Markdown table (it goes into docs/benchmarks.md as printed)."""
    lines = [f"{key} : {value}  " for key, value in context.items()]
    lines += [
        "",
        "| mesure | valeur | objectif | plancher | ratio | requêtes | résultat |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        verdict = "OK" if row.passed else ("ÉCHEC" if enforce else "manqué (non exigé)")
        if row.errors:
            verdict += " — " + "; ".join(row.errors)
        name = row.name + (f" ({row.note})" if row.note else "")
        lines.append(
            f"| {name} | {_number(row.value, row.unit)} | {_goal(row)} | {_number(row.floor, row.unit)} "
            f"| {_number(row.ratio)} | {row.queries if row.queries is not None else '—'} | {verdict} |"
        )
    missed = [row.name for row in rows if not row.passed]
    lines.append("")
    if not missed:
        lines.append("Tous les objectifs sont atteints.")
    else:
        lines.append(
            f"{len(missed)} objectif(s) manqué(s) : {', '.join(missed)}"
            + ("." if enforce else " (objectifs non exigés pour cette taille : BENCH_ENFORCE=1 pour les exiger).")
        )
    return "\n".join(lines)
