"""The authorization matrix of documents: every role × every URL of the `documents` namespace × the
kinds and the compartments a document carries, on the `world` of tests/cases.

Fails closed: every URL name of the namespace must have a row in URL_MATRIX
(`test_every_documents_url_is_in_the_matrix`), and tests/access walks every URL for an access rule.
"""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from halte.access import documents as access
from halte.access.cases import can_read
from halte.cases.models import Involvement, Person, Share
from halte.core.submission import new_token
from halte.documents.models import DocumentKind
from tests.conftest import CAST

from .conftest import stored_document

ALL = CAST
NO_CONTENT = {"analyst", "dpo", "admin"}  # no READ_CASES capability: 403 before anything
CELL = {"coordinator", "magistrate", "prosecutor_delegate", "education_referent", "social_worker"}
# Case A (school A, lead: the coordinator) is seen by the cell, school A's staff and the police (judicial share).
SEES_CASE_A = CELL | {"school_a_staff", "police"}

# Who may generate each kind on case A (besides seeing it): see halte/access/documents.py.
AUTHORS = {
    "art40": {"coordinator", "social_worker"},  # never the parquet: the report is addressed to it
    "ip": {"coordinator", "social_worker"},
    "convocation": {"coordinator", "school_a_staff"},
    "minutes": {"coordinator"},
    "closure_letter": {"coordinator"},
}
# Who may read a document of case A, by the compartments it carries.
READERS = {
    ("core",): CELL | {"school_a_staff"},
    ("core", "judicial"): {"magistrate", "prosecutor_delegate"},
    ("core", "health"): {"social_worker"},
}

# Every URL name of the namespace → how it is checked below.
URL_MATRIX = {
    "documents:generate": "authors per kind (GET the form for every kind, POST a convocation)",
    "documents:download": "readers per compartments",
}


def documents_url_names():
    resolver = get_resolver()
    names = resolver.namespace_dict["documents"][1].reverse_dict
    return {f"documents:{name}" for name in names if isinstance(name, str)}


def test_every_documents_url_is_in_the_matrix():
    assert documents_url_names() == set(URL_MATRIX)


def expected(name, allowed):
    if name in NO_CONTENT:
        return 403
    if name not in SEES_CASE_A:
        return 404
    return 200 if name in allowed else 403


def status_for(client, login, membership, url, data=None):
    client.logout()
    login(client, membership)
    response = client.get(url) if data is None else client.post(url, {**data, "submission_token": new_token()})
    return response.status_code


@pytest.mark.parametrize("kind", list(AUTHORS))
def test_generate_form_matrix(client, login, people, world, kind):
    assert set(AUTHORS) == set(DocumentKind.values)
    url = reverse("documents:generate", args=[world.case_a.public_id, kind])
    seen = {name: status_for(client, login, getattr(people, name), url) for name in ALL}
    assert seen == {name: expected(name, AUTHORS[kind]) for name in ALL}


def test_generate_post_matrix(client, login, people, world):
    """A POST is decided like the form: refused before anything is generated."""
    pupil = Person.objects.create(kind="pupil", first_name="Léa", last_name="Martin")
    Involvement.objects.create(case=world.case_a, person=pupil, role="victim")
    url = reverse("documents:generate", args=[world.case_a.public_id, "convocation"])
    on = timezone.localdate() + timedelta(days=2)
    while on.weekday() >= 5:  # a weekend asks for a confirmation (test_ready_to_send)
        on += timedelta(days=1)
    data = {
        "recipient": str(pupil.public_id),
        "on": on.isoformat(),
        "at": "10:00",
        "place": "Collège A",
        "purpose": "Faire le point",
        "contact": "La CPE",
    }
    seen = {name: status_for(client, login, getattr(people, name), url, data) for name in ALL}
    want = {
        name: 302 if code == 200 else code for name, code in ((n, expected(n, AUTHORS["convocation"])) for n in ALL)
    }
    assert seen == want
    assert sorted(d.generated_by_id for d in world.case_a.documents.all()) == sorted(
        [people.coordinator.pk, people.school_a_staff.pk]
    )


def test_generate_on_another_school_s_case_is_not_found_for_school_staff(client, login, people, world):
    url = reverse("documents:generate", args=[world.case_b.public_id, "convocation"])
    assert status_for(client, login, people.school_a_staff, url) == 404
    assert status_for(client, login, people.school_b_staff, url) == 200


@pytest.mark.parametrize("compartments", list(READERS))
def test_download_matrix(client, login, people, world, compartments):
    document = stored_document(world.case_a, people.coordinator, kind="minutes", compartments=compartments)
    url = reverse("documents:download", args=[world.case_a.public_id, document.public_id])
    seen = {name: status_for(client, login, getattr(people, name), url) for name in ALL}
    assert seen == {name: expected(name, READERS[compartments]) for name in ALL}


