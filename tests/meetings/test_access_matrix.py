"""The authorization matrix of meetings: every role × every URL of the `meetings` namespace.

The `cell` meeting (tests/meetings/conftest.py) has case A (school A, judicial part shared with the
police) and case B (school B) on its agenda; the magistrate, the education referent, school A's
staff and the police liaison are invited. Fails closed: a URL of the namespace missing from
URL_MATRIX fails `test_every_meetings_url_is_in_the_matrix`.
"""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.meetings import actions

from .conftest import INVITED, MINUTES_MARK, make_case, make_meeting

ALL = [
    "coordinator",
    "magistrate",
    "prosecutor_delegate",
    "education_referent",
    "social_worker",
    "school_a_staff",
    "school_b_staff",
    "police",
    "association_worker",
    "analyst",
    "dpo",
    "admin",
]
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
EXTRA_CHECKS = [("meetings:item", "post", "write")]


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


def url_and_data(url_name: str, cell, people):
    meeting, item = cell.meeting, cell.item_a
    if url_name in ("meetings:list", "meetings:schedule"):
        return reverse(url_name), {}
    if url_name == "meetings:enrol":
        upcoming = make_meeting(people.coordinator, timezone.now() + timedelta(days=3))
        return reverse(url_name, args=[cell.case_a.public_id]), {"meeting": str(upcoming.public_id)}
    if url_name in ("meetings:remove_item", "meetings:move_up", "meetings:move_down", "meetings:item"):
        return reverse(url_name, args=[meeting.public_id, item.public_id]), {}
    if url_name == "meetings:add_item":
        make_case("HS-2026-000099")
        return reverse(url_name, args=[meeting.public_id]), {"reference": "HS-2026-000099"}
    return reverse(url_name, args=[meeting.public_id]), {}


MINUTES_POST = {
    "cr-minutes": "Compte rendu",
    "decisions-TOTAL_FORMS": "0",
    "decisions-INITIAL_FORMS": "0",
    "decisions-MIN_NUM_FORMS": "0",
    "decisions-MAX_NUM_FORMS": "10",
}


def run(client, login, people, url, method, data):
    seen = {}
    for name in ALL:
        client.logout()
        login(client, getattr(people, name))
        response = client.post(url, data) if method == "post" else client.get(url)
        seen[name] = response.status_code
    return seen


def normalise(seen: dict, wanted: dict) -> dict:
    return {name: "ok" if wanted[name] == "ok" and code in (200, 302) else code for name, code in seen.items()}


@pytest.mark.parametrize(
    ("url_name", "method", "rule"),
    [(name, method, rule) for name, (method, rule) in URL_MATRIX.items()] + EXTRA_CHECKS,
)
def test_meetings_matrix(client, login, people, cell, url_name, method, rule):
    url, data = url_and_data(url_name, cell, people)
    if rule == "write":
        data = MINUTES_POST
    wanted = {name: expected(rule, name) for name in ALL}
    assert normalise(run(client, login, people, url, method, data), wanted) == wanted


def test_an_item_of_a_case_one_does_not_see_is_a_404(client, login, people, cell):
    url = reverse("meetings:item", args=[cell.meeting.public_id, cell.item_b.public_id])
    seen = run(client, login, people, url, "get", {})
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
