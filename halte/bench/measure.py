"""The measurements of a benchmark run, each with its goal and its floor measured in the same run.

Pages are requested in-process through Django's test client, so through every middleware, as a
member who logged in for real (password, then a TOTP code). Floors are what the same answer costs
without the application: the bare indexed query of a list, the figures of the dashboard in
hand-written SQL, a one-INSERT view served by the same gunicorn for intake.
"""

import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from http.client import HTTPConnection
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from halte.accounts.models import Membership
from halte.cases.enums import OPEN_STATES
from halte.cases.people import suggest_people
from halte.stats.periods import school_year

from .loader import PASSWORD, LoadStats, totp_key
from .report import Row, percentile
from .urls import FLOOR_TABLE

ROOT = Path(__file__).resolve().parents[2]
HOST = "testserver"
# An outside script loaded 23 M rows of this schema in 827 s: the loader's floor, as a rate.
OUTSIDE_LOADER_ROWS_PER_SECOND = 23_000_000 / 827
LOAD_GOAL_SECONDS_AT_1M = 600.0


def timed(function: Callable[[], object], runs: int, warm: int = 1) -> list[float]:
    """Milliseconds of each of `runs` calls, after `warm` calls not counted."""
    for _ in range(warm):
        function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def sql(statement: str, params: list | tuple = ()) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            cursor.fetchall()

    return run


def sql_many(statements: list[tuple[str, list | tuple]]) -> Callable[[], None]:
    steps = [sql(statement, params) for statement, params in statements]

    def run() -> None:
        for step in steps:
            step()

    return run


# --- Logging in for real ------------------------------------------------------------------------------


def logged_in(membership: Membership) -> Client:
    """A client that went through the login pages: email and password, then a TOTP code."""
    client = Client(HTTP_HOST=HOST)
    email = membership.user.email
    answer = client.post(reverse("accounts:login"), {"username": email, "password": PASSWORD}, secure=True)
    if answer.status_code != 302:
        raise RuntimeError(f"Login refused for {email}: {answer.status_code}")
    code = f"{totp(bytes.fromhex(totp_key(email))):06d}"
    answer = client.post(reverse("accounts:otp_verify"), {"token": code}, secure=True)
    if answer.status_code != 302:
        raise RuntimeError(f"Second factor refused for {email}: {answer.status_code}")
    return client


def page(client: Client, path: str) -> Callable[[], None]:
    def get() -> None:
        answer = client.get(path, secure=True)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")

    return get


