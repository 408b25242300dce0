"""``people.name_score``: the staff search's judgement of a name is the one suggestions use."""

import pytest

from halte.cases.models import Person
from halte.cases.people import name_score, suggest_people

pytestmark = pytest.mark.django_db

STORED = [("Lucas", "Martin"), ("Léa", "N'Diaye-Dubois"), ("Marie-Claire", "Dupont"), ("Marine", "Lucas")]
TYPED = [
    ("Lucas", "Martin"),
    ("lucas", "martn"),
    ("Martin", "Lucas"),
    ("lea", "ndiaye dubois"),
    ("Marie", "Dupont"),
    ("Marie-Louise", "Dupont"),
    ("Lucie", "Marchand"),
    ("Marine", ""),
    ("", "Lucas"),
]


@pytest.mark.parametrize(("first", "last"), TYPED)
def test_name_score_agrees_with_suggestions(first, last):
    people = {(f, l_): Person.objects.create(kind="pupil", first_name=f, last_name=l_) for f, l_ in STORED}
    suggested = {s.person.pk for s in suggest_people(first_name=first, last_name=last, limit=50)}
    for (stored_first, stored_last), person in people.items():
        score = name_score(first, last, first_name=stored_first, last_name=stored_last)
        assert (score is not None) == (person.pk in suggested), (first, last, stored_first, stored_last)


def test_a_typo_scores_below_the_exact_name():
    exact = name_score("Lucas", "Martin", first_name="Lucas", last_name="Martin")
    typo = name_score("Lucas", "Martn", first_name="Lucas", last_name="Martin")
    assert exact == 1.0
    assert typo is not None and 0.8 <= typo < 1.0
    assert name_score("Lucie", "Marchand", first_name="Lucas", last_name="Martin") is None