# A kind that reveals a compartment by itself is read by who reads that compartment or may write that
# kind on the case, even when built from core facts only: a school never learns of an art. 40 report.
KIND_READERS = {
    "art40": {"coordinator", "magistrate", "prosecutor_delegate", "social_worker"},
    "ip": {"coordinator", "social_worker"},
    "convocation": CELL | {"school_a_staff"},
    "minutes": CELL | {"school_a_staff"},
    "closure_letter": CELL | {"school_a_staff"},
}


@pytest.mark.parametrize("kind", list(KIND_READERS))
def test_download_matrix_by_kind_of_a_core_document(client, login, people, world, kind):
    assert set(KIND_READERS) == set(DocumentKind.values)
    document = stored_document(world.case_a, people.coordinator, kind=kind, compartments=("core",))
    url = reverse("documents:download", args=[world.case_a.public_id, document.public_id])
    seen = {name: status_for(client, login, getattr(people, name), url) for name in ALL}
    assert seen == {name: expected(name, KIND_READERS[kind]) for name in ALL}
    listed = {name for name in ALL if access.readable_documents(getattr(people, name), world.case_a, [document])}
    assert listed == KIND_READERS[kind]


@pytest.mark.parametrize("url_name", list(URL_MATRIX))
def test_anonymous_visitors_are_sent_to_login(client, people, world, url_name):
    if url_name == "documents:generate":
        url = reverse(url_name, args=[world.case_a.public_id, "art40"])
    else:
        document = stored_document(world.case_a, people.coordinator)
        url = reverse(url_name, args=[world.case_a.public_id, document.public_id])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# --- The predicates beyond the world's cases --------------------------------------------------------


def test_a_co_worker_of_the_cell_may_generate_what_the_coordinator_may(people, world):
    case = world.case_a
    assert access.generatable_kinds(people.education_referent, case) == []
    case.co_workers.add(people.education_referent)
    assert access.generatable_kinds(people.education_referent, case) == list(AUTHORS)


def test_the_parquet_is_never_offered_the_report_addressed_to_it_even_on_the_case_team(people, world):
    case = world.case_a
    for member in (people.magistrate, people.prosecutor_delegate):
        case.co_workers.add(member)
        kinds = access.generatable_kinds(member, case)
        assert "art40" not in kinds and "minutes" in kinds  # managing the case, but not writing to itself
        assert not access.can_generate(member, case, "art40")


def test_school_staff_convene_for_a_case_that_also_concerns_their_school(people, world):
    case = world.case_b
    school_a_staff = people.school_a_staff
    assert not access.can_generate(school_a_staff, case, "convocation")
    case.other_schools.add(school_a_staff.school)
    assert access.can_generate(school_a_staff, case, "convocation")
    assert not access.can_generate(school_a_staff, case, "art40")


def test_a_share_of_the_core_lets_no_other_school_convene(people, world):
    Share.objects.create(
        case=world.case_b,
        organisation=people.school_a_staff.organisation,
        compartments=["core"],
        legal_basis="convention",
        expires_on=timezone.localdate() + timedelta(days=10),
        created_by=people.coordinator,
    )
    assert can_read(people.school_a_staff, world.case_b, "core")  # the share lets them read it…
    assert not access.can_generate(people.school_a_staff, world.case_b, "convocation")


def test_unknown_kind_is_never_allowed(people, world):
    assert not access.can_generate(people.coordinator, world.case_a, "lettre")


def test_a_document_without_compartments_is_read_by_nobody(people, world):
    document = stored_document(world.case_a, people.coordinator, compartments=())
    assert not any(access.can_read_document(m, document) for m in people.all().values())


def test_the_parquet_reads_the_reporter_s_identity_its_art40_report_carries(client, login, people, world):
    """An art. 40 report written by the coordinator names who reported (reporter identity): the parquet it
    is addressed to reads it; the social worker, who may write one but does not read that identity, not."""
    document = stored_document(
        world.case_a, people.coordinator, kind="art40", compartments=("core", "reporter_identity")
    )
    url = reverse("documents:download", args=[world.case_a.public_id, document.public_id])
    seen = {name: status_for(client, login, getattr(people, name), url) for name in ALL}
    allowed = {"coordinator", "magistrate", "prosecutor_delegate"}
    assert {name for name, code in seen.items() if code == 200} == allowed
    assert seen["social_worker"] == 403 and seen["school_a_staff"] == 403
