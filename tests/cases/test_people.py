"""Recognising people across cases: normalisation, suggestions, repeat detection and its notice."""

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest

from halte.cases import people as people_module
from halte.cases.enums import PersonKind, Role
from halte.cases.models import Case, Involvement, Person
from halte.cases.people import (
    PRESUMPTION_SENTENCE,
    count_repeat_authors,
    name_key,
    name_tokens,
    presumption_notice,
    repeats_for_case,
    suggest_people,
)
from tests.factories import SchoolFactory

PARIS = ZoneInfo("Europe/Paris")
BORN = datetime.date(2012, 5, 6)

_references = itertools.count(1)


def make_case(school=None, opened_at=None, **fields) -> Case:
    opened_at = opened_at or datetime.datetime(2025, 10, 1, 10, 0, tzinfo=PARIS)
    fields.setdefault("reference", f"HS-{opened_at.year}-9{next(_references):05d}")  # explicit ones never start with 9
    return Case.objects.create(priority="P3", qualification="bullying", school=school, opened_at=opened_at, **fields)


def make_person(first_name, last_name="", birth_date=None, kind=PersonKind.PUPIL) -> Person:
    return Person.objects.create(first_name=first_name, last_name=last_name, birth_date=birth_date, kind=kind)


def involve(case, person, role=Role.ALLEGED_AUTHOR) -> Involvement:
    return Involvement.objects.create(case=case, person=person, role=role)


# --- Normalisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_name", "last_name", "expected"),
    [
        ("Élodie", "LEFÈVRE", "elodie lefevre"),  # accents and case
        ("Marie-Claire", "Dupont", "claire dupont marie"),  # hyphen
        ("Marie Claire", "dupont", "claire dupont marie"),  # space instead of hyphen
        ("Aminata", "N’Diaye", "aminata diaye n"),  # typographic apostrophe
        ("Aminata", "N'Diaye", "aminata diaye n"),  # straight apostrophe
        ("  Jean   Pierre ", "  Le  Goff  ", "goff jean le pierre"),  # extra spaces
        ("Dupont", "Marie", "dupont marie"),  # order does not matter
    ],
)
def test_name_key_folds_accents_case_separators_and_order(first_name, last_name, expected):
    assert name_key(first_name, last_name) == expected


def test_name_tokens_are_sorted_and_skip_empty_parts():
    assert name_tokens("Marie-Claire", "", "DUPONT") == ["claire", "dupont", "marie"]


def test_person_save_stores_the_name_key(db):
    person = make_person("Marie-Claire", "Lefèvre")
    person.last_name = "N'Diaye"
    person.save()
    person.refresh_from_db()
    assert person.name_key == "claire diaye marie n"


# --- Suggestions -----------------------------------------------------------------------------------


@pytest.fixture
def marie_claire(db) -> Person:
    """The person on record, with a sibling who must never be taken for her."""
    make_person("Lucas", "Lefèvre")
    return make_person("Marie-Claire", "Lefèvre")


@pytest.mark.parametrize(
    ("first_name", "last_name", "reason"),
    [
        ("marie-claire", "LEFEVRE", "même nom et prénom"),
        ("  MARIE   CLAIRE ", " lefèvre ", "même nom et prénom"),
        ("Claire-Marie", "Lefevre", "même nom et prénom"),
        ("Marie", "Lefèvre", "prénom composé ou partiel"),
        ("Lefèvre", "Marie-Claire", "nom et prénom inversés"),
        ("Marie-Claire", "Lefebvre", "nom qui se prononce de même"),
        ("Marie-Claire", "Lefèbre", "orthographe proche du nom"),
        ("Marie-Clair", "Lefèvre", "orthographe proche du prénom"),
        ("LEFEVRE Marie-Claire", "", "mêmes éléments de nom, répartis autrement"),
    ],
)
def test_suggestions_survive_spelling_variants(marie_claire, first_name, last_name, reason):
    suggestions = suggest_people(first_name=first_name, last_name=last_name)

    assert [s.person for s in suggestions] == [marie_claire]  # never the sibling
    assert reason in suggestions[0].reasons
    assert 0 < suggestions[0].score <= 1


