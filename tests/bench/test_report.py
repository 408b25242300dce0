"""The benchmark's table and exit status, and the guard on the database it drops."""

import socket

import pytest

from halte.bench.__main__ import main, options
from halte.bench.report import Row, database_name, exit_status, percentile, render, run_failed


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/halte",  # the production database
        "postgres://postgres@127.0.0.1:5432/postgres",
        "postgres://postgres@127.0.0.1:5432/halte_ci",
        "postgres://postgres@127.0.0.1:5432/bench_halte_bench",
        'postgres://postgres@127.0.0.1:5432/halte_bench"; DROP DATABASE halte; --',
        "postgres://postgres@127.0.0.1:5432/HALTE_BENCH",
        "postgres://postgres@127.0.0.1:5432/",
    ],
)
def test_a_database_that_is_not_a_benchmark_s_is_never_dropped(url):
    with pytest.raises(ValueError, match="doit commencer par « halte_bench »"):
        database_name(url)


def test_the_benchmark_refuses_anything_but_postgresql():
    with pytest.raises(ValueError, match="postgres://"):
        database_name("sqlite:////tmp/halte_bench.sqlite3")


@pytest.mark.parametrize("name", ["halte_bench", "halte_bench_100k", "halte_bench_smoke_4242"])
def test_benchmark_databases_are_accepted(name):
    assert database_name(f"postgres://postgres@127.0.0.1:5432/{name}") == name


def test_a_refused_database_stops_the_run_before_any_connection(capsys):
    with socket.socket() as probe:  # a port nobody listens on: a connection attempt would raise
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status = main(["--database-url", f"postgres://postgres@127.0.0.1:{port}/halte"])
    assert status == 2
    assert "la base « halte » serait supprimée puis recréée" in capsys.readouterr().err


def test_goals_are_enforced_by_default_from_100k_cases(monkeypatch):
    monkeypatch.delenv("BENCH_ENFORCE", raising=False)
    assert options(["--cases", "2000"]).enforce is False
    assert options(["--cases", "100000"]).enforce is True
    monkeypatch.setenv("BENCH_ENFORCE", "0")
    assert options(["--cases", "1000000"]).enforce is False
    monkeypatch.setenv("BENCH_ENFORCE", "1")
    assert options(["--cases", "2000"]).enforce is True
    assert options(["--cases", "2000", "--no-enforce"]).enforce is False


def test_nonsense_sizes_are_refused():
    with pytest.raises(SystemExit):
        options(["--cases", "0"])


def test_percentile_is_nearest_rank():
    samples = [float(n) for n in range(20, 0, -1)]
    assert percentile(samples, 0.95) == 19
    assert percentile(samples, 0.5) == 10
    assert percentile([7.0], 0.95) == 7
    assert percentile([3.0, 1.0, 2.0], 0.0) == 1


def test_a_time_over_its_goal_fails():
    assert Row("page", 49.9, "ms", goal=50).passed
    assert not Row("page", 50.1, "ms", goal=50).passed


def test_a_rate_under_half_its_floor_fails():
    assert Row("intake", 60, "req/s", floor=100, ratio_goal=0.5, higher_is_better=True).passed
    assert not Row("intake", 40, "req/s", floor=100, ratio_goal=0.5, higher_is_better=True).passed


def test_a_ratio_over_its_goal_fails_even_under_the_absolute_goal():
    assert not Row("dashboard", 300, "ms", goal=1000, floor=100, ratio_goal=2).passed


def test_no_measure_or_a_failed_request_fails():
    assert not Row("page", None, "ms", goal=50).passed
    assert not Row("intake", 500, "req/s", errors=["/api/v1/reports: 500"]).passed
    assert Row("information only", 12.0, "s").passed


def test_a_missed_goal_exits_non_zero_only_when_enforced():
    rows = [Row("a", 10, "ms", goal=50), Row("b", 80, "ms", goal=50)]
    assert run_failed(rows)
    assert exit_status(rows, enforce=True) == 1
    assert exit_status(rows, enforce=False) == 0
    assert exit_status(rows[:1], enforce=True) == 0


def test_the_table_shows_value_goal_floor_ratio_and_verdict():
    rows = [
        Row("/dossiers/", 80, "ms p95", goal=50, floor=10, queries=12),
        Row("POST /api/v1/reports", 60, "req/s", floor=100, ratio_goal=0.5, higher_is_better=True),
    ]
    enforced = render(rows, {"Machine": "2 cœurs"}, enforce=True)
    assert "| /dossiers/ | 80.0 ms p95 | < 50.0 ms p95 | 10.0 ms p95 | 8.00 | 12 | ÉCHEC |" in enforced
    assert "| POST /api/v1/reports | 60.0 req/s | ratio ≥ 0.50 | 100 req/s | 0.60 | — | OK |" in enforced
    assert "1 objectif(s) manqué(s) : /dossiers/." in enforced
    assert "Machine : 2 cœurs" in enforced
    relaxed = render(rows, {}, enforce=False)
    assert "manqué (non exigé)" in relaxed
    assert "BENCH_ENFORCE=1" in relaxed
