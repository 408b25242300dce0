"""The flush that ends every transactional test (tests/conftest.py) leaves nothing behind but what
migrations wrote, past the journal's guards, on SQLite and PostgreSQL."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from halte.accounts.models import Membership
from halte.audit import journal
from halte.audit.models import Action, AuditEvent
from tests.conftest import empty_the_database

CATALOGUE = {"django_content_type", "auth_permission"}  # written by migrate from the models alone


def _rows_by_table() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names
            counts[table] = cursor.fetchone()[0]
        return counts


@pytest.mark.django_db(transaction=True)
def test_the_flush_empties_every_table_but_the_model_catalogue(people):
    school = people.school_a_staff.organisation
    journal.record(Action.LOGIN, actor=people.coordinator.user, membership=people.coordinator, target=school)
    assert Membership.objects.exists() and AuditEvent.objects.exists()
    types = ContentType.objects.count()

    empty_the_database()

    left = {table: count for table, count in _rows_by_table().items() if count and table not in CATALOGUE}
    assert left == {}
    assert ContentType.objects.count() == types > 0