class QueryCounter:
    """Counts the queries run while active (Django resets its own query log at each request)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, statement, params, many, context):
        self.count += 1
        return execute(statement, params, many, context)

    def around(self, function: Callable[[], None]) -> int:
        self.count = 0
        with connection.execute_wrapper(self):
            function()
        return self.count


def page_row(name: str, client: Client, path: str, runs: int, goal: float, floor: Callable[[], None]) -> Row:
    get = page(client, path)
    get()  # warm: templates compiled, connection open
    queries = QueryCounter().around(get)
    samples = timed(get, runs, warm=0)
    floor_samples = timed(floor, runs)
    return Row(
        name=name,
        value=percentile(samples, 0.95),
        unit="ms p95",
        goal=goal,
        floor=percentile(floor_samples, 0.95),
        queries=queries,
        note=f"p50 {statistics.median(samples):.1f} ms",
    )


# --- The rows -----------------------------------------------------------------------------------------


def load_row(cases: int, stats: LoadStats) -> Row:
    goal = LOAD_GOAL_SECONDS_AT_1M * cases / 1_000_000
    return Row(
        name=f"chargement ({stats.total:,} lignes)".replace(",", " "),
        value=stats.seconds,
        unit="s",
        goal=max(goal, 30.0),
        floor=stats.total / OUTSIDE_LOADER_ROWS_PER_SECOND,
        note="objectif : 600 s pour 1 M dossiers, au prorata",
    )


def tick_rows() -> list[Row]:
    from io import StringIO

    started = time.perf_counter()
    call_command("tick", stdout=StringIO())
    first = time.perf_counter() - started
    started = time.perf_counter()
    call_command("tick", stdout=StringIO())
    second = time.perf_counter() - started
    return [
        Row(name="tick (travail dû après chargement)", value=first, unit="s", note="proportionnel au travail dû"),
        Row(name="tick (rien de dû)", value=second, unit="s", goal=5.0),
    ]


def page_rows(coordinator: Membership, staff: Membership, timeline_case, runs: int) -> list[Row]:
    coordinator_client = logged_in(coordinator)
    staff_client = logged_in(staff)
    now = timezone.now()
    open_states = [str(state) for state in OPEN_STATES]
    case_page = (
        "SELECT c.id, c.reference, c.state, c.priority, c.opened_at, s.name, s.commune "
        "FROM cases_case c LEFT JOIN directory_school s ON s.id = c.school_id "
        "WHERE c.state = ANY(%s) AND c.merged_into_id IS NULL {where} ORDER BY c.priority, c.opened_at, c.id LIMIT 25"
    )
    case_count = "SELECT count(*) FROM cases_case c WHERE c.state = ANY(%s) AND c.merged_into_id IS NULL {where}"
    overdue = "AND EXISTS (SELECT 1 FROM cases_action a WHERE a.case_id = c.id AND a.status = 'open' AND a.due_at < %s)"
    school = "AND c.school_id = %s"

    def list_floor(where: str = "", extra: tuple = ()) -> Callable[[], None]:
        params = [open_states, *extra]
        return sql_many([(case_page.format(where=where), params), (case_count.format(where=where), params)])

    queue_floor = sql_many(
        [
            (
                "SELECT r.id, r.reference, r.received_at, r.proposed_priority, s.name FROM reports_report r "
                "LEFT JOIN directory_school s ON s.id = r.school_id WHERE r.status IN ('received', 'in_progress') "
                "ORDER BY r.proposed_priority, r.is_worrying DESC, r.received_at, r.id LIMIT 30",
                (),
            ),
            ("SELECT count(*) FROM reports_report WHERE status IN ('received', 'in_progress')", ()),
        ]
    )
    owed = (
        "SELECT a.id, a.title, a.due_at, c.reference FROM cases_action a JOIN cases_case c ON c.id = a.case_id "
        "WHERE a.owner_organisation_id = %s AND a.status = 'open' ORDER BY a.due_at, a.id LIMIT 25"
    )
    deadlines_floor = sql_many(
        [
            (
                "SELECT c.id, c.reference, c.opened_at FROM cases_case c WHERE c.lead_id = %s AND c.state = ANY(%s) "
                "ORDER BY c.opened_at LIMIT 25",
                [coordinator.pk, open_states],
            ),
            (owed, [coordinator.organisation_id]),
        ]
    )
    actions_floor = sql_many(
        [
            (owed, [coordinator.organisation_id]),
            (
                "SELECT count(*) FROM cases_action WHERE owner_organisation_id = %s AND status = 'open'",
                [coordinator.organisation_id],
            ),
        ]
    )
    timeline_floor = sql(
        "SELECT id, kind, text, at, actor_id FROM cases_event WHERE case_id = %s ORDER BY at, id", [timeline_case.pk]
    )
    case_path = reverse("cases:detail", args=[timeline_case.public_id])
    return [
        page_row("/dossiers/ (coordination)", coordinator_client, "/dossiers/", runs, 50, list_floor()),
        page_row(
            "/dossiers/?overdue=on", coordinator_client, "/dossiers/?overdue=on", runs, 50, list_floor(overdue, (now,))
        ),
        page_row(
            "/dossiers/ (établissement)",
            staff_client,
            "/dossiers/",
            runs,
            50,
            list_floor(school, (staff.organisation.school_id,)),
        ),
        page_row("/signalements/", coordinator_client, "/signalements/", runs, 50, queue_floor),
        page_row("/echeances/", coordinator_client, "/echeances/", runs, 100, deadlines_floor),
        page_row("/actions/", coordinator_client, "/actions/", runs, 100, actions_floor),
        page_row(
            f"dossier à {timeline_case.events.count()} lignes de suivi",
            coordinator_client,
            case_path,
            runs,
            150,
            timeline_floor,
        ),
        *dashboard_rows(coordinator_client, runs),
    ]


def dashboard_figures_sql() -> Callable[[], None]:
    """The dashboard's main figures for the current school year, written by hand (the floor)."""
    today = timezone.localdate()
    starts, ends = school_year(today.year if today.month >= 9 else today.year - 1).range()
    last_year = school_year((today.year if today.month >= 9 else today.year - 1) - 1).range()
    period = [starts, ends]
    return sql_many(
        [
            (
                "SELECT channel, count(*) FROM reports_report WHERE received_at >= %s AND received_at < %s "
                "GROUP BY channel",
                period,
            ),
            (
                "SELECT priority, state, count(*) FROM cases_case WHERE opened_at >= %s AND opened_at < %s "
                "GROUP BY priority, state",
                period,
            ),
            (
                "SELECT priority, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "
                "taken_in_charge_at - opened_at)), percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM "
                "taken_in_charge_at - opened_at)) FROM cases_case WHERE opened_at >= %s AND opened_at < %s "
                "AND taken_in_charge_at IS NOT NULL GROUP BY priority",
                period,
            ),
            (
                "SELECT closure_outcome, count(*) FROM cases_case WHERE closed_at >= %s AND closed_at < %s "
                "GROUP BY closure_outcome",
                period,
            ),
            (
                "SELECT f.day, f.victim_view, count(*), avg(f.wellbeing) FROM cases_followup f "
                "JOIN cases_case c ON c.id = f.case_id WHERE c.opened_at >= %s AND c.opened_at < %s "
                "AND f.done_at IS NOT NULL GROUP BY f.day, f.victim_view",
                period,
            ),
            (
                "SELECT a.owner_organisation_id, a.status, count(*), count(*) FILTER (WHERE a.due_at < now()) "
                "FROM cases_action a WHERE a.created_at >= %s AND a.created_at < %s GROUP BY 1, 2",
                period,
            ),
            ("SELECT count(*) FROM cases_transition WHERE name = 'reopen' AND at >= %s AND at < %s", period),
            (
                "SELECT count(*) FROM (SELECT i.person_id FROM cases_involvement i JOIN cases_case c "
                "ON c.id = i.case_id WHERE i.role = 'alleged_author' AND c.opened_at >= %s AND c.opened_at < %s "
                "GROUP BY i.person_id HAVING count(DISTINCT i.case_id) > 1) repeated",
                period,
            ),
            (
                "SELECT count(*), count(*) FILTER (WHERE status = 'held') FROM meetings_meeting "
                "WHERE starts_at >= %s AND starts_at < %s",
                period,
            ),
            (
                "SELECT s.departement, s.commune, count(*) FROM reports_report r JOIN directory_school s "
                "ON s.id = r.school_id WHERE r.received_at >= %s AND r.received_at < %s GROUP BY 1, 2",
                list(last_year),
            ),
        ]
    )


