"""The authorization matrix: every role × every case URL × cases of their own school, another
school, shared with their organisation, shared then revoked, share expired.

Fails closed twice: every URL of the cases app must have a row in URL_MATRIX (a new page without a
decision fails `test_every_case_url_is_in_the_matrix`), and the global URL walk in tests/access
fails for any view without an access rule.
"""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.cases import models as case_models
from halte.core.submission import new_token
from tests.conftest import CAST

from .conftest import CORE_MARK, HEALTH_MARK, IDENTITY_MARK, JUDICIAL_MARK

ALL = CAST
NO_CONTENT = {"analyst": 403, "dpo": 403, "admin": 403}
CELL = {"coordinator", "magistrate", "prosecutor_delegate", "education_referent", "social_worker"}

# Case page: expected status per role, for case_a (school A, shared with the police for the judicial part),
# case_b (school B), revoked (share revoked), expired (share expired).
DETAIL = {
    **{name: {"case_a": 200, "case_b": 200, "revoked": 200, "expired": 200} for name in CELL},
    "school_a_staff": {"case_a": 200, "case_b": 404, "revoked": 404, "expired": 404},
    "school_b_staff": {"case_a": 404, "case_b": 200, "revoked": 200, "expired": 200},
    "police": {"case_a": 200, "case_b": 404, "revoked": 404, "expired": 404},
    "association_worker": {"case_a": 404, "case_b": 404, "revoked": 404, "expired": 404},
    **{name: dict.fromkeys(("case_a", "case_b", "revoked", "expired"), code) for name, code in NO_CONTENT.items()},
}

# What each role reads on case_a.
MARKS_ON_CASE_A = {
    "coordinator": {CORE_MARK, IDENTITY_MARK},
    "magistrate": {CORE_MARK, JUDICIAL_MARK},
    "prosecutor_delegate": {CORE_MARK, JUDICIAL_MARK},
    "education_referent": {CORE_MARK},
    "social_worker": {CORE_MARK, HEALTH_MARK},
    "school_a_staff": {CORE_MARK},
    "police": {JUDICIAL_MARK},
}
ALL_MARKS = {CORE_MARK, HEALTH_MARK, JUDICIAL_MARK, IDENTITY_MARK}

# Every URL name of the cases app → (method, how the expected status on case_a is decided).
# "detail" = same as the case page; "manage" = cell members who manage (coordinator; lead/co-workers);
# "coordinator" = coordinator only; "own" = visible → 200/302 or 403.
URL_MATRIX = {
    "cases:detail": ("get", "detail"),
    "cases:access_log": ("get", "coordinator"),
    "cases:print": ("get", "detail"),
    "cases:transition": ("post", "manage"),
    "cases:summary": ("post", "manage"),
    "cases:assign": ("post", "manage"),
    "cases:reassess": ("get", "manage"),
    "cases:share": ("post", "share_core"),
    "cases:revoke_share": ("post", "share_judicial"),
    "cases:note": ("post", "note"),
    "cases:add_person": ("get", "manage"),
    "cases:follow_up": ("post", "follow_up"),
    "cases:link": ("post", "manage"),
    "cases:list": ("get", "list"),
    "cases:deadlines": ("get", "list"),
    "cases:my_actions": ("get", "list"),
    "cases:triage": ("get", "triage"),
    "cases:add_action": ("post", "manage"),
    "cases:add_follow_up": ("post", "follow_up"),
    "cases:guardian_add": ("get", "guardian"),
    "cases:person_contact": ("get", "guardian"),
    "cases:complete_action": ("post", "action"),
    "cases:cancel_action": ("post", "cancel"),
    "cases:action": ("get", "action_page"),
    "cases:report_difficulty": ("post", "difficulty"),
    "cases:conflict": ("post", "coordinator"),
}

# Actions are reached through their owner organisation too. The matrix action is a core action of case_a
# owned by the association, which does not see case_a: its members reach the action (not the case); the
# coordinator manages the case; the police see case_a but not its core, so not the action either.
ACTION_EXPECTED = {
    "coordinator": "ok",
    "magistrate": 403,
    "prosecutor_delegate": 403,
    "education_referent": 403,
    "social_worker": 403,
    "school_a_staff": 403,
    "school_b_staff": 404,
    "police": 404,
    "association_worker": "ok",
    **NO_CONTENT,
}


# Cancelling an action the cell decided: only those who manage the case. Its owner organisation completes
# it or reports a difficulty, never cancels it (403).
CANCEL_EXPECTED = {**ACTION_EXPECTED, "association_worker": 403}


