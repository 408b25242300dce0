"""Row locks of the meetings actions lock their own row only (``FOR UPDATE OF <table>``), never the
rows a ``select_related`` joins in (the organiser's membership and user, the agenda item's case).

Tests run on SQLite, which drops FOR UPDATE; so every locking query the actions run is recorded and
compiled again for PostgreSQL (no connection is opened) to read the clause production would send.
"""

from datetime import timedelta

import pytest
from django.db import connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from halte.meetings import actions
from halte.meetings.models import Invitation

from .conftest import MINUTES_MARK, make_case, make_meeting


@pytest.fixture
def locks(monkeypatch):
    """Every query run with FOR UPDATE while the test runs."""
    seen = []
    original = SQLCompiler.execute_sql

    def spy(self, *args, **kwargs):
        if self.query.select_for_update:
            seen.append(self.query.clone())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "execute_sql", spy)
    return seen


def postgresql_sql(query) -> str:
    settings = {**connections["default"].settings_dict, "ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}
    wrapper = DatabaseWrapper(settings, alias="sql-only")
    wrapper.get_autocommit = lambda: False  # as inside transaction.atomic(), without connecting
    sql, _params = query.get_compiler(connection=wrapper).as_sql()
    return sql


def run_every_action(people, cell):
    coordinator = people.coordinator
    planned = make_meeting(coordinator, timezone.now() + timedelta(days=3))
    for number in (7, 8):
        actions.add_item(meeting=planned, actor=coordinator, case=make_case(f"HS-2026-00000{number}"))
    first, second = planned.items.order_by("position")
    actions.move_item(item=second, actor=coordinator, offset=-1)
    actions.remove_item(item=first, actor=coordinator)
    actions.send_invitations(meeting=planned, actor=coordinator, memberships=[people.magistrate])
    invitation = Invitation.objects.get(meeting=planned)
    actions.record_attendance(meeting=planned, actor=coordinator, values={invitation.pk: "present"})
    actions.update(meeting=planned, actor=coordinator, place="Préfecture de la Somme")
    actions.cancel(meeting=planned, actor=coordinator, reason="Reportée")
    actions.record_minutes(item=cell.item_a, actor=coordinator, minutes=MINUTES_MARK)
    past = make_meeting(coordinator, timezone.now() - timedelta(hours=1))
    actions.mark_held(meeting=past, actor=coordinator)


def test_each_lock_locks_only_its_own_row(people, cell, locks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run_every_action(people, cell)
    ours = [query for query in locks if query.model._meta.app_label == "meetings"]
    assert {query.model._meta.db_table for query in ours} == {"meetings_meeting", "meetings_agendaitem"}
    assert any(query.select_related for query in ours), "the meeting and agenda item locks read related rows"
    for query in ours:
        sql = postgresql_sql(query)
        assert sql.count("FOR UPDATE") == 1, sql
        assert sql.endswith(f'FOR UPDATE OF "{query.model._meta.db_table}"'), sql
