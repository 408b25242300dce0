"""Daily checkpoints: the head of each closed day, appended to a file outside the database and mailed to
the DPO, once; a day rewritten as a whole (links recomputed) no longer matches them."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.management.base import CommandError

from halte.audit import chain, checkpoints, verify
from halte.audit.models import ChainLink
from halte.core import periodic

from .chaintools import past_the_triggers, run_verify


@pytest.fixture
def folder(settings, tmp_path):
    settings.HALTE_JOURNAL_CHECKPOINT_DIR = str(tmp_path / "points")
    return tmp_path / "points"


def chain_day():
    return ChainLink.objects.order_by("day").values_list("day", flat=True).first()


def after_midnight(day, days=1):
    """Ten minutes past midnight (UTC) some days after `day`: that day is closed."""
    return datetime.combine(day + timedelta(days=days), time(0, 10), tzinfo=UTC)


def rewrite_from(cursor, rank: int, day) -> None:
    """Recompute every link of the day from `rank` on, as an attacker who knows the algorithm would."""
    links = list(ChainLink.objects.filter(day=day).order_by("seq").select_related("event"))
    previous = chain.genesis(day) if rank == 1 else links[rank - 2].hash
    for link in links[rank - 1 :]:
        previous = chain.step(previous, link.event.compute_digest(), link.event_id)
        cursor.execute("UPDATE audit_chainlink SET hash = %s WHERE event_id = %s", [previous, link.event_id])


def test_a_closed_day_is_checkpointed_once_in_the_file_and_by_mail(
    journal, folder, people, django_capture_on_commit_callbacks
):
    day = chain_day()
    with django_capture_on_commit_callbacks(execute=True):  # the mail is a job, run once committed
        written = checkpoints.write_due(after_midnight(day))
    head = ChainLink.objects.filter(day=day).order_by("-seq").first()
    assert [(h.day, h.count, h.head) for h in written] == [(day, 12, head.hash)]
    lines = (folder / checkpoints.FILENAME).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Halte")
    assert lines[1].startswith(f"{day.isoformat()}\t12\t{head.hash}\t")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {settings.HALTE["DPO_EMAIL"], people.dpo.user.email}
    assert lines[1] in message.body
    assert "verify_journal --checkpoints" in message.body

    assert checkpoints.write_due(after_midnight(day) + timedelta(hours=5)) == []
    assert len(mail.outbox) == 1
    assert len((folder / checkpoints.FILENAME).read_text(encoding="utf-8").splitlines()) == 2
    code, out, _err = run_verify()
    assert code == 0
    assert "1 point(s) de contrôle concordant(s)" in out


def test_a_day_is_not_closed_until_a_few_minutes_after_midnight(journal, folder):
    day = chain_day()
    just_after = datetime.combine(day + timedelta(days=1), time(0, 2), tzinfo=UTC)
    assert [h.day for h in checkpoints.write_due(just_after)] == [day - timedelta(days=1)]
    assert [h.day for h in checkpoints.write_due(after_midnight(day))] == [day]


def test_days_without_rows_get_a_line_too(journal, folder):
    day = chain_day()
    written = checkpoints.write_due(after_midnight(day, days=3))
    assert [(h.day, h.count) for h in written] == [(day, 12), (day + timedelta(1), 0), (day + timedelta(2), 0)]
    assert written[1].head == chain.genesis(day + timedelta(1))


def test_a_whole_day_rewritten_with_its_links_is_caught_by_the_checkpoint(
    journal, folder, tmp_path, django_capture_on_commit_callbacks
):
    day = chain_day()
    with django_capture_on_commit_callbacks(execute=True):  # the mail is a job, run once committed
        checkpoints.write_due(after_midnight(day))
    victim = journal[6]
    with past_the_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_label = 'Personne', digest = '' WHERE id = %s", [victim.pk])
        rewrite_from(cursor, 7, day)
    assert verify.verify().ok  # the chain alone holds: only the checkpoint can tell

    code, _out, err = run_verify()
    assert code == 1
    assert f"Journal du {day:%d/%m/%Y} : ne correspond plus à son point de contrôle" in err

    # The lines the DPO received by mail are enough, even if the file was rewritten too.
    (folder / checkpoints.FILENAME).unlink()
    kept = tmp_path / "courriel-dpo.tsv"
    kept.write_text("\n".join(line for line in mail.outbox[0].body.splitlines() if "\t" in line), encoding="utf-8")
    code, _out, err = run_verify("--checkpoints", str(kept))
    assert code == 1
    assert "ne correspond plus à son point de contrôle" in err


def test_the_last_rows_of_a_closed_day_removed_are_caught_by_the_checkpoint(journal, folder):
    day = chain_day()
    checkpoints.write_due(after_midnight(day))
    with past_the_triggers() as cursor:
        for row in journal[-2:]:
            cursor.execute("DELETE FROM audit_chainlink WHERE event_id = %s", [row.pk])
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])
    assert verify.verify().ok
    code, _out, err = run_verify()
    assert code == 1
    assert "la base donne 10 événement(s)" in err


def test_a_missing_checkpoint_between_two_others_is_reported(journal, folder):
    day = chain_day()
    checkpoints.write_due(after_midnight(day, days=2))
    path = folder / checkpoints.FILENAME
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(day.isoformat())]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    code, _out, err = run_verify()
    assert code == 1
    assert "n’a pas de point de contrôle alors que les jours suivants en ont un" in err


def test_the_periodic_pass_writes_it_and_says_so(journal, folder):
    day = chain_day()
    result = periodic.run(after_midnight(day))
    assert result.journal_checkpoints == 1
    assert "Points de contrôle du journal écrits et envoyés : 1 jour(s)." in result.summary()
    assert periodic.run(after_midnight(day) + timedelta(minutes=1)).journal_checkpoints == 0


def test_storage_that_fails_does_not_stop_the_pass(journal, settings, tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    settings.HALTE_JOURNAL_CHECKPOINT_DIR = str(blocker)
    result = periodic.run(after_midnight(chain_day()))
    assert result.journal_checkpoints == 0
    assert "checkpoint could not be written" in caplog.text


def test_no_checkpoint_without_a_directory(journal):
    assert checkpoints.write_due(after_midnight(chain_day())) == []


def test_unreadable_or_missing_checkpoint_files_are_refused_clearly(journal, tmp_path):
    damaged = tmp_path / "abime.tsv"
    damaged.write_text("2026-11-25\tdouze\tzz\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ligne 1 illisible"):
        run_verify("--checkpoints", str(damaged))
    with pytest.raises(CommandError, match="introuvable"):
        run_verify("--checkpoints", str(tmp_path / "absent.tsv"))
