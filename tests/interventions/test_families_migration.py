"""The data migration to families per pupil, on rows written when a case had one victim family and one
author family: each row goes to the pupil of its side (the first alleged author — a pupil first — for
the author's family), a case naming nobody keeps its rows unnamed, and the former case-wide « ne pas
informer la famille » becomes a standing instruction over every family of the case, set by whoever
turned it on. Runs on SQLite and PostgreSQL (``DATABASE_URL``)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("cases", "0009_person_name_trigram_index"), ("interventions", "0002_mpp_switch_declined")]
AFTER = [("interventions", "0004_families_per_pupil_data")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_the_latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_family_rows_go_to_their_pupil_and_the_case_flag_to_an_instruction(people):
    old = migrate(BEFORE)
    Case = old.get_model("cases", "Case")
    Person = old.get_model("cases", "Person")
    Involvement = old.get_model("cases", "Involvement")
    Event = old.get_model("cases", "Event")
    FamilyContact = old.get_model("interventions", "FamilyContact")
    ParentsInformation = old.get_model("interventions", "ParentsInformation")
    coordinator_id, magistrate_id = people.coordinator.pk, people.magistrate.pk
    now = timezone.now()
    try:

        def case(reference, flag=False):
            return Case.objects.create(
                reference=reference, priority="P2", qualification="bullying", do_not_disclose_to_family=flag
            )

        def person(case_row, role, first_name, kind="pupil", minutes=0):
            row = Person.objects.create(kind=kind, first_name=first_name, last_name="Test", name_key=first_name)
            Involvement.objects.create(
                case=case_row, person=row, role=role, added_at=now - timedelta(hours=1) + timedelta(minutes=minutes)
            )
            return row

        def contact(case_row, family):
            return FamilyContact.objects.create(
                case=case_row, family=family, at=now, channel="phone", made_by_id=coordinator_id, summary="Appel."
            )

        flagged = case("HS-2026-000801", flag=True)
        victim = person(flagged, "victim", "Léa", minutes=0)
        adult_author = person(flagged, "alleged_author", "Prof", kind="adult", minutes=1)
        first_author = person(flagged, "alleged_author", "Hugo", minutes=2)
        person(flagged, "alleged_author", "Noah", minutes=3)
        contacts = [contact(flagged, "victim"), contact(flagged, "victim"), contact(flagged, "author")]
        ParentsInformation.objects.create(
            case=flagged, family="victim", status="informed", informed_at=now, recorded_by_id=coordinator_id
        )
        ParentsInformation.objects.create(
            case=flagged, family="author", status="exception", reason="Danger.", recorded_by_id=coordinator_id
        )
        Event.objects.create(
            case=flagged, kind="disclosure", compartment="judicial", text="Activé", actor_id=magistrate_id, at=now
        )
        empty = case("HS-2026-000802")
        unnamed = contact(empty, "victim")
        ParentsInformation.objects.create(
            case=empty, family="author", status="informed", informed_at=now, recorded_by_id=coordinator_id
        )

        new = migrate(AFTER)
        NewContact = new.get_model("interventions", "FamilyContact")
        NewInfo = new.get_model("interventions", "ParentsInformation")
        Restriction = new.get_model("interventions", "FamilyRestriction")
        pupils = {row.pk: row.pupil_id for row in NewContact.objects.all()}
        assert [pupils[c.pk] for c in contacts] == [victim.pk, victim.pk, first_author.pk]
        assert pupils[unnamed.pk] is None
        assert adult_author.pk not in pupils.values()  # a pupil's family first
        assert dict(NewInfo.objects.filter(case_id=flagged.pk).values_list("family", "pupil_id")) == {
            "victim": victim.pk,
            "author": first_author.pk,
        }
        assert NewInfo.objects.get(case_id=empty.pk).pupil_id is None
        instruction = Restriction.objects.get()
        assert (instruction.case_id, instruction.pupil_id, instruction.set_by_id, instruction.lifted_at) == (
            flagged.pk,
            None,
            magistrate_id,
            None,
        )
        assert "toutes les familles" in instruction.reason
    finally:
        migrate(BEFORE)  # the rows are flushed after the test; the tables must be those of the latest state
        migrate_to_the_latest()
    assert "interventions_familyrestriction" in set(connection.introspection.table_names())
