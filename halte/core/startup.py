"""Refuse to start in production, in French and without a traceback, before anything is served.

``problems()`` loads the settings (an ``ImproperlyConfigured`` there carries its own French message),
runs every system check, deployment checks and the database included (``halte.core.checks``), and,
for the web server, verifies that no migration is pending. Two callers:

* ``python -m halte.core.startup`` (``scripts/prod check``, run by ``scripts/prod prepare`` and before
  the task worker starts): exit status 1 and the French lines on any error;
* gunicorn's master (``halte.core.gunicorn_conf``), migrations included, before any worker is forked.
"""

from __future__ import annotations

import os
import sys


def problems(*, migrations: bool, static: bool | None = None) -> tuple[list[str], list[str]]:
    """Run the checks the service must pass; return (errors, warnings) as French lines."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "halte.settings")
    try:
        import django

        django.setup()
    except Exception as error:  # ImproperlyConfigured from settings, with its own French message
        return [f"{type(error).__name__} : {error}"], []
    from django.core import checks
    from django.db import DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    errors: list[str] = []
    warnings: list[str] = []
    try:
        for message in checks.run_checks(include_deployment_checks=True, databases=["default"]):
            if message.is_silenced():
                continue
            line = f"[{message.id}] {message.msg}" + (f" ({message.hint})" if message.hint else "")
            (errors if message.is_serious() else warnings).append(line)
        if migrations and not errors:
            try:
                executor = MigrationExecutor(connections["default"])
                pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            except DatabaseError as error:
                errors.append(f"Impossible de lire l’état des migrations : {error}")
            else:
                if pending:
                    errors.append(
                        f"{len(pending)} migration(s) non appliquée(s) : lancez « scripts/prod prepare » "
                        "(ou « make prod ») avant de démarrer le serveur."
                    )
            if migrations if static is None else static:
                errors += _static_files_problems()
    finally:
        connections.close_all()  # never hand an open connection to forked workers
    return errors, warnings


def _static_files_problems() -> list[str]:
    """The collected static files this machine's pages name: without them every page is a 500."""
    from django.conf import settings
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    if staticfiles_storage.exists(staticfiles_storage.manifest_name):
        return []
    return [
        f"les fichiers statiques ne sont pas collectés dans {settings.STATIC_ROOT} sur cette machine : "
        "lancez « scripts/prod prepare » (ou « scripts/prod manage collectstatic --no-input ») avant de démarrer."
    ]


def report(errors: list[str], warnings: list[str]) -> bool:
    """Print the warnings and errors in French on stderr; True when the service may start."""
    for line in warnings:
        print(f"Halte — avertissement : {line}", file=sys.stderr)
    if errors:
        print("Halte refuse de démarrer en production :", file=sys.stderr)
        for line in errors:
            print(f"  - {line}", file=sys.stderr)
    sys.stderr.flush()
    return not errors


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    ok = report(*problems(migrations="--migrations" in args))
    if ok:
        print("Halte : configuration vérifiée.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
