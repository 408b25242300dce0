"""Name suggestions at scale: every fragment searched is served by the trigram index on PostgreSQL,
and 2-letter names are searched as whole tokens (never as a fragment of every longer name)."""

import random

import pytest
from django.db import connection, transaction

from halte.cases import people as people_module
from halte.cases.enums import PersonKind
from halte.cases.models import Person
from halte.cases.people import name_key, suggest_people


def make_person(first_name, last_name="") -> Person:
    return Person.objects.create(first_name=first_name, last_name=last_name, kind=PersonKind.PUPIL)


def test_a_two_letter_name_is_found_as_a_whole_token(db):
    li = make_person("Li", "Wu")
    make_person("Alice", "Lienard")  # holds « li » inside longer names only
    make_person("Emilie", "Wuillaume")
    assert [s.person for s in suggest_people(first_name="Li", last_name="Wu")] == [li]


def test_no_fragment_searched_inside_a_name_is_shorter_than_three_letters():
    for tokens in (["li", "wu"], ["marie", "claire", "dupont"], ["n", "diaye"], ["bo"]):
        for fragment in people_module._fragments(tokens):
            matches = people_module._matches(fragment)
            inside = [value for key, value in _leaves(matches) if key == "name_key__contains"]
            assert all(len(value.strip()) >= 3 or value.startswith(" ") for value in inside), (tokens, inside)


def _leaves(q):
    for child in q.children:
        if isinstance(child, tuple):
            yield child
        else:
            yield from _leaves(child)


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans: PostgreSQL")

SYLLABLES = ["ba", "ko", "ri", "tu", "ne", "sa", "do", "gu", "pe", "lo", "mi", "za", "fe", "jo", "vu", "ch", "ou", "an"]


def invented(chance) -> str:
    """A name made of syllables: many distinct names, as in a real directory of pupils."""
    return "".join(chance.choice(SYLLABLES) for _ in range(chance.randint(2, 4))).capitalize()


@on_postgresql
def test_the_suggestion_query_reads_the_trigram_index(db):
    chance = random.Random(7)
    rows = []
    for _index in range(20000):
        first, last = invented(chance), invented(chance)
        rows.append(Person(first_name=first, last_name=last, kind=PersonKind.PUPIL, name_key=name_key(first, last)))
    Person.objects.bulk_create(rows, batch_size=2000)
    make_person("Li", "Wu")
    make_person("Marie", "Lefèvre")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Person._meta.db_table}")
    for tokens in (["lefevre", "marie"], ["li", "wu"]):
        # On a table this small a full read is as cheap as the index: forbid it, so that the plan
        # shows whether the index can serve every fragment at all (a btree cannot serve '%frag%').
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = people_module._candidates(tokens, birth_date=None, kind=None).explain()
        assert "person_name_key_trgm_idx" in plan, plan
        assert "Seq Scan on cases_person" not in plan, plan
    assert [str(s.person) for s in suggest_people(first_name="Li", last_name="Wu")] == ["Li Wu"]
