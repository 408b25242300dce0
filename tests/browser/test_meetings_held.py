"""The coordinator records this morning's emergency meeting by phone, after the fact, in a real
browser; axe finds nothing on the form, on its errors, nor on the meeting's page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from halte.demo.loader import load_demo
from halte.meetings.models import Meeting

from .test_stats import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def test_the_coordinator_records_this_mornings_emergency_meeting(page, assert_accessible):
    load_demo()
    log_in(page, "coordination")
    page.goto("/cellule/reunions/")
    page.get_by_role("link", name="Enregistrer une réunion déjà tenue").click()
    page.wait_for_url("**/reunions/deja-tenue/")
    assert_accessible(page)

    # In person without a place: refused, said in French, nothing saved.
    page.locator("label[for=id_mode_0]").click()  # DSFR radios are styled through their label
    page.get_by_role("button", name="Enregistrer la réunion").click()
    assert "Indiquez le lieu de la réunion en présence." in page.locator("main").inner_text()
    assert_accessible(page)

    earlier = timezone.localtime() - timedelta(hours=2)
    page.locator("label[for=id_mode_1]").click()
    page.get_by_label("Date à laquelle elle a eu lieu").fill(earlier.date().isoformat())
    page.get_by_label("Heure de début").fill(earlier.strftime("%H:%M"))
    page.locator("input[name=members] + label").first.click()
    page.get_by_role("button", name="Enregistrer la réunion").click()
    page.wait_for_url("**/reunions/*/")
    text = page.locator("main").inner_text()
    assert "Réunion enregistrée comme tenue" in text
    assert "Par téléphone" in text and "enregistrée après coup" in text
    assert_accessible(page)
    meeting = Meeting.objects.get(mode=Meeting.Mode.PHONE)
    assert meeting.status == Meeting.Status.HELD
