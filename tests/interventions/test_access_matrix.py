"""The authorization matrix of the interventions: every role × every URL of the namespace × every case
of the shared `world` (school A's case shared with the police for its judicial part, school B's case,
a case whose share was revoked, one whose share expired).

The expectations are written from the facts of the world, not from the predicates: who sees which
case, which compartments they read there, whose school it is. A URL added to the namespace without a
row here makes `test_every_interventions_url_is_in_the_matrix` fail.
"""

import itertools
from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from halte.audit.models import AuditEvent
from halte.core.submission import new_token
from halte.interventions import measures, mpp
from halte.interventions.models import (
    FamilyContact,
    FamilyRestriction,
    Interview,
    Measure,
    MppSeries,
    ParentsInformation,
)
from tests.conftest import CAST

from .conftest import at, cast_for, days_ago

ALL = CAST
CASES = ["case_a", "case_b", "revoked", "expired"]
NO_CONTENT = {"analyst", "dpo", "admin"}  # no case capability at all: 403 before anything
CELL = {"coordinator", "magistrate", "prosecutor_delegate", "education_referent", "social_worker"}
OWN_SCHOOL = {"school_a_staff": {"case_a"}, "school_b_staff": {"case_b", "revoked", "expired"}}
# The police read the judicial part of case_a (active share); the other shares were revoked or expired.
POLICE_JUDICIAL = {"case_a"}
# Compartments each cell role reads on every case.
CELL_READS = {
    "coordinator": {"core"},
    "magistrate": {"core", "judicial"},
    "prosecutor_delegate": {"core", "judicial"},
    "education_referent": {"core"},
    "social_worker": {"core"},
}


def reads(name: str, case: str) -> set[str]:
    if name in CELL_READS:
        return CELL_READS[name]
    if case in OWN_SCHOOL.get(name, set()):
        return {"core"}
    if name == "police" and case in POLICE_JUDICIAL:
        return {"judicial"}
    return set()


def visible(name: str, case: str) -> bool:
    return bool(reads(name, case))


# Who may do it, on a case they see (the coordinator is the lead of every case of the world).
def _judicial_writer(name, case):
    return name in {"magistrate", "prosecutor_delegate"} or (name == "police" and case in POLICE_JUDICIAL)


def _own_school(name, case):
    return case in OWN_SCHOOL.get(name, set())


RULES = {
    # rule: (compartment of the object in the URL or None, who is allowed)
    "measure_new": (None, lambda n, c: n == "coordinator" or _own_school(n, c) or _judicial_writer(n, c)),
    "review_core": ("core", lambda n, c: n == "coordinator" or _own_school(n, c)),
    "review_judicial": ("judicial", _judicial_writer),
    "school_work": (None, lambda n, c: n == "coordinator" or _own_school(n, c)),
    "cell": (None, lambda n, c: n == "coordinator"),
    # The school runs the shared-concern method on its own cases; the switch to sanctions stays with
    # the coordinator or the lead (the coordinator leads every case of the world).
    "series": ("core", lambda n, c: n == "coordinator" or _own_school(n, c)),
    "series_switch": ("core", lambda n, c: n == "coordinator"),
    # « Ne pas informer » a family: the magistrate and the délégué du procureur, never the police liaison.
    "judicial_side": (None, lambda n, c: n in {"magistrate", "prosecutor_delegate"}),
}

# Every URL name of the namespace → (method, rule, an extra name for the same URL on another object).
URL_MATRIX = {
    "interventions:measure_new": ("get", "measure_new"),
    "interventions:measure_review": ("get", "review_core"),
    "interventions:interview_new": ("get", "school_work"),
    "interventions:series_start": ("get", "school_work"),
    "interventions:series_author_meeting": ("get", "series"),
    "interventions:series_victim_point": ("get", "series"),
    "interventions:series_outcome": ("post", "series"),
    "interventions:series_switch": ("post", "series_switch"),
    "interventions:series_keep_going": ("post", "series_switch"),
    "interventions:family_contact": ("get", "school_work"),
    "interventions:parents_exception": ("get", "cell"),
    "interventions:parents_exception_lift": ("get", "cell"),
    "interventions:restriction_set": ("get", "judicial_side"),
    "interventions:restriction_lift": ("get", "judicial_side"),
}
# The same review URL on a judicial measure follows its own rule.
JUDICIAL_REVIEW = ("get", "review_judicial")


def interventions_url_names():
    resolver = get_resolver()
    names = resolver.namespace_dict["interventions"][1].reverse_dict
    return {f"interventions:{name}" for name in names if isinstance(name, str)}


