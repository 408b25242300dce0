"""The vocabulary against the corpus of accounts (tests/reports/flags_corpus.toml), and the command that
prints how it reads it. The suite fails below the goals: every critical flag found, at most 10 % false
alarms on the benign accounts."""

from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from halte.reports.flags import corpus

CORPUS = Path(__file__).with_name("flags_corpus.toml")


@pytest.fixture(scope="module")
def measured():
    return corpus.measure(corpus.load(CORPUS))


def test_the_corpus_is_large_and_varied():
    narratives = corpus.load(CORPUS)
    assert len(narratives) >= 200
    voices = Counter(n.voice for n in narratives)
    assert voices["enfant"] >= 100 and voices["parent"] >= 30 and voices["personnel"] >= 30
    expected = Counter(flag for n in narratives for flag in n.flags | n.to_check)
    assert all(expected[flag] >= 20 for flag in corpus.WORD_FLAGS), expected
    assert sum(1 for n in narratives if n.benign) >= 100
    assert sum(1 for n in narratives if n.to_check) >= 5  # negated and joking wording


@pytest.mark.parametrize("flag", corpus.WORD_FLAGS)
def test_every_critical_flag_is_found_in_the_corpus(measured, flag):
    misses = [f"{miss.narrative.id}: {miss.narrative.text}" for miss in measured.misses if miss.flag == flag]
    assert measured.scores[flag].recall == corpus.RECALL_GOAL, misses


def test_false_alarms_on_benign_accounts_stay_under_ten_percent(measured):
    alarms = [f"{n.id}: {codes}" for n, codes in measured.false_alarms]
    assert measured.false_alarm_rate <= corpus.FALSE_ALARM_GOAL, alarms
    assert measured.meets_goals


def test_the_command_prints_recall_per_flag_and_false_alarms():
    out = StringIO()
    call_command("flags_report", str(CORPUS), stdout=out)
    printed = out.getvalue()
    for label in ("Automutilation ou idées suicidaires", "Violences sexuelles", "Arme", "Danger dans la famille"):
        assert f"  {label} : " in printed and "soit 100,0 %" in printed
    assert "Fausses alertes : " in printed
    assert "Objectifs atteints." in printed


def _write(tmp_path, body):
    path = tmp_path / "corpus.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_command_lists_misses_and_fails_below_the_goals(tmp_path):
    path = _write(
        tmp_path,
        """
[[narrative]]
id = "manque"
voice = "enfant"
text = "tout va bien au college"
flags = ["self_harm"]

[[narrative]]
id = "fausse-alerte"
voice = "parent"
text = "il a sorti un couteau"
flags = []
""",
    )
    out = StringIO()
    with pytest.raises(CommandError, match="Objectifs non atteints"):
        call_command("flags_report", str(path), stdout=out)
    printed = out.getvalue()
    assert "Automutilation ou idées suicidaires : 0 / 1, soit 0,0 %" in printed
    assert "manque — Automutilation ou idées suicidaires — rien — tout va bien au college" in printed
    assert "Fausses alertes : 1 / 1, soit 100,0 %" in printed
    assert "fausse-alerte — Arme" in printed


def test_an_expected_critical_flag_found_only_to_check_is_a_miss(tmp_path):
    path = _write(
        tmp_path,
        """
[[narrative]]
id = "abaisse"
voice = "parent"
text = "il n'a jamais parlé de se tuer"
flags = ["self_harm"]
""",
    )
    result = corpus.measure(corpus.load(path))
    assert [(miss.narrative.id, miss.got) for miss in result.misses] == [("abaisse", "to_check")]
    assert not result.meets_goals


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[narrative]]\nid = "a"\nvoice = "enfant"\nflags = []\n', "missing 'text'"),
        ('[[narrative]]\nid = "a"\nvoice = "enfant"\ntext = "x"\nflags = ["suicide"]\n', "unknown flags"),
        ('[[narrative]]\nid = "a"\nvoice = "robot"\ntext = "x"\n', "unknown voice"),
        ('[[narrative]]\nid = "a"\nvoice = "enfant"\ntext = "x"\n' * 2, "used twice"),
        ("", "no narrative"),
        ("not toml [", "corpus.toml"),
    ],
)
def test_a_broken_corpus_is_refused_with_a_message(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(CommandError, match=message):
        call_command("flags_report", str(path), stdout=StringIO())
