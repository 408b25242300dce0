"""A child files a report with the keyboard only; the coordinator answers; the child reads the answer."""

import base64
import hashlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import totp
from PIL import Image

from halte.accounts.models import Role
from halte.demo.loader import account_sheet, load_demo
from halte.reports import vault
from halte.reports.models import Evidence, Report
from tests.reports.helpers import jpeg_with_gps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def focus(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def press_on(page, selector: str, key: str = "Enter") -> None:
    focus(page, selector)
    page.keyboard.press(key)


def test_child_reports_with_keyboard_only_and_reads_the_reply(page, browser, live_server, assert_accessible, tmp_path):
    load_demo()
    photo = jpeg_with_gps()
    photo_path = Path(tmp_path) / "capture.jpg"
    photo_path.write_bytes(photo)

    # Listening from the start makes the browser hand file dialogs to the test before any key is pressed:
    # enabling that interception only when the key goes down races with the key under load.
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))

    page.goto("/")
    assert_accessible(page)
    press_on(page, "a[href='/signaler/']")
    page.wait_for_url("**/signaler/")
    assert_accessible(page)
    press_on(page, "button.fr-btn--lg")

    # Step 1: who — a pupil who is bullied, anonymous.
    page.wait_for_url("**/signaler/qui/")
    assert_accessible(page)
    focus(page, "input[name='reporter_kind']")
    page.keyboard.press("Space")
    focus(page, "input[name='anonymity']")
    page.keyboard.press("Space")
    press_on(page, "button[type='submit']")

    # Step 2: the school, found by searching.
    page.wait_for_url("**/signaler/etablissement/")
    focus(page, "input[name='school_query']")
    page.keyboard.type("amiral lejeune")
    press_on(page, "button[name='search']")
    page.wait_for_selector("input[name='school'][value='0800020M']")
    assert_accessible(page)
    focus(page, "input[name='school'][value='0800020M']")
    page.keyboard.press("Space")
    press_on(page, "button[type='submit']:not([name])")

    # Step 3: the pupils.
    page.wait_for_url("**/signaler/eleves/")
    assert_accessible(page)
    focus(page, "input[name='form-0-first_name']")
    page.keyboard.type("Kevin")
    focus(page, "select[name='form-0-role']")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    press_on(page, "button[type='submit']")

    # Step 4: what happens.
    page.wait_for_url("**/signaler/faits/")
    assert_accessible(page)
    focus(page, "input[name='bullying_forms'][value='verbal']")
    page.keyboard.press("Space")
    focus(page, "input[name='since']")
    page.keyboard.press("Space")
    focus(page, "input[name='frequency']")
    page.keyboard.press("Space")
    focus(page, "textarea[name='description']")
    page.keyboard.type("Kevin m'insulte tous les jours dans la cour et tout le monde rigole.")
    press_on(page, "button[type='submit']")

    # Step 5: how the child feels.
    page.wait_for_url("**/signaler/bien-etre/")
    assert_accessible(page)
    focus(page, "input[name='distress_signs'][value='sad']")
    page.keyboard.press("Space")
    focus(page, "input[name='immediate_danger'][value='no']")
    page.keyboard.press("Space")
    press_on(page, "button[type='submit']")

    # Step 6: evidence, chosen from the keyboard, then send.
    page.wait_for_url("**/signaler/envoyer/")
    assert_accessible(page)
    focus(page, "input[type='file']")
    page.keyboard.press("Space")
    for _ in range(300):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, "Space on the file field opened no file dialog"
    choosers[-1].set_files(str(photo_path))
    press_on(page, "button[type='submit']")

    page.wait_for_selector("#code-de-suivi")
    assert_accessible(page)
    code = page.locator("#code-de-suivi").inner_text()
    assert re.fullmatch(r"(\d{4} ){4}\d{4}", code)

    # The vault kept the original encrypted, with its digest, and a display copy without EXIF.
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(photo).hexdigest()
    on_disk = (Path(settings.MEDIA_ROOT) / evidence.original_path).read_bytes()
    assert photo[:64] not in on_disk and b"\xff\xd8\xff" not in on_disk[:16]
    assert vault.read_original(evidence) == photo
    display = Image.open(io.BytesIO(vault.read_display(evidence)))
    assert len(display.getexif()) == 0
    assert "exif" not in display.info

    # The coordinator sees it in the queue and answers.
    coordinator = next(a for a in account_sheet() if a["role"] == Role.COORDINATOR)
    staff = browser.new_context(base_url=live_server.url, locale="fr-FR")
    staff_page = staff.new_page()
    staff_page.goto("/connexion/")
    staff_page.get_by_label("Adresse électronique").fill(coordinator["email"])
    staff_page.get_by_label("Mot de passe").fill(coordinator["password"])
    staff_page.get_by_role("button", name="Se connecter").click()
    staff_page.get_by_label("Code à 6 chiffres").fill(f"{totp(base64.b32decode(coordinator['totp_secret'])):06d}")
    staff_page.get_by_role("button", name="Valider").click()
    staff_page.wait_for_url("**/espace/")
    staff_page.goto("/signalements/")
    assert_accessible(staff_page)
    report = Report.objects.get(evidence__isnull=False)
    staff_page.get_by_role("link", name=report.reference).click()
    assert "Kevin m'insulte tous les jours" in staff_page.locator("main").inner_text()
    assert_accessible(staff_page)
    staff_page.get_by_label("Réponse à la personne qui a signalé").fill("Merci de nous avoir écrit. On s'en occupe.")
    staff_page.get_by_role("button", name="Envoyer la réponse").click()
    staff_page.wait_for_selector("text=Réponse envoyée")
    staff.close()

    # Back to the child: the code opens the mailbox, the reply is there.
    page.goto("/suivi/")
    assert_accessible(page)
    focus(page, "input[name='code']")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url("**/suivi/messages/")
    assert "Merci de nous avoir écrit. On s'en occupe." in page.locator("main").inner_text()
    assert_accessible(page)


def test_public_pages_are_accessible(page, assert_accessible, db):
    for url in ["/urgence/", "/signaler/", "/suivi/"]:
        page.goto(url)
        assert_accessible(page)


def test_quick_exit_leaves_and_replaces_history(page, live_server, settings):
    settings.HALTE = {**settings.HALTE, "QUICK_EXIT_URL": f"{live_server.url}/healthz"}
    page.goto("/")
    page.goto("/signaler/")
    page.get_by_role("link", name="Quitter vite ce site").click()
    page.wait_for_url("**/healthz")
    page.go_back()
    # The reporting page was replaced: going back lands on the page before it, not on /signaler/.
    assert not page.url.endswith("/signaler/")