# The action's own page: whoever reads the action — its owner organisation (the association, which does
# not see case_a) and those who read the core of case_a; the police read only its judicial part.
ACTION_PAGE_EXPECTED = {
    **dict.fromkeys(CELL, "ok"),
    "school_a_staff": "ok",
    "school_b_staff": 404,
    "police": 404,
    "association_worker": "ok",
    **NO_CONTENT,
}

# « Signaler une difficulté »: the owner organisation only; those who read the action without owing it: 403.
DIFFICULTY_EXPECTED = {
    **dict.fromkeys(CELL, 403),
    "school_a_staff": 403,
    "school_b_staff": 404,
    "police": 404,
    "association_worker": "ok",
    **NO_CONTENT,
}


def case_url_names():
    resolver = get_resolver()
    return {f"cases:{name}" for name in resolver.namespace_dict["cases"][1].reverse_dict if isinstance(name, str)}


def test_every_case_url_is_in_the_matrix():
    assert case_url_names() == set(URL_MATRIX)


def _get(client, login, membership, url):
    client.logout()
    login(client, membership)
    return client.get(url).status_code


@pytest.mark.parametrize("case_name", ["case_a", "case_b", "revoked", "expired"])
def test_case_page_matrix(client, login, people, world, case_name):
    case = getattr(world, case_name)
    url = reverse("cases:detail", args=[case.public_id])
    seen = {name: _get(client, login, getattr(people, name), url) for name in ALL}
    assert seen == {name: DETAIL[name][case_name] for name in ALL}


def test_each_role_reads_exactly_its_compartments(client, login, people, world):
    url = reverse("cases:detail", args=[world.case_a.public_id])
    for name, expected in MARKS_ON_CASE_A.items():
        client.logout()
        login(client, getattr(people, name))
        page = client.get(url).content.decode()
        shown = {mark for mark in ALL_MARKS if mark in page}
        assert shown == expected, name


def test_every_read_is_journaled_with_the_compartments_shown(client, login, people, world):
    url = reverse("cases:detail", args=[world.case_a.public_id])
    login(client, people.police)
    client.get(url)
    event = AuditEvent.objects.get(action=Action.CASE_READ, membership=people.police)
    assert event.target_id == str(world.case_a.public_id)
    assert event.detail["compartments"] == ["judicial"]


def _expected(rule, name):
    if name in NO_CONTENT:
        return 403
    visible = DETAIL[name]["case_a"] == 200
    if not visible:
        return 404
    if rule == "detail":
        return 200
    if rule == "coordinator":
        return "ok" if name == "coordinator" else 403
    if rule == "manage":
        return "ok" if name == "coordinator" else 403
    if rule == "follow_up":  # those who manage, and the staff of the case's own school
        return "ok" if name in {"coordinator", "school_a_staff"} else 403
    if rule == "share_core":  # the core is shared by the coordination and the parquet
        return "ok" if name in {"coordinator", "magistrate", "prosecutor_delegate"} else 403
    if rule == "share_judicial":  # the police's judicial share: the parquet's; the coordination never sees it
        if name in {"magistrate", "prosecutor_delegate"}:
            return "ok"
        return 404 if name == "coordinator" else 403
    if rule == "note":  # a judicial note: those who read the judicial compartment
        return "ok" if name in {"magistrate", "prosecutor_delegate", "police"} else 403
    if rule == "guardian":  # guardians and contact details: who manages the case, and the school's own staff
        return "ok" if name in {"coordinator", "school_a_staff"} else 403
    raise AssertionError(rule)


def _matrix_action(people, world):
    """The core action of case_a owned by the association, open again for each role."""
    from halte.cases.models import Action

    action, _created = Action.objects.get_or_create(
        case=world.case_a,
        title="Proposer un accompagnement à la famille",
        defaults={"owner_organisation": people.association_worker.organisation, "created_by": people.coordinator},
    )
    Action.objects.filter(pk=action.pk).update(status="open", done_at=None, completion_note="")
    return action