def test_every_interventions_url_is_in_the_matrix():
    assert interventions_url_names() == set(URL_MATRIX)


def expected(name: str, case: str, rule: str):
    if name in NO_CONTENT:
        return 403
    if not visible(name, case):
        return 404
    compartment, allowed = RULES[rule]
    if compartment is not None and compartment not in reads(name, case):
        return 404  # the object is in a compartment they do not read: it does not exist for them
    return "ok" if allowed(name, case) else 403


@pytest.fixture
def objects(world, people):
    """On every case: its people, a core measure, a judicial measure, a series with a pending proposal."""
    made = {}
    for case_name in CASES:
        case = getattr(world, case_name)
        cast = cast_for(case)
        today = timezone.localdate()
        core = measures.record_measure(
            case=case, actor=people.coordinator, category="protective", kind="adult_referent", starts_on=today
        )
        judicial = measures.record_measure(
            case=case, actor=people.magistrate, category="judicial", kind="awareness_course", starts_on=today
        )
        series = mpp.start_series(case=case, actor=people.coordinator, author=cast.author)
        mpp.record_author_meeting(
            series=series,
            actor=people.coordinator,
            held_at=at(days_ago(20)),
            conducted_by=people.coordinator,
            summary="Entretien sans reproche.",
        )
        made[case_name] = {"case": case, "core": core, "judicial": judicial, "series": series}
    mpp.propose_switches()
    return made


def _fresh_series(series: MppSeries) -> None:
    """Each role meets the series open with a pending proposal, whatever the previous role did."""
    MppSeries.objects.filter(pk=series.pk).update(
        status=MppSeries.Status.OPEN,
        switch_proposed_at=timezone.now(),
        switch_declined_at=None,
        switch_declined_by=None,
    )


def _url(url_name: str, made: dict, judicial: bool = False) -> str:
    case = made["case"]
    if url_name == "interventions:measure_review":
        measure = made["judicial"] if judicial else made["core"]
        return reverse(url_name, args=[case.public_id, measure.public_id])
    if url_name.startswith("interventions:series_") and url_name != "interventions:series_start":
        return reverse(url_name, args=[case.public_id, made["series"].public_id])
    if url_name == "interventions:parents_exception_lift":  # each role meets a standing exception
        author = case.involvements.filter(role="alleged_author").order_by("id").first().person
        ParentsInformation.objects.get_or_create(
            case=case,
            pupil=author,
            defaults={"family": "author", "status": "exception", "reason": "Danger.", "recorded_by": case.lead},
        )
        return reverse(url_name, args=[case.public_id, author.public_id])
    if url_name == "interventions:restriction_lift":  # each role meets a standing instruction
        standing = FamilyRestriction.objects.filter(case=case, lifted_at__isnull=True).first()
        if standing is None:
            standing = FamilyRestriction.objects.create(case=case, reason="Enquête.", set_by=case.lead)
        return reverse(url_name, args=[case.public_id, standing.public_id])
    return reverse(url_name, args=[case.public_id])


def _run(client, login, people, made, url_name, method, judicial=False):
    seen = {}
    for name in ALL:
        _fresh_series(made["series"])
        client.logout()
        login(client, getattr(people, name))
        url = _url(url_name, made, judicial)
        data = {"status": "improved"} if url_name == "interventions:series_outcome" else {}
        response = client.post(url, data) if method == "post" else client.get(url)
        ok = 302 if method == "post" else 200
        seen[name] = "ok" if response.status_code == ok else response.status_code
    return seen


@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("url_name", sorted(URL_MATRIX))
def test_interventions_matrix(client, login, people, objects, url_name, case_name):
    method, rule = URL_MATRIX[url_name]
    seen = _run(client, login, people, objects[case_name], url_name, method)
    assert seen == {name: expected(name, case_name, rule) for name in ALL}


@pytest.mark.parametrize("case_name", CASES)
def test_judicial_measure_review_matrix(client, login, people, objects, case_name):
    method, rule = JUDICIAL_REVIEW
    seen = _run(client, login, people, objects[case_name], "interventions:measure_review", method, judicial=True)
    assert seen == {name: expected(name, case_name, rule) for name in ALL}


JUDICIAL_ONLY = {"magistrate", "prosecutor_delegate", "police"}


# Valid data for the pages that write, so that a refusal is the only reason nothing is saved.
_MINUTES = itertools.count()


