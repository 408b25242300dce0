"""Display settings: the footer's « Paramètres d’affichage » switch the site to the dark theme by
keyboard, the choice stays on the device, and axe finds nothing in the dark theme either — public
pages, the staff home and the dashboard's charts."""

import pytest

from halte.demo.loader import load_demo

from .test_stats import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def theme(page) -> str:
    return page.evaluate("document.documentElement.getAttribute('data-fr-theme')")


def shows(page, expected: str) -> None:
    """The DSFR's script sets the theme once it has started: wait for it (10 s at most), then say."""
    page.wait_for_function("t => document.documentElement.getAttribute('data-fr-theme') === t", arg=expected)
    assert theme(page) == expected


def settled(page, selector: str) -> None:
    """Wait for the end of the DSFR's opening fade: axe would read half-faded colours."""
    page.wait_for_function(
        "s => { const el = document.querySelector(s); return el && getComputedStyle(el).opacity === '1'; }",
        arg=selector,
    )


def test_the_dark_theme_is_chosen_by_keyboard_kept_and_accessible(page, assert_accessible):
    load_demo()
    page.emulate_media(reduced_motion="reduce")
    page.goto("/")
    shows(page, "light")
    settings_button = page.get_by_role("button", name="Paramètres d’affichage")
    settings_button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Paramètres d’affichage")
    dialog.wait_for(state="visible")
    settled(page, "#parametres-affichage")
    page.wait_for_timeout(400)  # the close button's own colour transition
    assert_accessible(page)
    page.get_by_label("Thème sombre").focus()
    page.keyboard.press("Space")
    page.wait_for_function("document.documentElement.getAttribute('data-fr-theme') === 'dark'")
    dialog.get_by_role("button", name="Fermer").focus()
    page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")

    for path in ("/", "/donnees-personnelles/", "/signaler/"):
        page.goto(path)
        shows(page, "dark")  # kept by the browser from one page to the next
        assert_accessible(page)
    log_in(page, "coordination")
    for path in ("/espace/", "/pilotage/"):
        page.goto(path)
        shows(page, "dark")
        assert_accessible(page)
    # The chart's words take the theme's text colour, not the light theme's near-black.
    fill = page.evaluate("getComputedStyle(document.querySelector('.halte-chart svg text')).fill")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert fill != "rgb(22, 22, 22)" and fill != background


def test_the_device_theme_is_followed_until_one_is_chosen(browser, live_server, db):
    context = browser.new_context(base_url=live_server.url, color_scheme="dark", locale="fr-FR")
    page = context.new_page()
    page.goto("/")
    shows(page, "dark")
    context.close()
