"""The audit journal is append-only: in Python always, in the database itself on PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from halte.accounts.models import Membership, Role
from halte.audit.journal import record
from halte.audit.models import Action, AuditEvent
from tests.cases.conftest import world

__all__ = ["world"]

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="database trigger: PostgreSQL only")


def test_record_names_actor_membership_and_target(people):
    coordinator = people.coordinator
    event = record(Action.MEMBERSHIP_CHANGED, actor=coordinator.user, membership=coordinator, target=people.police)
    event.refresh_from_db()
    assert event.actor == coordinator.user
    assert event.membership == coordinator
    assert event.target_type == "accounts.membership"
    assert event.target_id == str(people.police.public_id)
    assert "DIPN de la Somme" in event.target_label


def test_orm_cannot_rewrite_history(people):
    event = record(Action.LOGIN, actor=people.dpo.user)
    event.action = Action.LOGOUT
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action=Action.LOGOUT)
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == Action.LOGIN


@on_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'auth.logout' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_update_and_delete(people, statement):
    event = record(Action.LOGIN, actor=people.dpo.user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == Action.LOGIN


def test_admin_changes_are_journaled(client, people, login):
    login(client, people.admin)
    target = people.police
    url = reverse("admin:accounts_membership_change", args=[target.pk])
    response = client.post(
        url,
        {
            "user": target.user.pk,
            "organisation": target.organisation.pk,
            "role": Role.POLICE_LIAISON,
            "is_active": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Membership.objects.get(pk=target.pk).is_active
    event = AuditEvent.objects.get(action=Action.ADMIN_CHANGE)
    assert event.actor == people.admin.user
    assert event.membership == people.admin
    assert event.target_id == str(target.public_id)


def table(response) -> str:
    html = response.content.decode()
    return html[html.index("<tbody>") : html.index("</tbody>")]


def test_dpo_reads_and_filters_the_journal(client, people, login):
    record(Action.LOGIN_FAILED, detail={"email": "x@halte.test"})
    record(Action.LOGIN, actor=people.coordinator.user, target=people.coordinator.user)
    login(client, people.dpo)
    page = table(client.get(reverse("audit:journal")))
    assert "Échec de connexion" in page
    assert "Connexion réussie" in page
    filtered = table(client.get(reverse("audit:journal"), {"action": Action.LOGIN_FAILED}))
    assert "Échec de connexion" in filtered
    assert "Connexion réussie" not in filtered
    by_actor = table(client.get(reverse("audit:journal"), {"actor": "coordination@"}))
    assert "Connexion réussie" in by_actor
    assert "Échec de connexion" not in by_actor


def test_bad_filters_get_a_message_not_an_error(client, people, login):
    login(client, people.dpo)
    response = client.get(reverse("audit:journal"), {"since": "pas-une-date", "page": "zzz"})
    assert response.status_code == 200
    assert "Saisissez une date valide" in response.content.decode()


# Session, user, OTP device, membership, session save… then the count and one page of events.
JOURNAL_QUERIES = 10  # with the header's count of unread notifications


@pytest.mark.parametrize("events_per_member", [1, 10])
def test_journal_query_count_does_not_grow_with_rows(
    client, people, login, django_assert_num_queries, events_per_member
):
    for membership in people.all().values():
        for _ in range(events_per_member):
            record(Action.LOGIN, actor=membership.user, membership=membership, target=membership.user)
    login(client, people.dpo)
    with django_assert_num_queries(JOURNAL_QUERIES):
        assert client.get(reverse("audit:journal")).status_code == 200


def test_the_dpo_sees_what_was_searched_and_how_many_results(client, people, login, world):
    """A search is a read of personal data: its journal row shows the words typed and the number of
    results, not « — »."""
    login(client, people.coordinator)
    assert client.get(reverse("www:search"), {"q": "HS-2026-000001"}).status_code == 200
    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert event.detail["query"] == "HS-2026-000001" and event.detail["results"] >= 1
    login(client, people.dpo)
    page = table(client.get(reverse("audit:journal"), {"action": Action.SEARCH}))
    assert "Recherche « HS-2026-000001 »" in page
    assert f"{event.detail['results']} résultat" in page


def test_an_older_search_row_without_a_count_still_shows_its_words(client, people, login):
    record(
        Action.SEARCH,
        actor=people.coordinator.user,
        membership=people.coordinator,
        detail={"query": "Lefèvre", "cases": ["HS-1"], "reports": []},
    )
    login(client, people.dpo)
    page = table(client.get(reverse("audit:journal"), {"action": Action.SEARCH}))
    assert "Recherche « Lefèvre » — 1 résultat" in page


def test_au_titre_de_reads_the_person_s_own_title_or_an_agreeing_role(client, people, login):
    user = people.social_worker.user
    user.civility, user.title = "mme", ""
    user.save()
    record(Action.LOGIN, actor=user, membership=people.social_worker)
    coordinator = people.coordinator.user
    coordinator.title = "Coordinatrice départementale"
    coordinator.save()
    record(Action.LOGIN, actor=coordinator, membership=people.coordinator)
    login(client, people.dpo)
    page = table(client.get(reverse("audit:journal"), {"action": Action.LOGIN}))
    assert "Travailleuse sociale" in page
    assert "Coordinatrice départementale" in page
    assert "Travailleur ou travailleuse social" not in page


def test_every_role_label_agrees_in_each_of_its_forms():
    labels = {role: str(role.label) for role in Role}
    assert labels[Role.SOCIAL_WORKER] == "Travailleur social ou travailleuse sociale"
    assert labels[Role.ASSOCIATION_WORKER] == "Intervenant associatif ou intervenante associative"