def _post_data(url_name, made, people, name):
    today = timezone.localdate().isoformat()
    # Judicial roles record judicial measures only.
    category, kind = ("judicial", "account_suspension") if name in JUDICIAL_ONLY else ("protective", "staff_vigilance")
    case = made["case"]
    victim = case.involvements.get(role="victim")
    # Each post its own minute: a series keeps one meeting per pupil and minute.
    held = timezone.localtime(timezone.now() - timedelta(minutes=next(_MINUTES))).strftime("%Y-%m-%dT%H:%M")
    return {
        "interventions:measure_new": {
            "category": category,
            "kind": kind,
            "status": "active",
            "starts_on": today,
        },
        "interventions:measure_review": {"effectiveness": "effective", "review_note": "Bilan.", "status": "ended"},
        "interventions:interview_new": {
            "involvement": str(victim.pk),
            "method": "hearing",
            "held_at": held,
            "conducted_by": str(people.coordinator.public_id),
            "summary": "Entretien.",
        },
        "interventions:series_start": {
            "author": str(case.involvements.filter(role="alleged_author").last().person.public_id)
        },
        "interventions:series_author_meeting": {
            "held_at": held,
            "conducted_by": str(people.coordinator.public_id),
            "summary": "Entretien sans reproche.",
            "proposals_done": "yes",
        },
        "interventions:series_victim_point": {
            "victim": str(victim.person.public_id),
            "held_at": held,
            "conducted_by": str(people.coordinator.public_id),
            "victim_view": "same",
        },
        "interventions:family_contact": {
            "pupil": str(victim.person.public_id),
            "at": held,
            "channel": "phone",
            "made_by": str(people.coordinator.public_id),
            "summary": "Appel.",
            "informed_of_situation": "on",
        },
        "interventions:parents_exception": {
            "pupil": str(case.involvements.filter(role="alleged_author").first().person.public_id),
            "reason": "Intérêt de l’enfant.",
        },
        # A family not yet under the instruction (two roles may set one each).
        "interventions:restriction_set": {
            "pupil": str(
                case.involvements.filter(role__in=["victim", "alleged_author"])
                .exclude(
                    person__in=FamilyRestriction.objects.filter(
                        case=case, lifted_at__isnull=True, pupil__isnull=False
                    ).values("pupil")
                )
                .order_by("id")
                .first()
                .person.public_id
            ),
            "reason": "Besoin de l’enquête.",
        },
        "interventions:restriction_lift": {"reason": "Auditions faites."},
        "interventions:parents_exception_lift": {"reason": "Le danger est écarté."},
    }[url_name] | ({"submission_token": new_token()} if url_name in CREATION_FORMS else {})


# Forms that create something: they carry a one-time token (halte/core/submission.py).
CREATION_FORMS = {
    "interventions:measure_new",
    "interventions:interview_new",
    "interventions:series_author_meeting",
    "interventions:series_victim_point",
    "interventions:family_contact",
    "interventions:restriction_set",
    "interventions:restriction_lift",
    "interventions:parents_exception_lift",
}


def _counts():
    return (
        AuditEvent.objects.filter(action__startswith="interventions.").count(),
        Measure.objects.count(),
        Interview.objects.count(),
        MppSeries.objects.count(),
        FamilyContact.objects.count(),
        ParentsInformation.objects.count(),
        FamilyRestriction.objects.count(),
        FamilyRestriction.objects.filter(lifted_at__isnull=False).count(),
    )


@pytest.mark.parametrize("url_name", [n for n, (method, _rule) in URL_MATRIX.items() if method == "get"])
def test_refused_posts_save_nothing(client, login, people, objects, url_name):
    """The form pages refuse a POST exactly as they refuse the page, and save nothing then; the same
    data posted by an allowed role is saved (so the refusal is the only reason nothing was)."""
    _method, rule = URL_MATRIX[url_name]
    made = objects["case_a"]
    for name in ALL:
        want = expected(name, "case_a", rule)
        client.logout()
        login(client, getattr(people, name))
        if url_name == "interventions:series_start":
            # One series per author: each allowed role starts its own with the same pupil.
            MppSeries.objects.filter(case=made["case"]).exclude(pk=made["series"].pk).delete()
        url = _url(url_name, made)  # may prepare its object (a standing instruction): before counting
        before = _counts()
        response = client.post(url, _post_data(url_name, made, people, name))
        if want == "ok":
            assert response.status_code == 302, name
            assert _counts() != before, name
        else:
            assert response.status_code == want, name
            assert _counts() == before, name
