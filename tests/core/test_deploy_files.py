"""What `deploy/` ships is true: every setting the code reads is documented in the example
environment, the example itself passes the deployment checks, and the systemd units are valid."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXAMPLE = DEPLOY / "halte.env.example"

# Names read through a constant rather than a literal (halte/reports/vault.py), and by scripts/prod.
INDIRECT = {"HALTE_EVIDENCE_KEYS", "MIGRATION_DATABASE_URL", "HALTE_VAR_DIR", "PROCONNECT_MFA_ACR_VALUES"}
READ = re.compile(
    r"""(?:env\.(?:str|bool|int|list)\(\s*|secret\(|environ\.get\(|environ\[|getenv\()["']([A-Z][A-Z0-9_]+)["']"""
)


def settings_read_by_the_code() -> set[str]:
    names = set(INDIRECT)
    for path in (ROOT / "halte").rglob("*.py"):
        if "bench" in path.relative_to(ROOT / "halte").parts[:1]:
            continue  # `make bench` is a tool run beside the server, not a setting of it (docs/benchmarks.md)
        names.update(READ.findall(path.read_text(encoding="utf-8")))
    # PORT only exists in development (make run); secrets are documented by NAME or NAME_FILE.
    return {name.removesuffix("_FILE") for name in names} - {"DJANGO_SETTINGS_MODULE", "PORT"}


def documented() -> set[str]:
    text = EXAMPLE.read_text(encoding="utf-8")
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_the_example_documents_every_setting_the_code_reads():
    code = settings_read_by_the_code()
    assert {"SITE_URL", "HALTE_BIND", "SECRET_KEY", "HALTE_EVIDENCE_KEYS"} <= code  # the scan works
    written = documented()
    missing = {name for name in code if name not in written and f"{name}_FILE" not in written}
    assert not missing, f"not in deploy/halte.env.example: {sorted(missing)}"


def test_every_documented_setting_is_explained():
    """Each setting follows its explanation; only a family (PROCONNECT_…) may share one."""
    setting = re.compile(r"^#?([A-Z][A-Z0-9]+)_?[A-Z0-9_]*=")
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if match := setting.match(line):
            before = lines[index - 1]
            family = setting.match(before)
            explained = before.startswith("#") and not family
            assert explained or (family and family.group(1) == match.group(1) == "PROCONNECT"), (
                f"{line!r} comes without an explanation"
            )


def _load_example(tmp_path: Path) -> dict[str, str]:
    """Read the example as `scripts/prod` does (sh, `set -a; .`), secrets pointing at real files."""
    secrets = {
        "SECRET_KEY_FILE": "a-production-secret-that-is-long-enough-0123456789-abcdefghijklmnop",
        "HALTE_EVIDENCE_KEYS_FILE": "2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "HALTE_RECEIPT_KEYS_FILE": "r2026:a-receipt-secret-for-the-deploy-example-0123456789",
        "MIGRATION_DATABASE_URL_FILE": "postgres://halte_owner@127.0.0.1:5432/halte",
        "HALTE_CUSTODY_SIGNING_KEY_FILE": "c2lnbmF0dXJlLWNoZWNrLWRlcGxveS1vbmx5LTAxMjM=",
    }
    text = EXAMPLE.read_text(encoding="utf-8")
    for name, value in secrets.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n", encoding="utf-8")
        text = re.sub(rf"^{name}=.*$", f"{name}={path}", text, flags=re.MULTILINE)
    text = text.replace("HALTE_VAR_DIR=/var/lib/halte", f"HALTE_VAR_DIR={tmp_path}")
    example = tmp_path / "halte.env"
    example.write_text(text, encoding="utf-8")
    dump = subprocess.run(  # noqa: S603 - sh reading our own example
        [
            "/bin/sh",
            "-c",
            f'set -a; . "{example}"; exec "{sys.executable}" -c "import os, json; print(json.dumps(dict(os.environ)))"',
        ],
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    import json

    return json.loads(dump.stdout)


def test_the_example_is_read_by_sh_as_systemd_reads_it(tmp_path):
    env = _load_example(tmp_path)
    assert env["DEFAULT_FROM_EMAIL"] == "Halte <ne-pas-repondre@halte.exemple.gouv.fr>"
    assert env["HALTE_OPERATOR_NAME"].endswith("de l'Éducation nationale de la Somme")
    assert env["HALTE_ENV"] == "production"


def test_the_example_passes_the_deployment_checks(tmp_path):
    env = _load_example(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "halte.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


UNITS = sorted(p.name for p in DEPLOY.iterdir() if p.suffix in {".service", ".timer"})


def test_the_units_asked_for_are_shipped():
    assert {"halte-web.service", "halte-worker.service", "halte-tick.service", "halte-tick.timer"} <= set(UNITS)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_are_valid(tmp_path):
    for name in UNITS:
        # The units name /srv/halte; point them at this checkout so that every command exists.
        text = (DEPLOY / name).read_text(encoding="utf-8").replace("/srv/halte", str(ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - systemd's own checker
        [shutil.which("systemd-analyze") or "", "verify", "--man=no", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [line for line in result.stderr.splitlines() if "halte-" in line]
    assert not problems, "\n".join(problems)


def test_the_guide_and_the_readme_name_only_files_that_exist():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"deploy/([\w.-]+)(?![\w.*-])", guide))  # not the globs (halte-*.service)
    assert {"halte.env.example", "nginx-halte.conf"} <= named
    for name in named:
        assert (DEPLOY / name).exists(), f"docs/deploy.md names deploy/{name}, which does not exist"
    for unit in UNITS:
        assert unit in guide, f"{unit} is shipped but the guide never mentions it"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    production = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    assert "docs/deploy.md" in production
    assert readme.lstrip().startswith("# Halte\n\n```sh\nmake run")  # the two commands stay on top
