"""The authorization matrix of meetings: every role × every URL of the `meetings` namespace.

The `cell` meeting (tests/meetings/conftest.py) has case A (school A, judicial part shared with the
police) and case B (school B) on its agenda; the magistrate, the education referent, school A's
staff and the police liaison are invited. Fails closed: a URL of the namespace missing from
URL_MATRIX fails `test_every_meetings_url_is_in_the_matrix`. Every POST is checked on the database
too: an allowed POST must have made its write, a refused one must have changed nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.core.submission import new_token
from halte.meetings import actions
from halte.meetings.models import AgendaItem, Invitation, Meeting
from tests.conftest import CAST

from .conftest import INVITED, MINUTES_MARK, make_case, make_meeting

ALL = CAST
NO_CONTENT = {"analyst", "dpo", "admin"}
SEES_MEETING = {"coordinator", *INVITED}
# Who reads the core of case A among those who see the meeting (the police only has its judicial part).
CORE_OF_CASE_A = {"coordinator", "magistrate", "education_referent", "school_a_staff"}

# URL name → (method, rule). Rules:
#   "reader"   any case reader (200), others 403;
#   "planner"  the coordination only (200 or 302), everybody else 403 — the page rule refuses first;
#   "meeting"  those who see the meeting (200), other case readers 404, non-readers 403;
#   "minutes"  readers of case A's core among those who see the meeting (200); the police sees the
#              meeting and the case but not its core (403); other readers 404; non-readers 403;
#   "write"    the same page, posted: only who manages case A (the coordination) writes.
URL_MATRIX = {
    "meetings:list": ("get", "reader"),
    "meetings:schedule": ("get", "planner"),
    "meetings:record_held": ("get", "planner"),
    "meetings:enrol": ("post", "planner"),
    "meetings:detail": ("get", "meeting"),
    "meetings:edit": ("get", "planner"),
    "meetings:cancel": ("get", "planner"),
    "meetings:mark_held": ("post", "planner"),
    "meetings:accept_proposal": ("post", "planner"),
    "meetings:add_item": ("post", "planner"),
    "meetings:remove_item": ("post", "planner"),
    "meetings:move_up": ("post", "planner"),
    "meetings:move_down": ("post", "planner"),
    "meetings:invitations": ("get", "planner"),
    "meetings:attendance": ("post", "planner"),
    "meetings:invitation_ics": ("get", "meeting"),
    "meetings:item": ("get", "minutes"),
}
# Pages that also take a POST, checked posted as well.
EXTRA_CHECKS = [
    ("meetings:item", "post", "write"),
    ("meetings:schedule", "post", "planner"),
    ("meetings:record_held", "post", "planner"),
    ("meetings:edit", "post", "planner"),
    ("meetings:cancel", "post", "planner"),
    ("meetings:invitations", "post", "planner"),
]
CHECKS = [(name, method, rule) for name, (method, rule) in URL_MATRIX.items()] + EXTRA_CHECKS


def meetings_url_names() -> set[str]:
    names = get_resolver().namespace_dict["meetings"][1].reverse_dict
    return {f"meetings:{name}" for name in names if isinstance(name, str)}


def test_every_meetings_url_is_in_the_matrix():
    assert meetings_url_names() == set(URL_MATRIX)


def expected(rule: str, name: str):
    if rule == "planner":
        return "ok" if name == "coordinator" else 403
    if name in NO_CONTENT:
        return 403
    if rule == "reader":
        return 200
    if name not in SEES_MEETING:
        return 404
    if rule == "meeting":
        return 200
    if rule == "minutes":
        return 200 if name in CORE_OF_CASE_A else 403
    if rule == "write":
        if name not in CORE_OF_CASE_A:
            return 403
        return "ok" if name == "coordinator" else 403
    raise AssertionError(rule)


@dataclass
class Scenario:
    """A request of the matrix. For a POST, `state` reads what the write changes from the database and
    `done` says whether a state shows the write made: an "ok" cell must make it, a refused cell must
    leave the state as it found it (a 200 or a 302 alone cannot tell a saved form from a refused one)."""

    url: str
    data: dict = field(default_factory=dict)
    state: Callable[[], Any] | None = None
    done: Callable[[Any], bool] | None = None


MINUTES_POST = {
    "cr-minutes": "Compte rendu",
    "decisions-TOTAL_FORMS": "0",
    "decisions-INITIAL_FORMS": "0",
    "decisions-MIN_NUM_FORMS": "0",
    "decisions-MAX_NUM_FORMS": "10",
}


def agenda_of(meeting) -> list[int]:
    return list(meeting.items.order_by("position", "id").values_list("case_id", flat=True))


def meeting_form(day, place: str) -> dict:
    return {
        "title": "Réunion de la cellule",
        "day": day.isoformat(),
        "start": "14:00",
        "duration_minutes": "120",
        "place": place,
        "submission_token": new_token(),
    }


def scenario(url_name: str, method: str, cell, people) -> Scenario:
    meeting, item = cell.meeting, cell.item_a
    args = [meeting.public_id]
    if method == "get":
        if url_name in ("meetings:list", "meetings:schedule", "meetings:record_held"):
            return Scenario(reverse(url_name))
        if url_name == "meetings:item":
            return Scenario(reverse(url_name, args=[*args, item.public_id]))
        return Scenario(reverse(url_name, args=args))

    def status():
        return Meeting.objects.get(pk=meeting.pk).status

    match url_name:
        case "meetings:enrol":
            upcoming = make_meeting(people.coordinator, timezone.now() + timedelta(days=3))
            return Scenario(
                reverse(url_name, args=[cell.case_a.public_id]),
                {"meeting": str(upcoming.public_id)},
                state=lambda: agenda_of(upcoming),
                done=lambda state: state == [cell.case_a.pk],
            )
        case "meetings:schedule":
            day = timezone.localdate() + timedelta(days=10)
            place = "Salle de la matrice"
            return Scenario(
                reverse(url_name),
                meeting_form(day, place),
                state=lambda: Meeting.objects.filter(place=place).count(),
                done=lambda state: state == 1,
            )
        case "meetings:record_held":
            place = "Salle de la matrice, après coup"
            an_hour_ago = timezone.localtime() - timedelta(hours=1)
            return Scenario(
                reverse(url_name),
                {
                    "title": "Urgence",
                    "day": an_hour_ago.date().isoformat(),
                    "start": an_hour_ago.strftime("%H:%M"),
                    "duration_minutes": "30",
                    "mode": "in_person",
                    "place": place,
                    "members": [str(people.coordinator.pk)],
                    "submission_token": new_token(),
                },
                state=lambda: Meeting.objects.filter(place=place, status=Meeting.Status.HELD).count(),
                done=lambda state: state == 1,
            )
        case "meetings:edit":
            day = timezone.localdate() + timedelta(days=10)
            return Scenario(
                reverse(url_name, args=args),
                meeting_form(day, "Préfecture de la Somme"),
                state=lambda: Meeting.objects.get(pk=meeting.pk).place,
                done=lambda state: state == "Préfecture de la Somme",
            )
        case "meetings:cancel":
            return Scenario(
                reverse(url_name, args=args),
                {"reason": "Reportée"},
                state=status,
                done=lambda state: state == Meeting.Status.CANCELLED,
            )
        case "meetings:mark_held":
            return Scenario(reverse(url_name, args=args), state=status, done=lambda state: state == Meeting.Status.HELD)
        case "meetings:accept_proposal":
            proposed = make_case("HS-2026-000098", priority="P1", opened_at=meeting.starts_at - timedelta(days=1))
            return Scenario(
                reverse(url_name, args=args),
                {"cases": [str(proposed.public_id)]},
                state=lambda: agenda_of(meeting),
                done=lambda state: state == [cell.case_a.pk, cell.case_b.pk, proposed.pk],
            )
        case "meetings:add_item":
            added = make_case("HS-2026-000099", opened_at=meeting.starts_at - timedelta(days=1))
            return Scenario(
                reverse(url_name, args=args),
                {"reference": added.reference},
                state=lambda: agenda_of(meeting),
                done=lambda state: state == [cell.case_a.pk, cell.case_b.pk, added.pk],
            )
        case "meetings:remove_item":
            return Scenario(
                reverse(url_name, args=[*args, item.public_id]),
                state=lambda: agenda_of(meeting),
                done=lambda state: state == [cell.case_b.pk],
            )
        case "meetings:move_up" | "meetings:move_down":
            # Move the second item up, or the first one down: either way the order is reversed.
            moved = cell.item_b if url_name == "meetings:move_up" else cell.item_a
            return Scenario(
                reverse(url_name, args=[*args, moved.public_id]),
                state=lambda: agenda_of(meeting),
                done=lambda state: state == [cell.case_b.pk, cell.case_a.pk],
            )
        case "meetings:invitations":
            invited = [getattr(people, name) for name in (*INVITED, "social_worker")]
            return Scenario(
                reverse(url_name, args=args),
                {"members": [m.pk for m in invited]},
                state=lambda: set(meeting.invitations.values_list("membership_id", flat=True)),
                done=lambda state: state == {m.pk for m in invited},
            )
        case "meetings:attendance":
            invitation = meeting.invitations.get(membership=people.magistrate)
            return Scenario(
                reverse(url_name, args=args),
                {f"presence_{invitation.pk}": Invitation.Attendance.PRESENT},
                state=lambda: Invitation.objects.get(pk=invitation.pk).attendance,
                done=lambda state: state == Invitation.Attendance.PRESENT,
            )
        case "meetings:item":
            return Scenario(
                reverse(url_name, args=[*args, item.public_id]),
                {**MINUTES_POST, "cr-submission_token": new_token()},
                state=lambda: AgendaItem.objects.get(pk=item.pk).minutes,
                done=lambda state: state == MINUTES_POST["cr-minutes"],
            )
    raise AssertionError(f"No POST scenario for {url_name}")


def outcome(code: int, wanted, before, after, case: Scenario):
    """What one cell shows: "ok" for an allowed request (a POST only if its write was made), else the
    status code, marked when a refused POST changed something anyway."""
    wrote = case.state is not None and after != before
    if wanted == "ok":
        if code not in (200, 302):
            return code
        if case.done is not None and not (wrote and case.done(after)):
            return f"{code}, nothing written"
        return "ok"
    return f"{code}, written anyway" if wrote else code


def run(client, login, people, case: Scenario, method: str, wanted: dict) -> dict:
    seen = {}
    for name in ALL:
        client.logout()
        login(client, getattr(people, name))
        before = case.state() if case.state else None
        response = client.post(case.url, case.data) if method == "post" else client.get(case.url)
        after = case.state() if case.state else None
        seen[name] = outcome(response.status_code, wanted[name], before, after, case)
    return seen


def test_every_post_of_the_matrix_checks_its_write(people, cell):
    for url_name, method, _rule in CHECKS:
        if method == "post":
            case = scenario(url_name, method, cell, people)
            assert case.state is not None and case.done is not None, url_name
            assert not case.done(case.state()), url_name  # not already made before anyone posts


@pytest.mark.parametrize(("url_name", "method", "rule"), CHECKS)
def test_meetings_matrix(client, login, people, cell, url_name, method, rule):
    case = scenario(url_name, method, cell, people)
    wanted = {name: expected(rule, name) for name in ALL}
    assert run(client, login, people, case, method, wanted) == wanted


def test_a_refused_post_that_redirects_is_not_ok(client, login, people, cell):
    """An invalid form that redirects with an error message is not an accepted write."""
    case = scenario("meetings:accept_proposal", "post", cell, people)
    case.data = {}  # nothing ticked: "Cochez au moins un dossier."
    seen = run(client, login, people, case, "post", {name: expected("planner", name) for name in ALL})
    assert seen["coordinator"] == "302, nothing written"


def test_an_item_of_a_case_one_does_not_see_is_a_404(client, login, people, cell):
    url = reverse("meetings:item", args=[cell.meeting.public_id, cell.item_b.public_id])
    seen = run(client, login, people, Scenario(url), "get", dict.fromkeys(ALL, 200))
    assert seen["school_a_staff"] == 404  # case B belongs to school B
    assert seen["police"] == 404  # case B is not shared with the police
    assert seen["magistrate"] == 200
    assert seen["coordinator"] == 200


# Which references and labels each person reads on the meeting page.
PAGE = {
    "coordinator": ({"HS-2026-000001", "HS-2026-000002"}, False),
    "magistrate": ({"HS-2026-000001", "HS-2026-000002"}, False),
    "education_referent": ({"HS-2026-000001", "HS-2026-000002"}, False),
    "school_a_staff": ({"HS-2026-000001"}, True),
    "police": ({"HS-2026-000001"}, True),
}


def test_the_meeting_page_names_only_the_cases_one_sees(client, login, people, cell):
    actions.record_minutes(item=cell.item_a, actor=people.coordinator, minutes=MINUTES_MARK)
    actions.record_minutes(item=cell.item_b, actor=people.coordinator, minutes=MINUTES_MARK)
    url = reverse("meetings:detail", args=[cell.meeting.public_id])
    for name, (references, other) in PAGE.items():
        client.logout()
        login(client, getattr(people, name))
        page = client.get(url).content.decode()
        assert {r for r in ("HS-2026-000001", "HS-2026-000002") if r in page} == references, name
        assert ("Dossier d’une autre structure" in page) is other, name
        assert MINUTES_MARK not in page, name  # minutes are read case by case, not on the meeting page
        item_link = reverse("meetings:item", args=[cell.meeting.public_id, cell.item_a.public_id])
        assert (item_link in page) is (name in CORE_OF_CASE_A), name


def test_the_meeting_page_journals_the_read(client, login, people, cell):
    login(client, people.school_a_staff)
    client.get(reverse("meetings:detail", args=[cell.meeting.public_id]))
    event = AuditEvent.objects.get(action=AuditAction.MEETING_READ, membership=people.school_a_staff)
    assert event.target_id == str(cell.meeting.public_id)
    assert event.detail == {"cases": ["HS-2026-000001"]}


def test_pages_need_a_login(client, cell):
    response = client.get(reverse("meetings:detail", args=[cell.meeting.public_id]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
