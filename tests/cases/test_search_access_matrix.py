"""The access matrix extended to the staff search: every role searches the same pupil, named in cases
and reports it may and may not see, and gets back exactly the ones it may see — by a misspelled name
(names are core content: only cases whose core it reads) and by reference (every case it sees).

The world: the four cases of the case matrix (school A's case shared with the police for its
judicial part only, school B's case, one share revoked, one expired), plus a school B case shared with
the police for its core, and a school A case withdrawn from school A for a conflict of interest; the
pupil « Camille Rousseau » is the victim in each. Reports: one filed by school A, one from the public,
both naming her.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.access.cases import visible_cases
from halte.audit.models import Action, AuditEvent
from halte.cases.enums import Compartment, LegalBasis
from halte.cases.models import ConflictOfInterest, Involvement, Person, Share
from halte.reports.models import Report, ReportedPupil
from tests.conftest import CAST

from .conftest import make_case

ALL_CASES = {"case_a", "case_b", "revoked", "expired", "core_shared", "conflicted"}
CELL = {"coordinator", "magistrate", "prosecutor_delegate", "education_referent", "social_worker"}

# Cases found by the pupil's (misspelled) name: those whose core the role reads.
BY_NAME = {
    **dict.fromkeys(CELL, ALL_CASES),
    "school_a_staff": {"case_a"},  # « conflicted » was withdrawn from school A
    "school_b_staff": {"case_b", "revoked", "expired", "core_shared"},
    "police": {"core_shared"},  # case_a is shared with them for its judicial part only
    "association_worker": set(),
}
# Reports found by the pupil's name (None: the role sees no report, the group is not shown).
REPORTS_BY_NAME = {
    "coordinator": {"school_report", "public_report"},
    "school_a_staff": {"school_report"},
    "school_b_staff": set(),
}
NO_SEARCH = {"analyst", "dpo", "admin"}


@pytest.fixture
def scene(world, people):
    coordinator = people.coordinator
    school_a = people.school_a_staff.school
    school_b = people.school_b_staff.school
    core_shared = make_case("HS-2026-000005", school_b, coordinator)
    Share.objects.create(
        case=core_shared,
        organisation=people.police.organisation,
        compartments=[Compartment.CORE],
        legal_basis=LegalBasis.ART_40,
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=coordinator,
    )
    conflicted = make_case("HS-2026-000006", school_a, coordinator)
    ConflictOfInterest.objects.create(
        case=conflicted,
        organisation=people.school_a_staff.organisation,
        reason="Adulte mis en cause.",
        decided_by=coordinator,
    )
    cases = {
        "case_a": world.case_a,
        "case_b": world.case_b,
        "revoked": world.revoked,
        "expired": world.expired,
        "core_shared": core_shared,
        "conflicted": conflicted,
    }
    for case in cases.values():
        # One person record per case, as if nobody had linked them: the search must still find each.
        person = Person.objects.create(kind="pupil", first_name="Camille", last_name="Rousseau")
        Involvement.objects.create(case=case, person=person, role="victim")
    school_report = Report.objects.create(
        reference="SIG-2026-000010",
        channel="school",
        reporter_kind="staff",
        description="Récit.",
        school=school_a,
        created_by=people.school_a_staff,
    )
    public_report = Report.objects.create(
        reference="SIG-2026-000011", channel="web", reporter_kind="pupil", description="Récit.", school=school_b
    )
    for report in (school_report, public_report):
        ReportedPupil.objects.create(report=report, first_name="Camille", last_name="Rousseau", role="victim")
    return {**cases, "school_report": school_report, "public_report": public_report}


def _search(client, query):
    return client.get(reverse("www:search"), {"q": query})


def _names(scene, objects) -> set[str]:
    by_pk = {(type(obj).__name__, obj.pk): name for name, obj in scene.items()}
    return {by_pk[(type(hit.obj).__name__, hit.obj.pk)] for hit in objects}


@pytest.mark.parametrize("role", CAST)
def test_search_by_misspelled_name_returns_exactly_what_the_role_may_read(client, people, login, scene, role):
    membership = people.all()[role]
    login(client, membership)
    response = _search(client, "Camile Rouseau")
    if role in NO_SEARCH:
        assert response.status_code == 403
        assert not AuditEvent.objects.filter(action=Action.SEARCH).exists()
        return
    assert response.status_code == 200
    results = response.context["results"]
    assert _names(scene, results.cases) == BY_NAME[role]
    expected_reports = REPORTS_BY_NAME.get(role)
    assert results.searches_reports is (expected_reports is not None)
    assert _names(scene, results.reports) == (expected_reports or set())
    page = response.content.decode()
    hidden = {scene[name].reference for name in scene if name not in BY_NAME[role] | (expected_reports or set())}
    assert [ref for ref in hidden if ref in page] == []
    event = AuditEvent.objects.get(action=Action.SEARCH, membership=membership)
    assert event.detail["query"] == "Camile Rouseau"
    assert sorted(event.detail["cases"]) == sorted(scene[name].reference for name in BY_NAME[role])


@pytest.mark.parametrize("role", sorted(set(CAST) - NO_SEARCH))
def test_search_by_reference_returns_every_case_the_role_sees_and_no_other(client, people, login, scene, role):
    membership = people.all()[role]
    login(client, membership)
    results = _search(client, "HS-2026-0000").context["results"]
    seen = {case.reference for case in visible_cases(membership)}
    assert {hit.obj.reference for hit in results.cases} == seen
    # The police see case_a by reference (it is on their list), never by its pupil's name.
    if role == "police":
        assert seen == {"HS-2026-000001", "HS-2026-000005"}


def test_an_adult_alleged_author_never_finds_the_case_naming_them(client, people, login, scene):
    # The school A member's own address is that of an adult alleged author of case_a.
    adult = Person.objects.create(kind="adult", first_name="Paul", last_name="Durand", email="cpe.a@halte.test")
    Involvement.objects.create(case=scene["case_a"], person=adult, role="alleged_author")
    login(client, people.school_a_staff)
    for query in ("Camille Rousseau", "Paul Durand", "HS-2026-000001"):
        assert _names(scene, _search(client, query).context["results"].cases) == set(), query
