"""The main pages validate with the W3C's Nu HTML Checker (vnu), the tool partners' auditors run.

Every page below is rendered through the test client, written to a file and checked in one run of
vnu.jar (one Java start, a few seconds). Any error fails, except the few that django-dsfr's own
markup produces (listed in ``DSFR_ALLOWLIST`` with the reason each is there): those are not Halte's
to fix, and each entry must still match something, so that a fixed upstream markup drops out of the
list instead of hiding a new error of ours.

vnu.jar is fetched by ``scripts/ensure-vnu`` (``make test`` runs it) into ``.tools/vnu/``; Java is a
Debian package (``scripts/ensure-system-packages``). ``HALTE_VNU_JAR`` points elsewhere if needed.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import reverse

from halte.cases.enums import PersonKind
from halte.cases.models import Person
from halte.reports.actions import PupilData, ReportData, submit_report
from tests.meetings.conftest import cell  # noqa: F401 (fixture)
from tests.reports.helpers import post_step, pupils_data

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = Path(os.environ.get("HALTE_VNU_JAR") or ROOT / ".tools" / "vnu" / "vnu.jar")


@dataclass(frozen=True)
class Allowed:
    """An error of django-dsfr's markup: its message and the markup it is about (regular expressions,
    both must match), and why it is tolerated."""

    message: str
    extract: str
    why: str


# What django-dsfr injects and Halte cannot change without forking its templates.
DSFR_ALLOWLIST: tuple[Allowed, ...] = (
    Allowed(
        message=r"^Attribute “dsfr” not allowed on element “input”",
        extract=r'<input type="(radio|checkbox)" [^>]*dsfr="dsfr"',
        why=(
            "django-dsfr marks radio buttons and checkbox lists with a `dsfr` attribute "
            "(dsfr.utils.dsfr_input_class_attr) that its own option templates read to render the DSFR "
            "markup, and renders it into the <input>. Browsers ignore the unknown attribute."
        ),
    ),
    Allowed(
        message=r"^The “aria-labelledby” attribute must not be specified on any “div” element unless",
        extract=r'<div class="fr-header__menu fr-modal"',
        why=(
            "The DSFR header's menu, as django-dsfr's dsfr/header.html writes it (Halte's headers follow "
            'it): on small screens the DSFR script turns this <div> into a dialog (role="dialog", '
            "aria-modal) named by its button through aria-labelledby; with no script, or on a large "
            "screen, the attribute has no effect."
        ),
    ),
)


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def _page(client, url: str, pages: dict[str, str], name: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (name, url, response.status_code)
    assert response["Content-Type"].startswith("text/html"), (name, url)
    pages[name] = response.content.decode()


def public_pages(client) -> dict[str, str]:
    pages: dict[str, str] = {}
    _page(client, reverse("www:home"), pages, "accueil-public")
    _page(client, reverse("reports:start"), pages, "signaler-debut")
    post_step(client, "qui", {"reporter_kind": "parent", "anonymity": "anonymous"})
    _page(client, reverse("reports:step", args=["etablissement"]), pages, "signaler-etablissement")
    post_step(client, "etablissement", {"school": "0800020M"})
    _page(client, reverse("reports:step", args=["eleves"]), pages, "signaler-eleves")
    post_step(client, "eleves", pupils_data([("Léa", "victim"), ("Kevin", "alleged_author")]))
    _page(client, reverse("reports:step", args=["faits"]), pages, "signaler-faits")
    facts = {
        "bullying_forms": ["verbal"],
        "since": "months",
        "frequency": "daily",
        "places": ["playground"],
        "description": "Depuis la rentrée, deux élèves insultent ma fille tous les jours dans la cour.",
    }
    post_step(client, "faits", facts)
    _page(client, reverse("reports:step", args=["bien-etre"]), pages, "signaler-bien-etre")
    post_step(client, "bien-etre", {"distress_signs": [], "immediate_danger": "no"})
    _page(client, reverse("reports:step", args=["envoyer"]), pages, "signaler-envoyer")
    receipt = post_step(client, "envoyer", {"files": []})
    assert receipt.status_code == 200
    pages["signaler-recu"] = receipt.content.decode()
    client.logout()
    _page(client, reverse("accounts:login"), pages, "connexion")
    return pages


def staff_pages(client, login, people, cell) -> dict[str, str]:  # noqa: F811
    # A pupil record of the school with the name of a reported pupil: triage proposes to reuse it.
    Person(kind=PersonKind.PUPIL, first_name="Jade", last_name="Martin", school=people.school_a_staff.school).save()
    report = submit_report(
        data=ReportData(
            channel="phone",
            reporter_kind="parent",
            description="Des élèves insultent Jade tous les jours dans la cour depuis des mois.",
            school=people.school_a_staff.school,
            frequency="daily",
            since="months",
            forms=["verbal"],
            pupils=[
                PupilData(first_name="JADE", last_name="MARTIN", role="victim"),
                PupilData(first_name="Kevin", role="alleged_author"),
            ],
        ),
        actor=people.coordinator,
    ).report
    login(client, people.coordinator)
    pages: dict[str, str] = {}
    _page(client, reverse("www:staff_home"), pages, "espace")
    _page(client, reverse("reports:queue"), pages, "signalements")
    _page(client, reverse("cases:triage", args=[report.public_id]), pages, "tri")
    assert "Cet élève a peut-être déjà une fiche" in pages["tri"]
    _page(client, reverse("cases:list"), pages, "dossiers")
    _page(client, reverse("cases:detail", args=[cell.case_a.public_id]), pages, "dossier")
    _page(client, reverse("meetings:list"), pages, "reunions")
    _page(client, reverse("meetings:detail", args=[cell.meeting.public_id]), pages, "reunion")
    _page(client, reverse("meetings:record_held"), pages, "reunion-deja-tenue")
    _page(client, reverse("stats:dashboard"), pages, "pilotage")
    return pages


def run_vnu(pages: dict[str, str], folder: Path) -> list[dict]:
    if shutil.which("java") is None or not VNU_JAR.is_file():
        pytest.fail(
            "Le validateur HTML Nu est introuvable (Java et .tools/vnu/vnu.jar) : lancez « make test », qui "
            "les installe (scripts/ensure-system-packages)."
        )
    files = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    java = shutil.which("java") or "java"
    result = subprocess.run(  # noqa: S603 - the pinned checker on files we just wrote
        [java, "-Xss4m", "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--errors-only", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return json.loads(result.stdout)["messages"]


def _where(message: dict) -> str:
    page = Path(message.get("url", "")).stem
    return f"{page}:{message.get('lastLine', '?')}: {message['message']} — {message.get('extract', '').strip()!r}"


def check(messages: list[dict]) -> tuple[list[str], set[Allowed]]:
    errors, used = [], set()
    for message in messages:
        if message.get("type") != "error" and message.get("subType") != "fatal":
            continue
        allowed = next(
            (
                a
                for a in DSFR_ALLOWLIST
                if re.search(a.message, message["message"]) and re.search(a.extract, message.get("extract", ""))
            ),
            None,
        )
        if allowed is None:
            errors.append(_where(message))
        else:
            used.add(allowed)
    return errors, used


@pytest.mark.django_db
def test_the_main_pages_are_valid_html(client, login, people, cell, tmp_path):  # noqa: F811
    pages = public_pages(client)
    pages.update(staff_pages(client, login, people, cell))

    errors, used = check(run_vnu(pages, tmp_path))

    assert not errors, "Erreurs du validateur HTML Nu :\n" + "\n".join(errors)
    assert used == set(DSFR_ALLOWLIST), f"Exceptions devenues inutiles : {set(DSFR_ALLOWLIST) - used}"


def test_the_checker_does_fail_on_invalid_markup(tmp_path):
    """The check is not blind: a stray end tag and a duplicate id are errors."""
    page = (
        '<!DOCTYPE html><html lang="fr"><head><title>t</title></head>'
        '<body><p id="a">x</p></div><p id="a"></p></body></html>'
    )

    errors, _used = check(run_vnu({"cassee": page}, tmp_path))

    assert any("Stray end tag" in e for e in errors), errors
    assert any("Duplicate ID" in e for e in errors), errors