def dashboard_rows(client: Client, runs: int) -> list[Row]:
    get = page(client, "/pilotage/")
    started = time.perf_counter()
    get()
    cold = (time.perf_counter() - started) * 1000
    queries = QueryCounter().around(get)
    warm_runs = max(3, runs // 4)
    samples = timed(get, warm_runs, warm=0)
    floor = dashboard_figures_sql()
    floor_samples = timed(floor, warm_runs)
    return [
        Row(name="/pilotage/ (première requête)", value=cold, unit="ms", goal=1000),
        Row(
            name="/pilotage/",
            value=statistics.median(samples),
            unit="ms p50",
            floor=statistics.median(floor_samples),
            ratio_goal=2.0,
            queries=queries,
            note="plancher : 10 requêtes SQL écrites à la main",
        ),
    ]


def suggestion_row(runs: int) -> Row:
    typed = [("Léa", "Martin", date(2012, 3, 4)), ("Lucas", "Dubois", None), ("Inès", "Petit", date(2011, 5, 6))]
    calls = iter(typed * (runs + 2))

    def suggest() -> None:
        first, last, born = next(calls)
        suggest_people(first_name=first, last_name=last, birth_date=born)

    samples = timed(suggest, runs)
    return Row(name="suggest_people", value=percentile(samples, 0.95), unit="ms p95", goal=20)


# --- Intake through gunicorn ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _payload(n: int, uai: str) -> bytes:
    return json.dumps(
        {
            "reporter_kind": "parent",
            "school_uai": uai,
            "forms": ["verbal", "exclusion"],
            "description": f"Ma fille est insultée tous les jours à la récréation depuis la rentrée ({n}).",
            "pupils": [{"first_name": "Léa", "role": "victim"}, {"first_name": "Tom", "role": "alleged_author"}],
        }
    ).encode()


def _hammer(port: int, path: str, headers: dict, uai: str, clients: int, seconds: float) -> tuple[int, list, list]:
    """`clients` threads posting for `seconds`, each on its own keep-alive connection."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(index: int) -> None:
        http = HTTPConnection("127.0.0.1", port, timeout=30)
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            body = _payload(index * 1_000_000 + count, uai)
            started = time.perf_counter()
            try:
                http.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
                answer = http.getresponse()
                answer.read()
                status = answer.status
            except OSError as error:
                http.close()
                http = HTTPConnection("127.0.0.1", port, timeout=30)
                status, elapsed = 0, str(error)
            spent = (time.perf_counter() - started) * 1000
            with lock:
                if status == 201:
                    latencies.append(spent)
                elif len(failures) < 5:
                    failures.append(f"{path}: {status or elapsed}")
        http.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return int(len(latencies) / (time.perf_counter() - started)), latencies, failures


def intake_rows(
    raw_key: str, uai: str, *, clients: int, workers: int, seconds: float, env: dict, log: Path
) -> list[Row]:
    """Serve with gunicorn as production does (its configuration, `workers` processes), then post reports
    to the API and, as the floor, the same bodies to the one-INSERT view."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, body text NOT NULL)")
    connection.close()
    port = _free_port()
    server_env = {**env, "HALTE_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    server_log = log.open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:halte.core.gunicorn_conf"],
        cwd=ROOT,
        env=server_env,
        stdout=server_log,
        stderr=server_log,
    )
    try:
        _wait_until_serving(server, port)
        base = {"Host": HOST, "X-Forwarded-Proto": "https", "Content-Type": "application/json"}
        api = {**base, "X-Api-Key": raw_key}
        _hammer(port, "/api/v1/reports", api, uai, clients, min(2.0, seconds / 4))  # workers warm
        _hammer(port, "/banc-d-essai/plancher/", base, uai, clients, min(2.0, seconds / 4))
        api_rate, api_latencies, api_failures = _hammer(port, "/api/v1/reports", api, uai, clients, seconds)
        floor_rate, floor_latencies, floor_failures = _hammer(
            port, "/banc-d-essai/plancher/", base, uai, clients, seconds
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
    label = f"{clients} clients, gunicorn {workers} workers"
    return [
        Row(
            name=f"POST /api/v1/reports ({label})",
            value=api_rate,
            unit="req/s",
            floor=floor_rate,
            ratio_goal=0.5,
            higher_is_better=True,
            note="plancher : vue Django d’un seul INSERT",
            errors=api_failures + floor_failures,
        ),
        Row(
            name="POST /api/v1/reports, latence",
            value=percentile(api_latencies, 0.95) if api_latencies else None,
            unit="ms p95",
            goal=150,
            floor=percentile(floor_latencies, 0.95) if floor_latencies else None,
        ),
    ]


def _wait_until_serving(server: subprocess.Popen, port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped: see its log under var/bench/")
        try:
            http = HTTPConnection("127.0.0.1", port, timeout=2)
            http.request("GET", "/healthz", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            http.getresponse().read()
            http.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")