def _args(url_name, world, people):
    case = world.case_a
    if url_name == "cases:transition":
        return [case.public_id, "start_monitoring"]
    if url_name == "cases:revoke_share":
        # Each role meets the police share active, whatever the previous role did to it.
        case.shares.update(revoked_at=None, revoked_by=None)
        return [case.public_id, case.shares.first().public_id]
    if url_name in ("cases:complete_action", "cases:cancel_action", "cases:action", "cases:report_difficulty"):
        return [_matrix_action(people, world).public_id]
    if url_name == "cases:follow_up":
        follow_up = _matrix_follow_up(world)
        return [case.public_id, follow_up.public_id]
    if url_name in ("cases:guardian_add", "cases:person_contact"):
        kind = "pupil" if url_name == "cases:guardian_add" else "adult"
        person, _ = case_models.Person.objects.get_or_create(kind=kind, first_name="Matrice", last_name=kind)
        case_models.Involvement.objects.get_or_create(
            case=case, person=person, role="victim" if kind == "pupil" else "guardian"
        )
        return [case.public_id, person.public_id]
    if url_name == "cases:conflict":
        # A teacher of school A named as alleged author, and school A not yet set aside, for each role.
        teacher, _ = case_models.Person.objects.get_or_create(
            kind="adult", first_name="Paul", last_name="Enseignant", school=people.school_a_staff.school
        )
        case_models.Involvement.objects.get_or_create(case=case, person=teacher, role="alleged_author")
        case_models.ConflictOfInterest.objects.filter(case=case).delete()
    return [case.public_id]


def _matrix_follow_up(world):
    """The J+7 checkpoint of case_a, not yet recorded for each role."""
    follow_up, _ = case_models.FollowUp.objects.get_or_create(
        case=world.case_a, day=7, defaults={"due_on": world.case_a.opened_at.date()}
    )
    case_models.FollowUp.objects.filter(pk=follow_up.pk).update(done_at=None, decision="", victim_view="")
    return follow_up


def _snapshot(world) -> dict:
    """What the POST URLs of the matrix may change on case_a, by kind of write."""
    case = case_models.Case.objects.get(pk=world.case_a.pk)
    rows = {
        "shares": case_models.Share.objects.filter(case=case).values_list("pk", "organisation_id", "revoked_at"),
        "notes": case_models.Note.objects.filter(case=case).values_list("pk"),
        "links": case_models.Link.objects.values_list("pk"),
        "actions": case_models.Action.objects.filter(case=case).values_list("pk", "status", "completion_note"),
        "follow_ups": case_models.FollowUp.objects.filter(case=case).values_list("pk", "day", "done_at"),
        "events": case_models.Event.objects.filter(case=case).values_list("pk"),
        "conflicts": case_models.ConflictOfInterest.objects.filter(case=case).values_list("pk", "organisation_id"),
    }
    snapshot = {name: list(query.order_by("pk")) for name, query in rows.items()}
    snapshot["case"] = [(case.state, case.version, case.summary, case.lead_id, case.do_not_disclose_to_family)]
    return snapshot


# What a successful POST must have changed (an accepted write), per URL.
WRITES = {
    "cases:transition": "case",
    "cases:summary": "case",
    "cases:assign": "case",
    "cases:share": "shares",
    "cases:revoke_share": "shares",
    "cases:note": "notes",
    "cases:follow_up": "follow_ups",
    "cases:link": "links",
    "cases:add_action": "actions",
    "cases:add_follow_up": "follow_ups",
    "cases:complete_action": "actions",
    "cases:cancel_action": "actions",
    "cases:report_difficulty": "events",
    "cases:conflict": "conflicts",
}


POST_DATA = {
    "cases:transition": {"version": "1"},
    "cases:summary": {"version": "1", "summary": "Nouveau résumé"},
    "cases:assign": {"version": "1"},
    "cases:share": {
        "organisation": "",
        "compartments": ["core"],
        "legal_basis": "convention",
        # Within the year a share may last (actions.SHARE_MAX_DAYS).
        "expires_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
    },
    "cases:note": {"compartment": "judicial", "text": "Une note"},
    "cases:follow_up": {"victim_view": "better", "wellbeing": "4", "decision": "continue"},
    "cases:link": {"other": "HS-2026-000002", "kind": "linked", "reason": "Même situation"},
    "cases:add_action": {"action-title": "Rencontrer la famille", "action-due_at": "2099-01-01T10:00"},
    # Filled per role below: a date within the year after the opening, a follow-up's own prefix.
    "cases:add_follow_up": {},
}


TOKEN_FIELDS = {
    "cases:share": "submission_token",
    "cases:note": "submission_token",
    "cases:add_action": "action-submission_token",
    "cases:add_follow_up": "extra-submission_token",
    "cases:report_difficulty": "submission_token",
}


SPECIAL = {
    "action": ACTION_EXPECTED,
    "cancel": CANCEL_EXPECTED,
    "action_page": ACTION_PAGE_EXPECTED,
    "difficulty": DIFFICULTY_EXPECTED,
}


