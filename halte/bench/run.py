"""One benchmark run, once Django is set up with the bench settings: load (or reuse), then measure."""

import logging
import os
import platform
import sys
import time
from argparse import Namespace
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from halte.accounts.models import Membership, Organisation, OrganisationKind
from halte.cases.models import Case
from halte.directory.models import School
from halte.reports import apikeys

from . import loader, measure
from .report import Row

META_TABLE = "bench_meta"


def _save_meta(cases: int, cast: loader.Cast, stats: loader.LoadStats) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {META_TABLE} (cases integer, seconds double precision, rows bigint, "
            "timeline_case bigint, bench_school bigint)"
        )
        cursor.execute(
            f"INSERT INTO {META_TABLE} VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
            [cases, stats.seconds, stats.total, cast.timeline_case.pk, cast.bench_school.pk],
        )


def _reused(cases: int) -> tuple[loader.Cast, loader.LoadStats]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cursor.fetchone()[0] is None:
            raise SystemExit("Banc d’essai : la base à réutiliser n’a pas été chargée par le banc d’essai.")
        cursor.execute(f"SELECT cases, seconds, rows, timeline_case, bench_school FROM {META_TABLE}")  # noqa: S608
        loaded, seconds, rows, timeline_case, bench_school = cursor.fetchone()
    if loaded != cases:
        raise SystemExit(
            f"Banc d’essai : la base réutilisée contient {loaded} dossiers, pas {cases} "
            "(BENCH_CASES différent : relancez sans BENCH_REUSE)."
        )
    memberships = Membership.objects.select_related("user", "organisation")
    cast = loader.Cast(
        coordinator=memberships.get(user__email=f"coordination@{loader.DOMAIN}"),
        school_staff=memberships.get(user__email=f"cpe@{loader.DOMAIN}"),
        timeline_case=Case.objects.get(pk=timeline_case),
        bench_school=School.objects.get(pk=bench_school),
    )
    stats = loader.LoadStats(seconds=seconds, rows={"rows": rows})
    return cast, stats


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cœur(s) {model}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def _log_to(path: Path) -> None:
    """The application's log lines (one per request, as in production) go to a file, not over the table."""
    stream = path.open("a", encoding="utf-8")
    for name in ("", "django"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(stream)


def run(opts: Namespace, *, fresh: bool, env: dict[str, str]) -> tuple[list[Row], dict[str, str]]:
    var_dir = Path(env["HALTE_VAR_DIR"])
    _log_to(var_dir / "application.log")
    started = time.perf_counter()

    def phase(name: str) -> None:
        print(f"Banc d’essai : {name} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    if fresh:
        call_command("migrate", verbosity=0)
        phase("migrations faites")
        call_command("createcachetable", verbosity=0)
        print(f"Banc d’essai : chargement de {opts.cases} dossiers…", file=sys.stderr)
        cast, stats = loader.load(opts.cases, stdout=sys.stderr)
        _save_meta(opts.cases, cast, stats)
    else:
        cast, stats = _reused(opts.cases)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cases_case")
        total_cases = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cases_person")
        persons = cursor.fetchone()[0]

    print("Banc d’essai : mesures…", file=sys.stderr)
    rows: list[Row] = [measure.load_row(opts.cases, stats)]
    phase("chargement fait")
    rows += measure.tick_rows()
    phase("tick mesuré")
    rows += measure.page_rows(cast.coordinator, cast.school_staff, cast.timeline_case, opts.runs)
    rows.append(measure.suggestion_row(opts.runs * 5))
    phase("pages mesurées")
    with transaction.atomic():
        partner = Organisation.objects.create(
            name="Plateforme partenaire (banc d’essai)", kind=OrganisationKind.ASSOCIATION
        )
        _key, raw_key = apikeys.create_key(organisation=partner, name="Banc d’essai")
    rows += measure.intake_rows(
        raw_key,
        cast.bench_school.uai,
        clients=opts.clients,
        workers=opts.workers,
        seconds=opts.intake_seconds,
        env=env,
        log=var_dir / "gunicorn.log",
    )
    phase("dépôts mesurés")
    context = {
        "Date": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
        "Machine": machine(),
        "PostgreSQL": f"{server} (configuration du serveur telle quelle)",
        "Données": f"{total_cases} dossiers, {persons} personnes ({'chargées' if fresh else 'réutilisées'})",
        "Commande": f"make bench BENCH_CASES={opts.cases}"
        + (" BENCH_ENFORCE=1" if opts.enforce else " BENCH_ENFORCE=0"),
        "Pages": f"{opts.runs} requêtes par page après une requête d’échauffement, client de test Django en "
        "processus, connexion réelle (mot de passe et TOTP)",
    }
    return rows, context