def test_swapped_names_with_a_typo_are_suggested(marie_claire):
    [suggestion] = suggest_people(first_name="LEFEVER", last_name="Marie Claire")

    assert suggestion.person == marie_claire
    assert suggestion.reasons[:2] == ("nom et prénom inversés", "orthographe proche du nom")


def test_apostrophes_do_not_matter_either_way(db):
    with_apostrophe = make_person("Aminata", "N'Diaye")
    without = make_person("Moussa", "Ndiaye")

    assert [s.person for s in suggest_people(first_name="aminata", last_name="NDIAYE")] == [with_apostrophe]
    assert [s.person for s in suggest_people(first_name="Moussa", last_name="N’Diaye")] == [without]


def test_the_exact_spelling_ranks_before_a_variant(db):
    variant = make_person("Kevin", "Lefebvre")
    exact = make_person("Kévin", "Lefèvre")

    suggestions = suggest_people(first_name="Kevin", last_name="Lefevre")

    assert [s.person for s in suggestions] == [exact, variant]
    assert suggestions[0].score > suggestions[1].score


def test_names_the_right_way_round_rank_before_swapped_ones(db):
    swapped = make_person("Martin", "Thomas")
    right_way_round = make_person("Thomas", "Martin")

    suggestions = suggest_people(first_name="Thomas", last_name="Martin")

    assert [s.person for s in suggestions] == [right_way_round, swapped]
    assert suggestions[1].reasons[0] == "nom et prénom inversés"


def test_a_different_known_birth_date_excludes(db):
    make_person("Marie", "Dupont", birth_date=BORN)

    assert suggest_people(first_name="Marie", last_name="Dupont", birth_date=datetime.date(2013, 1, 1)) == []


def test_an_unknown_birth_date_neither_excludes_nor_boosts(db):
    undated = make_person("Marie", "Dupont")

    [suggestion] = suggest_people(first_name="Marie", last_name="Dupont", birth_date=BORN)

    assert suggestion.person == undated
    assert "date de naissance non comparée" in suggestion.reasons
    assert "même date de naissance" not in suggestion.reasons


def test_the_same_birth_date_ranks_first(db):
    homonym = make_person("Marie", "Dupont")
    typo_same_day = make_person("Marie", "Dupond", birth_date=BORN)
    same_day = make_person("Marie", "Dupont", birth_date=BORN)

    suggestions = suggest_people(first_name="Marie", last_name="Dupont", birth_date=BORN)

    assert [s.person for s in suggestions] == [same_day, typo_same_day, homonym]
    assert "même date de naissance" in suggestions[0].reasons
    assert suggestions[0].score == 1


@pytest.mark.parametrize(
    ("stored_first", "stored_last", "typed_first", "typed_last"),
    [
        ("Marie", "Durand", "Marie", "Dupont"),  # another family name
        ("Lucas", "Dupont", "Marie", "Dupont"),  # a sibling
        ("Marie-Louise", "Dupont", "Marie-Claire", "Dupont"),  # another compound first name
        ("Léo", "Dupont", "Léa", "Dupont"),  # one letter, but short first names: two names
        ("Zoé", "Martin", "Marie", "Dupont"),  # nothing in common
        ("Marie", "Dupont", "Marie", "Dupont"),  # the right name, but an adult: the wrong kind
    ],
)
def test_unrelated_names_are_not_suggested(db, stored_first, stored_last, typed_first, typed_last):
    kind = PersonKind.ADULT if (stored_first, stored_last) == (typed_first, typed_last) else PersonKind.PUPIL
    make_person(stored_first, stored_last, kind=kind)

    assert suggest_people(first_name=typed_first, last_name=typed_last, kind=PersonKind.PUPIL) == []


def test_kind_restricts_suggestions(db):
    pupil = make_person("Marie", "Dupont")
    adult = make_person("Marie", "Dupont", kind=PersonKind.ADULT)

    assert [s.person for s in suggest_people(first_name="Marie", last_name="Dupont", kind=PersonKind.ADULT)] == [adult]
    assert {s.person for s in suggest_people(first_name="Marie", last_name="Dupont")} == {pupil, adult}


