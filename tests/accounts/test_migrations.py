"""The data migration that brings stored addresses to their normal form."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_membership_is_steering_contact")]
AFTER = [("accounts", "0003_login_hardening_grants_proconnect")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_the_latest():
    """Going back undid every migration that depends on the accounts one: redo them all."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_addresses_are_normalised_and_collisions_stop_the_migration():
    """Going back to the old schema undoes nearly every migration of the project (they all depend on
    accounts): the refusal is tried first, on the same old schema, so that the test goes back once."""
    old_apps = migrate(BEFORE)
    User = old_apps.get_model("accounts", "User")
    User.objects.create(email="  Jeanne.Martin@Halte.Test ", first_name="J", last_name="M", password="!")
    User.objects.create(email="ＰＡＵＬ@halte.test", first_name="P", last_name="D", password="!")
    try:
        # Two addresses that become the same once normalised: the migration stops and changes nothing.
        twin = User.objects.create(email="paul@halte.test ", first_name="P", last_name="D", password="!")
        with pytest.raises(RuntimeError, match="même adresse"):
            migrate(AFTER)
        assert set(User.objects.values_list("email", flat=True)) == {
            "  Jeanne.Martin@Halte.Test ",
            "ＰＡＵＬ@halte.test",
            "paul@halte.test ",
        }

        twin.delete()
        new_apps = migrate(AFTER)
        emails = set(new_apps.get_model("accounts", "User").objects.values_list("email", flat=True))
        assert emails == {"jeanne.martin@halte.test", "paul@halte.test"}
        new_apps.get_model("accounts", "User").objects.all().delete()
    finally:
        migrate_to_the_latest()
    assert {"cases_conflictofinterest", "accounts_membershipgrant"} <= set(connection.introspection.table_names())
