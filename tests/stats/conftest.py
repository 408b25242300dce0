"""Helpers to build hand-computed fixtures for the statistics: reports, cases and their milestones at
chosen Paris times. Everything is created directly (no workflow), so each test states its data."""

import itertools
import re
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


def rows_of_html_table(html: str, key: str) -> dict[str, list[str]]:
    """The body rows of the page's table `key`, as {row label: [cell texts]}."""
    block = html.split(f'id="tableau-{key}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block.split("<tbody>", 1)[1], flags=re.S):
        label = re.search(r"<th scope=\"row\">(.*?)</th>", row, flags=re.S).group(1).strip()
        rows[label] = [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
    return rows


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
