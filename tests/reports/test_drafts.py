"""The story survives: a draft outlives a long pause while its page is open, a step posted after the
session expired keeps its text, and the draft is never readable in the session store."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from halte.reports import drafts
from halte.reports.models import Report

from .helpers import draft_of, fill_until_finish, post_step, pupils_data

pytestmark = pytest.mark.django_db

# A child's story, long and typed slowly, with what a session store must never show.
STORY = (
    "Depuis la rentrée en 5e B, Kevin et Mathis me traitent de « grosse vache » devant tout le monde. "
    "Ils ont créé un groupe Snapchat où ils postent des photos de moi. J'ai peur d'aller au collège. " * 20
)
FACTS = {"bullying_forms": ["verbal", "cyber"], "since": "months", "frequency": "daily", "description": STORY}


def begin(client):
    assert post_step(client, "qui", {"reporter_kind": "victim", "anonymity": "anonymous"}).status_code == 302
    assert post_step(client, "etablissement", {"school": "0800020M"}).status_code == 302
    assert post_step(client, "eleves", pupils_data([("Léa", "victim")])).status_code == 302


def idle(client, minutes: int):
    """Time passes without any request: the session's expiry is that much closer (or past)."""
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + timedelta(seconds=1800) - timedelta(minutes=minutes)
    )


@pytest.fixture(autouse=True)
def _thirty_minutes(settings, tmp_path):
    settings.SESSION_COOKIE_AGE = 1800
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_page_left_open_keeps_the_draft_alive_and_the_whole_story_is_sent(client, people):
    begin(client)
    page = client.get(reverse("reports:step", args=["faits"])).content.decode()
    # The step page carries the keep-alive script and its period (a third of the idle timeout).
    assert 'data-halte-keep-alive="/signaler/maintenir/"' in page
    assert 'data-halte-keep-alive-seconds="600"' in page
    assert "halte/keep-alive" in page
    # The child writes for 50 minutes; the open page pings every 10 (only the pings are requests).
    for _ in range(5):
        idle(client, 10)
        assert client.post(reverse("reports:keep_alive")).status_code == 204
    idle(client, 10)
    response = post_step(client, "faits", FACTS)
    assert response.status_code == 302 and response.url == reverse("reports:step", args=["bien-etre"])
    post_step(client, "bien-etre", {"distress_signs": [], "immediate_danger": "no"})
    assert post_step(client, "envoyer", {"files": []}).status_code == 200
    assert Report.objects.get().description == STORY.strip()


def test_without_javascript_the_story_posted_after_expiry_is_shown_back_and_kept(client, people):
    begin(client)
    idle(client, 45)  # 45 minutes typing, no script: the session has expired
    response = post_step(client, "faits", FACTS)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ta session a expiré" in page
    assert "Rien n’a encore été envoyé" in page
    assert "« grosse vache »" in page.replace("&laquo;", "«").replace("&raquo;", "»").replace("&#x27;", "'")
    # The facts are kept for when the child comes back through the steps; nothing else is invented.
    assert draft_of(client)["faits"]["description"] == STORY.strip()
    assert "qui" not in draft_of(client)
    begin(client)
    shown = client.get(reverse("reports:step", args=["faits"])).content.decode()
    assert "Snapchat où ils postent" in shown.replace("&#x27;", "'")
    assert post_step(client, "faits", FACTS).status_code == 302
    post_step(client, "bien-etre", {"distress_signs": [], "immediate_danger": "no"})
    assert post_step(client, "envoyer", {"files": []}).status_code == 200
    assert Report.objects.get().description == STORY.strip()


def test_the_draft_is_never_readable_in_the_session_store(client, people):
    fill_until_finish(client, description="Kevin me frappe dans les toilettes du collège Amiral Lejeune.")
    stored = Session.objects.get(session_key=client.session.session_key).session_data
    decoded = str(Session.objects.get(session_key=client.session.session_key).get_decoded())
    for secret in ("Kevin", "toilettes", "Léa", "0800020M"):
        assert secret not in stored and secret not in decoded
    assert draft_of(client)["faits"]["description"].startswith("Kevin me frappe")


def test_a_draft_sealed_long_ago_or_with_another_key_opens_empty(client, people, settings):
    begin(client)
    session = client.session
    assert drafts.load(session)
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert drafts.load(session) == {}
    # An unreadable draft is no draft: a step asked for leaves for the neutral site, as after the
    # quick exit (nothing of the form is shown again), rather than failing.
    assert client.get(reverse("reports:step", args=["faits"])).url == settings.HALTE["QUICK_EXIT_URL"]


def test_the_keep_alive_creates_nothing_for_a_browser_without_a_draft(client, db):
    assert client.post(reverse("reports:keep_alive")).status_code == 204
    assert Session.objects.count() == 0
    assert client.get(reverse("reports:keep_alive")).status_code == 405


def test_a_second_sending_after_the_receipt_is_not_called_an_expiry(client, people):
    fill_until_finish(client)
    assert post_step(client, "envoyer", {"files": []}).status_code == 200
    again = post_step(client, "envoyer", {"files": []})
    assert again.status_code == 302 and again.url == reverse("reports:start")
    assert Report.objects.count() == 1


def test_two_sends_of_one_draft_show_the_same_code_and_it_opens_the_report(client, people):
    """Two clicks at once both read the draft before either answered: the second answer, the one the
    browser shows, must carry a code that opens the report (an outside tester once got a dead one)."""
    fill_until_finish(client)
    client.get(reverse("reports:step", args=["envoyer"]))  # the code is chosen with the last step's page
    as_read_by_both = client.session[drafts.SESSION_KEY]
    first = post_step(client, "envoyer", {"files": []})
    session = client.session
    session[drafts.SESSION_KEY] = as_read_by_both  # the second click carried the same session
    session.pop(drafts.SENT_KEY, None)
    session.save()
    second = post_step(client, "envoyer", {"files": []})
    codes = [r.context["code"] for r in (first, second)]
    assert codes[0] == codes[1]
    assert Report.objects.count() == 1
    opened = client.post(reverse("reports:mailbox_open"), {"code": codes[1].replace(" ", "")})
    assert opened.status_code == 302, opened.content
