"""`python -m halte.bench` (`make bench`): build, serve and measure; print one table; exit 1 on a missed goal.

Settings come from the environment (each also an option, see ``--help``): ``BENCH_CASES`` (20,000),
``BENCH_ENFORCE`` (on from 100,000 cases), ``BENCH_REUSE`` (keep a database already loaded with as many
cases, and keep it after), ``BENCH_KEEP`` (do not drop the database at the end), ``BENCH_RUNS`` (requests
per page, 20), ``BENCH_INTAKE_SECONDS`` (10), ``BENCH_CLIENTS`` (16), ``BENCH_WORKERS`` (4),
``BENCH_DATABASE_URL`` (``postgres://postgres@127.0.0.1:5432/halte_bench``: the database's name must start
with ``halte_bench``, since the run drops and creates it).
"""

import argparse
import base64
import os
import sys
from pathlib import Path

from .report import database_name, exit_status, render

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/halte_bench"
PUBLIC_HOST = "halte.exemple.gouv.fr"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "")
    return default if value == "" else value.strip().lower() not in {"0", "false", "no", "non"}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m halte.bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", "20000")))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "20")))
    parser.add_argument("--intake-seconds", type=float, default=float(os.environ.get("BENCH_INTAKE_SECONDS", "10")))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", "16")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "4")))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    # An empty database already migrated to copy instead of migrating a new one (the CI smoke run).
    parser.add_argument("--template", default=os.environ.get("BENCH_TEMPLATE") or None)
    parser.add_argument("--enforce", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--reuse", action=argparse.BooleanOptionalAction, default=_flag("BENCH_REUSE", False))
    parser.add_argument("--keep", action=argparse.BooleanOptionalAction, default=_flag("BENCH_KEEP", False))
    parsed = parser.parse_args(argv)
    if parsed.enforce is None:
        parsed.enforce = _flag("BENCH_ENFORCE", parsed.cases >= 100_000)
    if parsed.cases < 1 or parsed.runs < 1 or parsed.clients < 1 or parsed.workers < 1:
        parser.error("--cases, --runs, --clients et --workers doivent être positifs.")
    return parsed


def production_environment(database_url: str, var_dir: Path) -> dict[str, str]:
    """The production settings as an operator sets them, for a throwaway server of the benchmark."""
    for sub in ("media", "journal", "static"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    keys = var_dir / "secret.key"
    if not keys.exists():  # written whole or not at all: two runs may start together
        fresh = var_dir / f"secret.key.{os.getpid()}"
        fresh.write_text(base64.b64encode(os.urandom(32)).decode())
        os.replace(fresh, keys)
    own = ("HALTE_", "DATABASE_URL", "SITE_URL", "DEFAULT_FROM_EMAIL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own) and k not in {"DEBUG", "PORT"}}
    env.update(
        {
            "HALTE_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "halte.bench.settings",
            "HALTE_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url,
            "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
            "ALLOWED_HOSTS": f"testserver,127.0.0.1,{PUBLIC_HOST}",
            "SITE_URL": f"https://{PUBLIC_HOST}",
            "DEFAULT_FROM_EMAIL": f"Halte <ne-pas-repondre@{PUBLIC_HOST}>",
            "HALTE_EVIDENCE_KEYS": f"banc:{keys.read_text().strip()}",
            "HALTE_RECEIPT_KEYS": f"banc:{keys.read_text().strip()}",
            "HALTE_CUSTODY_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
            "HALTE_CLAMD_URL": "unix:///run/clamav/clamd.ctl",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def main(argv: list[str] | None = None) -> int:
    opts = options(argv)
    try:
        name = database_name(opts.database_url)
    except ValueError as error:
        print(f"Banc d’essai : {error}", file=sys.stderr)
        return 2
    from .database import prepare_database

    fresh = prepare_database(opts.database_url, name, reuse=opts.reuse, template=opts.template)
    env = production_environment(opts.database_url, ROOT / "var" / "bench")
    os.environ.update(env)

    import django

    django.setup()
    from .run import run

    try:
        rows, context = run(opts, fresh=fresh, env=env)
    finally:
        from django.db import connections

        connections.close_all()
        if not (opts.keep or opts.reuse):
            from .database import drop_database

            drop_database(opts.database_url, name)
    print(render(rows, context, enforce=opts.enforce))
    return exit_status(rows, enforce=opts.enforce)


if __name__ == "__main__":
    sys.exit(main())