def test_every_post_url_says_what_it_writes():
    assert {name for name, (method, _rule) in URL_MATRIX.items() if method == "post"} == set(WRITES)


@pytest.mark.parametrize("url_name", [n for n, (_m, rule) in URL_MATRIX.items() if rule not in ("list", "triage")])
def test_case_action_matrix(client, login, people, world, url_name):
    """Each role gets its expected status; an "ok" POST really wrote, a refused one changed nothing."""
    method, rule = URL_MATRIX[url_name]
    seen, expected = {}, {}
    for name in ALL:
        # Fresh objects per role: a successful POST by one role must not change what the next one meets.
        world.case_a.refresh_from_db()
        url = reverse(url_name, args=_args(url_name, world, people))
        client.logout()
        login(client, getattr(people, name))
        data = dict(POST_DATA.get(url_name, {}))
        if "version" in data:
            data["version"] = str(world.case_a.version)
        if url_name == "cases:share":
            # An organisation whose members never read cases, so the matrix does not change under the test.
            data["organisation"] = str(people.analyst.organisation.pk)
            # Each role meets no share with it: sharing again would renew the previous role's share.
            case_models.Share.objects.filter(case=world.case_a, organisation=people.analyst.organisation).delete()
        if url_name == "cases:add_action":
            data["action-owner_organisation"] = str(people.social_worker.organisation.pk)
        if url_name == "cases:conflict":
            data = {"organisation": str(people.school_a_staff.organisation.pk), "reason": "Un enseignant mis en cause"}
        if url_name == "cases:follow_up":
            prefix = f"suivi-{_matrix_follow_up(world).pk}"
            data = {f"{prefix}-victim_view": "better", f"{prefix}-wellbeing": "4", f"{prefix}-decision": "continue"}
        if url_name == "cases:add_follow_up":
            due_on = timezone.localdate() + timedelta(days=30)
            # Each role meets the day free, whatever the previous role added.
            case_models.FollowUp.objects.filter(case=world.case_a, due_on=due_on).delete()
            data = {"extra-due_on": due_on.isoformat()}
        if rule == "difficulty":
            data = {"text": "La famille ne répond pas au téléphone."}
        if rule in ("action", "cancel"):
            action = _matrix_action(people, world)
            field = "note" if url_name == "cases:complete_action" else "reason"
            data = {f"action-{action.pk}-{field}": "Fait avec la famille"}
        if url_name in TOKEN_FIELDS:  # a form that creates something carries its one-time token
            data[TOKEN_FIELDS[url_name]] = new_token()
        before = _snapshot(world)
        response = client.post(url, data) if method == "post" else client.get(url)
        after = _snapshot(world)
        want = SPECIAL[rule][name] if rule in SPECIAL else _expected(rule, name)
        if want == "ok":
            wrote = method == "get" or after[WRITES[url_name]] != before[WRITES[url_name]]
            seen[name] = "ok" if response.status_code in (200, 302) and wrote else (response.status_code, "not written")
        else:
            seen[name] = response.status_code if after == before else (response.status_code, "written anyway")
        expected[name] = want
    assert seen == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [(n, 200) for n in ALL if n not in NO_CONTENT] + list(NO_CONTENT.items()),
)
def test_lists_open_to_case_readers_only(client, login, people, world, name, code):
    assert _get(client, login, getattr(people, name), reverse("cases:list")) == code
    assert _get(client, login, getattr(people, name), reverse("cases:deadlines")) == code
    assert _get(client, login, getattr(people, name), reverse("cases:my_actions")) == code


def test_lists_show_only_visible_cases(client, login, people, world):
    expectations = {
        "coordinator": {"HS-2026-000001", "HS-2026-000002", "HS-2026-000003", "HS-2026-000004"},
        "school_a_staff": {"HS-2026-000001"},
        "school_b_staff": {"HS-2026-000002", "HS-2026-000003", "HS-2026-000004"},
        "police": {"HS-2026-000001"},
        "association_worker": set(),
    }
    for name, references in expectations.items():
        client.logout()
        login(client, getattr(people, name))
        page = client.get(reverse("cases:list")).content.decode()
        assert {
            r for r in ("HS-2026-000001", "HS-2026-000002", "HS-2026-000003", "HS-2026-000004") if r in page
        } == references, name


def test_triage_is_for_coordinators(client, login, people, world):
    report = world.case_a.reports.first()
    report.case = None
    report.save()
    url = reverse("cases:triage", args=[report.public_id])
    seen = {name: _get(client, login, getattr(people, name), url) for name in ALL}
    assert seen == {name: 200 if name == "coordinator" else 403 for name in ALL}
