"""Two members of the parquet saving the judicial facts at once from the same version: one wins, the
other is refused with the French message and writes nothing (PostgreSQL: real concurrent connections)."""

import pytest
from django.db import transaction

from halte.cases.models import Event
from halte.judicial import actions
from halte.judicial.models import JudicialFacts
from tests.races import in_threads, join, on_postgresql, wait_until, waiting_for_locks


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_from_the_same_version_one_wins(people, world):
    case = world.case_a
    actions.save_facts(case=case, actor=people.magistrate, expected_version=0, status="investigation")
    row = JudicialFacts.objects.get(case=case)

    def save(actor, status):
        return lambda: actions.save_facts(case=case, actor=actor, expected_version=1, status=status)

    with transaction.atomic():
        JudicialFacts.objects.select_for_update().get(pk=row.pk)  # both saves arrive while the row is busy
        threads, results = in_threads(
            save(people.magistrate, "dismissed"), save(people.prosecutor_delegate, "prosecution")
        )
        wait_until(lambda: waiting_for_locks() == 2)
    join(threads)
    won = [r for r in results if isinstance(r, JudicialFacts)]
    refused = [r for r in results if isinstance(r, actions.StaleJudicialFacts)]
    assert (len(won), len(refused)) == (1, 1), results
    assert "rien n’a été enregistré" in refused[0].message
    row.refresh_from_db()
    assert row.version == 2 and row.status == won[0].status
    assert Event.objects.filter(case=case, kind="judicial_facts").count() == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_create_one_row(people, world):
    case = world.case_a
    threads, results = in_threads(
        lambda: actions.save_facts(case=case, actor=people.magistrate, expected_version=0, status="dismissed"),
        lambda: actions.save_facts(case=case, actor=people.prosecutor_delegate, expected_version=0, status="judgment"),
    )
    join(threads)
    assert JudicialFacts.objects.filter(case=case).count() == 1
    assert sorted(type(r).__name__ for r in results) == ["JudicialFacts", "StaleJudicialFacts"], results
