"""GET /api/v1/schools?q= : the public school search behind every school picker."""

import pytest

from halte.directory.importer import DEFAULT_DIRECTORY, import_schools
from halte.directory.models import School

URL = "/api/v1/schools"

# The collèges of Amiens in the Somme file (commune « Amiens »).
AMIENS_COLLEGES = 17


@pytest.fixture
def somme(db):
    import_schools(DEFAULT_DIRECTORY)


def search(client, q: str | None = None) -> list[dict]:
    response = client.get(URL, {} if q is None else {"q": q})
    assert response.status_code == 200, response.content
    return response.json()


def test_search_is_public_and_finds_the_collèges_of_amiens(client, somme):
    results = search(client, "amiens")

    assert len(results) == AMIENS_COLLEGES == School.objects.filter(commune="Amiens").count()
    assert {school["commune"] for school in results} == {"Amiens"}
    assert {school["kind"] for school in results} == {"college"}
    assert "0800020M" in {school["uai"] for school in results}
    names = [school["name"] for school in results]
    assert names == sorted(names)


def test_result_shape(client, somme):
    (lejeune,) = search(client, "Amiral Lejeune")

    assert lejeune == {
        "uai": "0800020M",
        "name": "Collège Amiral Lejeune",
        "kind": "college",
        "sector": "public",
        "commune": "Amiens",
        "postcode": "80000",
        "departement": "080",
        "label": "Collège Amiral Lejeune (Amiens, 0800020M)",
    }


@pytest.mark.parametrize(
    ("queries", "expected"),
    [
        (["béranger", "beranger", "BERANGER", "Béranger"], {"Collège Béranger"}),
        (["péronne", "peronne", "PÉRONNE"], {"Collège Béranger", "Collège privé Sacré-Coeur"}),
        (["César Franck", "cesar franck", "CÉSAR"], {"Collège César Franck"}),
        (
            ["ABBEVILLE", "abbeville", "Abbeville"],
            {"Collège Millevoye", "Collège de Ponthieu", "Collège privé Saint-Pierre"},
        ),
    ],
)
def test_search_ignores_accents_and_case(client, somme, queries, expected):
    for q in queries:
        assert {school["name"] for school in search(client, q)} == expected, q


def test_every_word_must_match(client, somme):
    results = search(client, "jules verne")
    assert {school["commune"] for school in results} == {"Rivery", "Rosières-en-Santerre"}
    assert search(client, "jules verne amiens") == []


@pytest.mark.parametrize("q", ["0800020M", "0800020m", " 0800020M "])
def test_search_by_uai(client, somme, q):
    assert [school["uai"] for school in search(client, q)] == ["0800020M"]


def test_search_by_postcode(client, somme):
    results = search(client, "80000")

    assert "0800020M" in {school["uai"] for school in results}
    # A postcode is also a piece of some UAIs (0800001S): both are found.
    for school in results:
        assert school["postcode"] == "80000" or "80000" in school["uai"], school


@pytest.mark.parametrize("q", [None, "", "   "])
def test_empty_query_returns_nothing(client, somme, q):
    assert search(client, q) == []


def test_at_most_20_results(client, somme):
    assert School.objects.search("collège").count() > 20

    results = search(client, "collège")

    assert len(results) == 20
    names = [school["name"] for school in results]
    assert names == sorted(names)


def test_closed_schools_are_not_offered(client, somme):
    School.objects.filter(uai="0800020M").update(is_open=False)

    assert search(client, "Amiral Lejeune") == []
    assert search(client, "0800020M") == []
    assert len(search(client, "amiens")) == AMIENS_COLLEGES - 1


def test_unknown_school_returns_nothing(client, somme):
    assert search(client, "Poudlard") == []


def test_overlong_query_is_a_validation_error_not_a_crash(client, somme):
    assert search(client, "a" * 100) == []

    response = client.get(URL, {"q": "a" * 101})

    assert response.status_code == 422
