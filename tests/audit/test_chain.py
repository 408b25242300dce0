"""The journal's hash chain: every row is linked by the database, and `verify_journal` names the first
row that someone with the database owner's rights changed, removed or slipped in."""

import pytest
from django.db import DatabaseError, connection, transaction

from halte.audit import chain, verify
from halte.audit.journal import record
from halte.audit.models import Action, AuditEvent, ChainLink

from .chaintools import past_the_triggers, run_verify, seal_now

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own guards")


def test_every_row_is_linked_in_order_and_a_clean_journal_verifies(journal):
    links = list(ChainLink.objects.order_by("day", "seq"))
    assert [link.event_id for link in links] == [row.pk for row in journal]
    assert [link.seq for link in links] == list(range(1, 13))
    previous = chain.genesis(links[0].day)
    for link, row in zip(links, journal, strict=True):
        assert link.hash == chain.step(previous, row.compute_digest(), row.pk)
        previous = link.hash
    code, out, _err = run_verify()
    assert code == 0
    assert "Journal intègre : 12 événement(s) sur 1 jour(s)" in out


def test_digest_read_back_equals_digest_written(journal):
    for row in AuditEvent.objects.filter(pk__in=[r.pk for r in journal]):
        assert row.digest == row.compute_digest()


def test_the_chain_is_written_by_the_database_only(journal):
    link = ChainLink.objects.first()
    with pytest.raises(TypeError):
        link.save()
    with pytest.raises(TypeError):
        ChainLink.objects.filter(pk=link.pk).update(hash="0" * 64)
    with pytest.raises(TypeError):
        ChainLink.objects.all().delete()


@pytest.mark.parametrize(
    ("column", "value"),
    [("target_label", "Autre personne"), ("action", Action.LOGIN), ("detail", '{"compartments": ["core"]}')],
)
def test_a_row_changed_past_the_triggers_is_named(journal, column, value):
    victim = journal[6]
    with past_the_triggers() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, victim.pk])  # noqa: S608
    code, _out, err = run_verify()
    assert code == 1
    assert f"Premier maillon rompu — Événement n° {victim.pk} " in err
    assert "son contenu a été modifié" in err


def test_a_row_changed_with_its_digest_recomputed_is_still_named(journal):
    victim = journal[3]
    forged = AuditEvent.objects.get(pk=victim.pk)
    forged.target_label = "Quelqu’un d’autre"
    with past_the_triggers() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET target_label = %s, digest = %s WHERE id = %s",
            [forged.target_label, forged.compute_digest(), victim.pk],
        )
    code, _out, err = run_verify()
    assert code == 1
    assert f"Premier maillon rompu — Événement n° {victim.pk} " in err
    assert "son maillon ne correspond plus" in err


def test_a_row_removed_with_its_link_is_found_at_the_next_row(journal):
    victim, after = journal[4], journal[5]
    with past_the_triggers() as cursor:
        cursor.execute("DELETE FROM audit_chainlink WHERE event_id = %s", [victim.pk])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    code, _out, err = run_verify()
    assert code == 1
    assert f"Événement n° {after.pk} " in err
    assert "1 événement(s) manquant(s) juste avant lui" in err


def test_a_row_slipped_in_without_the_chain_trigger_is_named(journal):
    with past_the_triggers() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER halte_audit_chain")
        forged = AuditEvent(action=Action.LOGIN, detail={})
        forged.save()
    code, _out, err = run_verify()
    assert code == 1
    assert f"Événement n° {forged.pk} " in err
    assert "il n’a pas de place dans la chaîne" in err


def test_verify_reads_in_chunks(journal):
    assert verify.verify(chunk=5).rows == 12
    assert verify.verify(chunk=5).ok


def test_a_row_without_digest_is_refused_by_the_database(people):
    seal_now()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, action, target_type, target_id, target_label, detail, digest) "
            "VALUES (%s, 'auth.login', '', '', '', '{}', '')",
            ["2026-11-25T10:00:00+00:00"],
        )


@on_postgresql
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_chainlink"])
def test_postgresql_refuses_truncate(journal, table):
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == 12
    assert ChainLink.objects.count() == 12


@on_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_chainlink SET hash = repeat('0', 64) WHERE event_id = %s",
        "DELETE FROM audit_chainlink WHERE event_id = %s",
    ],
)
def test_postgresql_refuses_to_rewrite_the_chain(journal, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [journal[0].pk])


@on_postgresql
def test_the_old_pgtrigger_switch_no_longer_opens_the_journal(journal):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL pgtrigger.ignore = '{halte_audit_append_only}'")
        cursor.execute("UPDATE audit_auditevent SET target_label = 'x' WHERE id = %s", [journal[0].pk])


@on_postgresql
def test_disable_trigger_then_update_is_named_by_verify(journal):
    """The issue's attack: the table's owner switches the guard off, rewrites a row, switches it back."""
    victim = journal[8]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER halte_audit_append_only")
        cursor.execute("UPDATE audit_auditevent SET target_label = 'rien à voir' WHERE id = %s", [victim.pk])
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER halte_audit_append_only")
    code, _out, err = run_verify()
    assert code == 1
    assert f"Premier maillon rompu — Événement n° {victim.pk} " in err


def readme_grants() -> list[str]:
    """The statements the deployment guide runs after every migration, as written in README.md."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = [part.split("```", 1)[0] for part in readme.split("```sql")[1:]]
    grants = next(block for block in blocks if "REVOKE INSERT ON audit_chainlink" in block)
    lines = [line.split("--", 1)[0] for line in grants.splitlines()]
    return [statement.strip() for statement in " ".join(lines).split(";") if statement.strip()]


@on_postgresql
@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE audit_auditevent SET target_label = 'x'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent CASCADE",
        "UPDATE audit_chainlink SET hash = repeat('0', 64)",
        "INSERT INTO audit_chainlink (event_id, day, seq, hash) VALUES (1, '2026-11-25', 999, repeat('0', 64))",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER halte_audit_append_only",
        "SET session_replication_role = replica",
        "INSERT INTO audit_droppedmonth (month, txid, rows, dropped_at) VALUES ('2020-01-01', 1, 0, now())",
    ],
)
def test_the_application_role_of_the_deployment_guide_can_append_and_nothing_else(journal, attack):
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE halte_app NOLOGIN")  # rolled back with the test's transaction
        cursor.execute("GRANT USAGE ON SCHEMA public TO halte_app")
        for statement in readme_grants():
            cursor.execute(statement)
        cursor.execute("SET ROLE halte_app")
        try:
            appended = record(Action.CASE_READ, detail={"page": "severity"})
            assert ChainLink.objects.filter(event=appended).exists()  # linked by the owner's trigger
            # Refused by the role's rights, before any trigger would have to.
            with pytest.raises(DatabaseError, match=r"permission denied|must be owner"), transaction.atomic():
                cursor.execute(attack)
        finally:
            cursor.execute("RESET ROLE")
    assert verify.verify().ok
