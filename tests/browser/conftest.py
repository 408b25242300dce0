"""Real-browser tests: Debian's headless Chromium driven by Playwright, axe-core for accessibility.

Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run inside one
unless told that this test process knows what it is doing.
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SOURCE = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium est introuvable : lancez « make test », qui l'installe (paquet Debian chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    # Console errors catch CSP violations and script errors; failed loads are judged by the listener below.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and errors.append(f"{page.url}: {message.text}")
        ),
    )
    # A missing stylesheet, script or image is a bug; a 404 *page* visited on purpose is not.
    page.on(
        "response",
        lambda response: (
            response.status == 404
            and response.request.resource_type != "document"
            and errors.append(f"404 {response.url}")
        ),
    )
    yield page
    context.close()
    # A CSP violation or a script error shows up in the console: none is acceptable.
    assert errors == []


# Only the violations are computed and sent back: collecting every rule's passes on a DSFR page costs more
# than the check itself, and nobody reads them.
AXE_RUN = """tags => (typeof axe === 'undefined' ? null : axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
}).then(results => results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target),
}))))"""


def axe_violations(page) -> list[str]:
    """axe-core injected through the DevTools protocol, so the page's own CSP stays untouched; once per
    document."""
    violations = page.evaluate(AXE_RUN, AXE_TAGS)
    if violations is None:
        page.evaluate(AXE_SOURCE)
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {v['targets']}" for v in violations]


@pytest.fixture
def assert_accessible():
    def check(page):
        assert axe_violations(page) == [], page.url

    return check
