"""The staff search: what it finds (references, misspelled names, schools, communes), how it refuses
bad input (in French, never a 500), and that every search is journaled. Who finds what is the matrix
in tests/cases/test_search_access_matrix.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from halte.audit.models import Action, AuditEvent
from halte.cases.models import Case, Involvement, Person
from halte.reports.models import Report, ReportedPupil
from halte.www import search as search_module
from halte.www.search import reference_query

ANY_YEAR_42 = tuple(f"{prefix}-{year}-000042" for prefix in ("HS", "SIG") for year in search_module.reference_years())


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("HS-2026-000042", ("HS", ("HS-2026-000042",), ())),
        ("hs 2026-000042", ("HS", ("HS-2026-000042",), ())),
        ("HS-2026-42", ("HS", ("HS-2026-000042",), ())),  # the number zero-padded
        ("hs2026000042", ("HS", ("HS-2026-000042",), ())),  # no separator at all
        ("HS 2026 000042", ("HS", ("HS-2026-000042",), ())),
        ("HS/2026/42", ("HS", ("HS-2026-000042",), ())),
        ("HS2026", ("HS", (), ("HS-2026-",))),
        ("HS-20", ("HS", (), ("HS-20",))),
        ("HS-2026-0000", ("HS", ("HS-2026-000000",), ("HS-2026-0000",))),  # typed with its zeros, not to the end
        ("sig-2026-000007", ("SIG", ("SIG-2026-000007",), ())),
        ("000042", (None, ANY_YEAR_42, ())),
        ("42", (None, ANY_YEAR_42, ())),
        (" 2026  42 ", (None, ("HS-2026-000042", "SIG-2026-000042"), ())),
        ("HS-2026-1234567", ("HS", (), ())),  # too long a number: a reference that cannot exist
        ("Lucas", None),
        ("HS", None),
        ("HS-abc", None),
        ("%", None),
        ("1' OR '1'='1", None),
    ],
)
def test_reference_query(typed, expected):
    parsed = reference_query(typed)
    assert (parsed and (parsed.prefix, parsed.exact, parsed.starts)) == expected


@pytest.fixture
def cases(people):
    school_a = people.school_a_staff.school
    school_b = people.school_b_staff.school

    def case(reference, school, *names, priority="P2"):
        created = Case.objects.create(
            reference=reference, priority=priority, qualification="bullying", state="triaged", school=school
        )
        for kind, first, last, role in names:
            person = Person.objects.create(kind=kind, first_name=first, last_name=last)
            Involvement.objects.create(case=created, person=person, role=role)
        return created

    return {
        "lucas": case("HS-2026-000042", school_a, ("pupil", "Lucas", "Martin", "victim")),
        "lea": case("HS-2026-000043", school_b, ("pupil", "Léa", "N'Diaye-Dubois", "victim"), priority="P1"),
        "adult": case("HS-2026-000142", school_b, ("adult", "Gérard", "Lefèvre", "alleged_author")),
        "other": case("HS-2025-000001", school_a, ("pupil", "Marine", "Lucas", "witness")),
    }


def found(client, query):
    response = client.get(reverse("www:search"), {"q": query})
    assert response.status_code == 200
    results = response.context["results"]
    return [hit.obj.reference for hit in results.cases], [hit.obj.reference for hit in results.reports]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Lucas Martin", "HS-2026-000042"),
        ("lucas martn", "HS-2026-000042"),  # a letter missing
        ("Lukas Martin", "HS-2026-000042"),  # a letter changed
        ("MARTIN Lucas", "HS-2026-000042"),  # swapped, upper case
        ("lea ndiaye dubois", "HS-2026-000043"),  # accents, apostrophe, hyphen
        ("Léa N'Diaye", "HS-2026-000043"),  # part of a compound name
        ("Gerard Lefevre", "HS-2026-000142"),  # an adult
    ],
)
def test_names_are_matched_as_repeat_detection_matches_them(client, people, login, cases, query, first):
    login(client, people.coordinator)
    found_cases, _reports = found(client, query)
    assert found_cases[0] == first


def test_a_different_name_is_not_a_match(client, people, login, cases):
    login(client, people.coordinator)
    assert found(client, "Lucie Marchand")[0] == []
    # « Lucas » alone is a first name here and a last name there: both come back.
    assert set(found(client, "Lucas")[0]) == {"HS-2026-000042", "HS-2025-000001"}


def test_references_exact_and_partial(client, people, login, cases):
    login(client, people.coordinator)
    assert found(client, "HS-2026-000042")[0][0] == "HS-2026-000042"  # exact first
    assert set(found(client, "HS-2026-000042")[0]) == {"HS-2026-000042"}
    assert set(found(client, "000042")[0]) == {"HS-2026-000042"}
    assert set(found(client, "hs 2026")[0]) == {"HS-2026-000042", "HS-2026-000043", "HS-2026-000142"}
    # A bare number is the number of a reference, of any year: « 42 » is not « 142 ».
    assert set(found(client, "42")[0]) == {"HS-2026-000042"}
    assert found(client, "SIG-2026-000042")[0] == []  # a report reference never returns a case


@pytest.mark.parametrize("typed", ["HS-2026-42", "hs2026000042", "HS 2026 000042", "hs-2026-000042 "])
def test_a_reference_typed_any_way_finds_its_case_by_an_exact_lookup(client, people, login, cases, typed):
    login(client, people.coordinator)
    with CaptureQueriesContext(connection) as queries:
        assert found(client, typed)[0] == ["HS-2026-000042"]
    # Index-friendly: the reference is looked up by equality, never by a LIKE starting with a wildcard.
    assert not [q["sql"] for q in queries.captured_queries if "reference" in q["sql"] and "LIKE '%" in q["sql"]]


@pytest.mark.parametrize(
    ("query", "reference"),
    [
        ("Lefebvre", "HS-2026-000142"),  # « Lefèvre »: the most common confusion of all
        ("Lefevbre", "HS-2026-000142"),  # letters swapped
        ("Lefèvr", "HS-2026-000142"),  # the end not typed yet
        ("Martn", "HS-2026-000042"),  # a letter missing
        ("NDiaye-Dubos", "HS-2026-000043"),
    ],
)
def test_a_misspelt_surname_typed_alone_finds_its_case(client, people, login, cases, query, reference):
    """Coordinators often type a surname alone: its spelling is tolerated as in a whole name, the search
    being scoped to what the person may see and its results ranked, not merged."""
    login(client, people.coordinator)
    assert reference in found(client, query)[0]


def test_no_result_is_said_in_french(client, people, login, cases):
    login(client, people.coordinator)
    page = client.get(reverse("www:search"), {"q": "Zyxwvut"}).content.decode()
    assert "Aucun résultat pour « Zyxwvut »" in page
    assert "0 résultats" not in page


def test_a_name_that_sounds_the_same_finds_the_pupil(client, people, login, cases):
    login(client, people.coordinator)
    assert "HS-2026-000042" in found(client, "Lukas")[0]
    assert found(client, "Lukas Martin")[0][0] == "HS-2026-000042"
    assert "HS-2026-000043" in found(client, "Lea Ndiaye")[0]


def test_school_name_uai_and_commune(client, people, login, cases):
    login(client, people.coordinator)
    school_b = people.school_b_staff.school
    by_uai = set(found(client, school_b.uai)[0])
    assert by_uai == {"HS-2026-000043", "HS-2026-000142"}
    assert set(found(client, "Collège B")[0]) == by_uai
    assert {"HS-2026-000043", "HS-2026-000142"} <= set(found(client, school_b.commune)[0])


def test_reports_by_reference_pupil_and_school(client, people, login, cases):
    report = Report.objects.create(
        reference="SIG-2026-000007",
        channel="web",
        reporter_kind="pupil",
        description="Récit.",
        school=people.school_a_staff.school,
        proposed_priority="P1",
    )
    ReportedPupil.objects.create(report=report, first_name="Inès", last_name="Benali", role="victim")
    login(client, people.coordinator)
    assert found(client, "SIG-2026-000007")[1] == ["SIG-2026-000007"]
    assert found(client, "ines benali")[1] == ["SIG-2026-000007"]
    assert found(client, "Ines Benalli")[1] == ["SIG-2026-000007"]
    assert found(client, "INES")[1] == ["SIG-2026-000007"]  # the accent and the case, from the first name alone
    assert found(client, "Inès Zidane")[1] == []
    assert "SIG-2026-000007" in found(client, "Collège A")[1]
    assert found(client, "HS-2026-000042")[1] == []
    page = client.get(reverse("www:search"), {"q": "ines benali"}).content.decode()
    assert reverse("reports:detail", args=[report.public_id]) in page
    assert "fr-badge--error" in page  # its proposed priority, P1


def test_results_link_to_the_case_with_badges(client, people, login, cases):
    login(client, people.coordinator)
    page = client.get(reverse("www:search"), {"q": "lucas martn"}).content.decode()
    assert reverse("cases:detail", args=[cases["lucas"].public_id]) in page
    assert "Trié" in page  # its state
    assert "Élève : Lucas Martin (victime)" in page


def test_every_search_is_journaled_with_its_words_and_what_it_showed(client, people, login, cases):
    login(client, people.coordinator)
    client.get(reverse("www:search"), {"q": "lucas martn"})
    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert event.actor == people.coordinator.user
    assert event.membership == people.coordinator
    assert event.detail == {"query": "lucas martn", "cases": ["HS-2026-000042"], "reports": [], "results": 1}
    client.get(reverse("www:search"), {"q": "personne inconnue"})
    assert AuditEvent.objects.filter(action=Action.SEARCH).count() == 2


def test_the_empty_page_searches_nothing_and_journals_nothing(client, people, login, cases):
    login(client, people.coordinator)
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = client.get(reverse("www:search"), params)
        assert response.status_code == 200
        assert response.context["results"] is None
    assert not AuditEvent.objects.filter(action=Action.SEARCH).exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("a", "Saisissez au moins 2 caractères."),
        ("x" * 101, "Saisissez au plus 100 caractères."),
        ("lucas\x00martin", "La recherche contient un caractère invalide."),
    ],
)
def test_bad_input_gets_a_french_message_and_no_search(client, people, login, cases, query, message):
    login(client, people.coordinator)
    response = client.get(reverse("www:search"), {"q": query})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "<title>\n    Erreur :" in page or "Erreur :" in page.split("</title>")[0]
    assert response.context["results"] is None
    assert not AuditEvent.objects.filter(action=Action.SEARCH).exists()


@pytest.mark.parametrize(
    "query",
    ["%", "__", "%%%%", "' OR 1=1 --", "\\", "<script>alert(1)</script>", "🙂🙂", "a.*b(", "[[x", "(a+)+$ \\d"],
)
def test_hostile_queries_match_nothing_and_are_escaped(client, people, login, cases, query):
    report = Report.objects.create(reference="SIG-2026-000008", channel="web", reporter_kind="pupil", description="R.")
    ReportedPupil.objects.create(report=report, first_name="Aab", last_name="Xa+b", role="victim")
    login(client, people.coordinator)
    response = client.get(reverse("www:search"), {"q": query})
    assert response.status_code == 200
    results = response.context["results"]  # None when too short to search
    assert results is None or results.cases == []
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_many_matches_are_capped_and_said(client, people, login, cases, monkeypatch):
    monkeypatch.setattr(search_module, "RESULT_LIMIT", 2)
    login(client, people.coordinator)
    response = client.get(reverse("www:search"), {"q": "HS-20"})
    assert len(response.context["results"].cases) == 2
    assert "D’autres dossiers correspondent" in response.content.decode()


def test_the_header_box_is_there_for_case_readers_only(client, people, login):
    login(client, people.coordinator)
    page = client.get(reverse("www:staff_home")).content.decode()
    assert 'role="search"' in page
    assert 'class="fr-search-bar"' in page
    assert f'action="{reverse("www:search")}"' in page
    assert '<label class="fr-label" for="recherche-entete-champ">' in page
    client.logout()
    login(client, people.analyst)
    page = client.get(reverse("www:staff_home")).content.decode()
    assert "fr-search-bar" not in page
    client.logout()
    page = client.get(reverse("accounts:login")).content.decode()
    assert "fr-search-bar" not in page


def test_the_header_box_keeps_the_words_searched(client, people, login, cases):
    login(client, people.coordinator)
    page = client.get(reverse("www:search"), {"q": 'lucas "martn'}).content.decode()
    assert 'value="lucas &quot;martn"' in page


def test_query_count_does_not_grow_with_matches(client, people, login, cases, django_assert_max_num_queries):
    login(client, people.coordinator)
    for index in range(30):
        person = Person.objects.create(kind="pupil", first_name="Lucas", last_name=f"Martin{index}")
        case = Case.objects.create(
            reference=f"HS-2024-{index:06d}", priority="P3", qualification="bullying", state="triaged"
        )
        Involvement.objects.create(case=case, person=person, role="victim")
    with django_assert_max_num_queries(20):
        client.get(reverse("www:search"), {"q": "lucas martin"})


def test_the_case_list_hands_a_name_to_the_search(client, people, login, cases):
    login(client, people.coordinator)
    response = client.get(reverse("cases:list"), {"q": "Lucas Martn"})
    assert response.status_code == 302
    assert response.url == f"{reverse('www:search')}?q=Lucas+Martn"
    assert found(client, "Lucas Martn")[0] == ["HS-2026-000042"]
    assert client.get(reverse("cases:list"), {"q": "  "}).status_code == 200
