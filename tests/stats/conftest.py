"""Helpers to build hand-computed fixtures for the statistics: reports, cases and their milestones at
chosen Paris times. Everything is created directly (no workflow), so each test states its data."""

import html
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from halte.cases.models import Case, Transition
from halte.directory.models import School
from halte.reports.models import Report
from tests.factories import SchoolFactory

PARIS = ZoneInfo("Europe/Paris")
_numbers = itertools.count(1)


def at(year, month, day, hour=12, minute=0) -> datetime:
    """An aware datetime, Paris time."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def report(*, received_at, channel="phone", school=None, forms=(), reporter_kind="parent", case=None) -> Report:
    number = next(_numbers)
    return Report.objects.create(
        reference=f"SIG-T-{number:06d}",
        channel=channel,
        received_at=received_at,
        reporter_kind=reporter_kind,
        description="Récit.",
        school=school,
        forms=list(forms),
        case=case,
    )


def case(*, opened_at, priority="P2", school=None, state="in_intervention", with_report=None, **fields) -> Case:
    """A case opened at `opened_at`; `with_report`: the reception time of its first report."""
    number = next(_numbers)
    created = Case.objects.create(
        reference=f"HS-T-{number:06d}",
        priority=priority,
        qualification="bullying",
        state=state,
        school=school,
        opened_at=opened_at,
        **fields,
    )
    if with_report is not None:
        report(received_at=with_report, school=school, case=created)
    return created


def transition(case_, name, at_, actor) -> Transition:
    states = {"close": ("in_intervention", "closed"), "reopen": ("closed", "reopened")}
    from_state, to_state = states[name]
    return Transition.objects.create(
        case=case_, name=name, from_state=from_state, to_state=to_state, actor=actor, at=at_
    )


def rows_of_html_table(page: str, key: str) -> dict[str, list[str]]:
    """The body rows of the page's table `key`, in order, as {row label: [cell texts]} (HTML unescaped)."""
    block = page.split(f'id="tableau-{key}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block.split("<tbody>", 1)[1], flags=re.S):
        label = re.search(r"<th scope=\"row\">(.*?)</th>", row, flags=re.S).group(1).strip()
        rows[html.unescape(label)] = [
            html.unescape(cell.strip()) for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        ]
    return rows


# --- What a reader can compute from a printed table ------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How the counts of a table hang together, as anyone who reads its column headings knows."""

    counts: tuple[int, ...]  # the columns holding counts
    total_row: bool = False  # the last row adds up the others
    total_column: bool = False  # the last count column adds up the others
    parts: dict[int, int] = field(default_factory=dict)  # {part column: whole column}, in every row
    rates: dict[int, tuple[int, int]] = field(default_factory=dict)  # {rate column: (part column, whole column)}
    cell_parts: tuple = ()  # ((part row, column), (whole row, column)): one count is part of another


def what_a_reader_computes(rows: list[list], layout: Layout) -> dict:
    """Every count a reader knows from the printed numbers (``None`` for a mark), or computes by chaining
    equations one at a time: rows and columns adding up to their totals, part + rest = whole, the rests of the rows
    adding up to the rest of the totals, a printed share times a known whole. Keys: (row, column) for the
    table's counts, ("rest", part, whole) for what is left of a whole once its part is taken away."""
    known = {(i, j): row[j] for i, row in enumerate(rows) for j in layout.counts if row[j] is not None}
    last = len(rows) - 1
    body = range(last) if layout.total_row else range(len(rows))
    equations = []
    if layout.total_row:
        equations += [([(i, j) for i in body], (last, j)) for j in layout.counts]
    if layout.total_column:
        *terms, total = layout.counts
        equations += [([(i, j) for j in terms], (i, total)) for i in range(len(rows))]
    pairs = [((i, p), (i, w)) for p, w in layout.parts.items() for i in range(len(rows))]
    for part, whole in [*pairs, *layout.cell_parts]:
        equations.append(([part, ("rest", part, whole)], whole))
    if layout.total_row:
        for p, w in layout.parts.items():
            equations.append(([("rest", (i, p), (i, w)) for i in body], ("rest", (last, p), (last, w))))
    changed = True
    while changed:
        changed = False
        for terms, total in equations:
            missing = [key for key in [*terms, total] if key not in known]
            if len(missing) != 1:
                continue
            key = missing[0]
            others = sum(known[term] for term in terms if term != key)
            known[key] = others if key == total else known[total] - others
            changed = True
        for i, row in enumerate(rows):
            for r, (p, w) in layout.rates.items():
                if row[r] is not None and (i, w) in known and (i, p) not in known:
                    known[(i, p)] = round(row[r] / 100 * known[(i, w)])
                    changed = True
    return known


def small_counts_found(rows: list[list], layout: Layout) -> dict:
    """The counts from 1 to 4 a reader knows or computes from the printed table."""
    return {key: value for key, value in what_a_reader_computes(rows, layout).items() if 0 < value < 5}


@pytest.fixture
def schools(db) -> dict[str, School]:
    """Schools in two communes of the Somme and one in the Oise."""
    return {
        "amiens_college": SchoolFactory(uai="0801001A", name="Collège Un", commune="Amiens", kind="college"),
        "amiens_lycee": SchoolFactory(uai="0801002B", name="Lycée Deux", commune="Amiens", kind="lycee"),
        "abbeville_ecole": SchoolFactory(
            uai="0801003C", name="École Trois", commune="Abbeville", kind="ecole", sector="private"
        ),
        "beauvais_college": SchoolFactory(
            uai="0601004D", name="Collège Quatre", commune="Beauvais", departement="060", postcode="60000"
        ),
    }