def test_only_a_first_name_is_a_weaker_suggestion(db):
    marie = make_person("Marie", "Dupont")

    [suggestion] = suggest_people(first_name="Marie")

    assert suggestion.person == marie
    assert "prénom seul comparé" in suggestion.reasons
    assert suggestion.score < suggest_people(first_name="Marie", last_name="Dupont")[0].score


def test_nothing_typed_suggests_nobody(db):
    make_person("Marie", "Dupont")

    assert suggest_people(first_name="  - ", last_name="") == []


def test_limit_caps_the_suggestions(db):
    for _ in range(4):
        make_person("Marie", "Dupont")

    assert len(suggest_people(first_name="Marie", last_name="Dupont", limit=3)) == 3


FIRST_NAMES = ["Lucas", "Hugo", "Léo", "Jules", "Nathan", "Louis", "Gabriel", "Arthur", "Raphaël", "Tom"]
FIRST_NAMES += ["Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Rose", "Léna", "Mia", "Anna"]
LAST_NAMES = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau"]
LAST_NAMES += ["Laurent", "Simon", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"]
LAST_NAMES += ["Morel", "Girard", "André", "Mercier", "Blanc", "Guérin", "Boyer"]


def spy_on_scoring(monkeypatch) -> list[Person]:
    """The persons scored in Python, i.e. those the database handed over."""
    scored: list[Person] = []
    real_score = people_module._score
    monkeypatch.setattr(
        people_module, "_score", lambda person, *args: scored.append(person) or real_score(person, *args)
    )
    return scored


def bulk_people(names) -> None:
    Person.objects.bulk_create(
        Person(first_name=first, last_name=last, kind=PersonKind.PUPIL, name_key=name_key(first, last))
        for first, last in names
    )


def test_suggestions_are_one_query_among_500_unrelated_people(db, monkeypatch, django_assert_max_num_queries):
    bulk_people(itertools.product(FIRST_NAMES, LAST_NAMES))
    assert Person.objects.count() == 500
    aminata = make_person("Aminata", "Ndiaye")
    scored = spy_on_scoring(monkeypatch)

    with django_assert_max_num_queries(1):
        suggestions = suggest_people(first_name="aminata", last_name="N'Diaye")

    assert [s.person for s in suggestions] == [aminata]
    assert len(scored) < 10  # the lone « n » of « N'Diaye » does not drag in every name with an n


def test_the_database_hands_over_the_closest_candidates_only(db, monkeypatch, django_assert_max_num_queries):
    # 500 Dupont siblings share the family name; the one we look for was recorded last.
    bulk_people((f"{a}{b}{c}", "Dupont") for a, b, c in itertools.product("bcdfgkpstvz", "ouy", "xqwhjrn"))
    bulk_people(("Zzz", "Dupont") for _ in range(500 - Person.objects.count()))
    marie = make_person("Marie", "Dupond")
    monkeypatch.setattr(people_module, "CANDIDATE_LIMIT", 20)
    scored = spy_on_scoring(monkeypatch)

    with django_assert_max_num_queries(1):
        suggestions = suggest_people(first_name="Marie", last_name="Dupont")

    assert [s.person for s in suggestions] == [marie]
    assert len(scored) == 20


# --- Repeat detection ------------------------------------------------------------------------------


@pytest.fixture
def schools(db):
    return SchoolFactory(name="Collège Jules Verne"), SchoolFactory(name="Collège Louise Michel")


def test_a_returning_author_is_found_across_schools_and_school_years(schools):
    school_a, school_b = schools
    first = make_case(school_a, datetime.datetime(2024, 10, 15, 9, 0, tzinfo=PARIS), reference="HS-2024-000001")
    second = make_case(school_b, datetime.datetime(2025, 11, 20, 9, 0, tzinfo=PARIS), reference="HS-2025-000007")
    author = make_person("Kévin", "Lefèvre", birth_date=BORN)
    involve(first, author)
    involve(second, author)  # staff accepted the suggestion, whatever they typed
    involve(second, make_person("Inès", "Martin"), Role.VICTIM)

    [repeat] = repeats_for_case(second)

    assert repeat.person == author
    assert (repeat.role_here, repeat.role_there) == (Role.ALLEGED_AUTHOR, Role.ALLEGED_AUTHOR)
    assert repeat.other_case == first
    assert repeat.other_school == school_a
    assert (repeat.year, repeat.school_year, repeat.same_school) == (2024, "2024-2025", False)
    [back] = repeats_for_case(first)
    assert (back.other_case, back.year, back.school_year) == (second, 2025, "2025-2026")


def test_repeats_are_found_by_person_record_not_by_name(schools):
    school_a, school_b = schools
    first, second = make_case(school_a), make_case(school_b)
    involve(first, make_person("Kévin", "Lefèvre"))
    involve(second, make_person("Kevin", "Lefebvre"))  # typed anew instead of accepting the suggestion

    assert repeats_for_case(second) == []


def test_end_to_end_the_accepted_suggestion_links_the_returning_author(schools):
    school_a, school_b = schools
    first = make_case(school_a, datetime.datetime(2024, 3, 4, 9, 0, tzinfo=PARIS), reference="HS-2024-000012")
    involve(first, make_person("Kévin", "Lefèvre", birth_date=BORN))
    make_person("Kevin", "Lefèvre", birth_date=datetime.date(2011, 1, 2))  # a namesake born another day
    second = make_case(school_b, datetime.datetime(2025, 9, 8, 9, 0, tzinfo=PARIS))

    # Staff type the last name in the first-name field, misspelt, and accept the first suggestion.
    suggestions = suggest_people(first_name="LEFEBVRE", last_name="Kevin", birth_date=BORN, kind=PersonKind.PUPIL)
    involve(second, suggestions[0].person)

    [repeat] = repeats_for_case(second)
    assert repeat.other_case == first
    assert "HS-2024-000012" in presumption_notice(repeat)


def test_the_same_school_is_flagged(schools):
    school_a, _ = schools
    first, second = make_case(school_a), make_case(school_a)
    victim = make_person("Inès", "Martin")
    involve(first, victim, Role.VICTIM)
    involve(second, victim, Role.VICTIM)

    [repeat] = repeats_for_case(second)

    assert repeat.same_school is True
    assert (repeat.role_here, repeat.role_there) == (Role.VICTIM, Role.VICTIM)


def test_a_victim_here_cited_as_author_there_is_a_repeat(schools):
    first, second = make_case(schools[0]), make_case(schools[1])
    person = make_person("Inès", "Martin")
    involve(first, person, Role.ALLEGED_AUTHOR)
    involve(second, person, Role.VICTIM)

    [repeat] = repeats_for_case(second)

    assert (repeat.role_here, repeat.role_there) == (Role.VICTIM, Role.ALLEGED_AUTHOR)


@pytest.mark.parametrize(
    ("role_there", "role_here"),
    [
        (Role.WITNESS, Role.ALLEGED_AUTHOR),
        (Role.ALLEGED_AUTHOR, Role.WITNESS),
        (Role.WITNESS, Role.WITNESS),
        (Role.GUARDIAN, Role.VICTIM),
        (Role.REPORTER, Role.ALLEGED_AUTHOR),
    ],
)
def test_witnesses_guardians_and_reporters_do_not_repeat(schools, role_there, role_here):
    first, second = make_case(schools[0]), make_case(schools[1])
    person = make_person("Inès", "Martin")
    involve(first, person, role_there)
    involve(second, person, role_here)

    assert repeats_for_case(second) == []


def test_a_case_merged_into_this_one_does_not_count(schools):
    case = make_case(schools[0])
    duplicate = make_case(schools[0], merged_into=case)
    author = make_person("Kévin", "Lefèvre")
    involve(case, author)
    involve(duplicate, author)

    assert repeats_for_case(case) == []
    assert repeats_for_case(duplicate) == []


def test_a_case_merged_into_another_counts_once_as_its_survivor(schools):
    earlier = make_case(schools[0], datetime.datetime(2024, 10, 1, 9, 0, tzinfo=PARIS))
    duplicate = make_case(schools[0], datetime.datetime(2024, 10, 2, 9, 0, tzinfo=PARIS), merged_into=earlier)
    case = make_case(schools[1])
    author = make_person("Kévin", "Lefèvre")
    for each in (earlier, duplicate, case):
        involve(each, author)

    assert [r.other_case for r in repeats_for_case(case)] == [earlier]


def test_the_year_is_the_local_one(schools):
    # 31 December 2024, 23:30 UTC is already 2025 in Paris.
    earlier = make_case(schools[0], datetime.datetime(2024, 12, 31, 23, 30, tzinfo=datetime.UTC))
    case = make_case(schools[1])
    author = make_person("Kévin", "Lefèvre")
    involve(earlier, author)
    involve(case, author)

    assert repeats_for_case(case)[0].year == 2025


def test_count_repeat_authors(schools):
    school_a, school_b = schools
    a1, a2, b1, b2 = make_case(school_a), make_case(school_a), make_case(school_b), make_case(school_b)
    merged = make_case(school_b, merged_into=b1)
    twice = make_person("Kévin", "Lefèvre")
    involve(a1, twice)
    involve(b2, twice)
    once_and_merged = make_person("Hugo", "Petit")  # the merged copy is the same case
    involve(b1, once_and_merged)
    involve(merged, once_and_merged)
    witness = make_person("Léa", "Roux")
    for each in (a1, a2, b1):
        involve(each, witness, Role.WITNESS)
    victim = make_person("Inès", "Martin")
    involve(a1, victim, Role.VICTIM)
    involve(a2, victim, Role.VICTIM)
    involve(a2, make_person("Jules", "Moreau"))

    assert count_repeat_authors() == 1
    assert count_repeat_authors(Case.objects.filter(school=school_a)) == 0
    involve(a2, once_and_merged)
    assert count_repeat_authors() == 2
    assert count_repeat_authors(Case.objects.filter(school=school_a)) == 0
    assert count_repeat_authors(Case.objects.all()) == 2


def test_the_notice_keeps_the_presumption_of_innocence(schools):
    earlier = make_case(schools[0], datetime.datetime(2025, 2, 3, 9, 0, tzinfo=PARIS), reference="HS-2025-000012")
    case = make_case(schools[1])
    author = make_person("Kévin", "Lefèvre")
    involve(earlier, author)
    involve(case, author)

    [repeat] = repeats_for_case(case)

    assert presumption_notice(repeat) == (
        "Cette personne est également citée comme auteur présumé dans le dossier HS-2025-000012 "
        "(2025, Collège Jules Verne). Être cité dans un dossier ne signifie pas être responsable des faits."
    )


def test_the_notice_for_a_returning_victim(schools):
    earlier = make_case(None, datetime.datetime(2024, 2, 3, 9, 0, tzinfo=PARIS), reference="HS-2024-000003")
    case = make_case(schools[1])
    victim = make_person("Inès", "Martin")
    involve(earlier, victim, Role.VICTIM)
    involve(case, victim, Role.VICTIM)

    [repeat] = repeats_for_case(case)

    assert presumption_notice(repeat) == (
        "Cette personne est également citée comme victime dans le dossier HS-2024-000003 "
        "(2024, établissement non renseigné)."
    )


def test_the_notice_keeps_the_presumption_when_the_author_is_cited_here(schools):
    earlier, case = make_case(schools[0]), make_case(schools[1])
    person = make_person("Inès", "Martin")
    involve(earlier, person, Role.VICTIM)
    involve(case, person, Role.ALLEGED_AUTHOR)

    [repeat] = repeats_for_case(case)

    assert "citée comme victime" in presumption_notice(repeat)
    assert presumption_notice(repeat).endswith(str(PRESUMPTION_SENTENCE))


@pytest.mark.parametrize("involved", [2, 10])
def test_repeat_detection_query_count_does_not_grow(schools, django_assert_num_queries, involved):
    case = make_case(schools[1])
    for n in range(involved):
        person = make_person(f"Élève{n}", "Dupont")
        involve(case, person, Role.VICTIM if n % 2 else Role.ALLEGED_AUTHOR)
        involve(make_case(schools[n % 2]), person)
        involve(make_case(schools[0], merged_into=make_case(schools[0])), person)

    with django_assert_num_queries(2):
        repeats = repeats_for_case(case)
        notices = [presumption_notice(r) for r in repeats]
        names = [str(r.person) for r in repeats]

    assert len(repeats) == len(notices) == len(names) == 2 * involved
