"""Every email Halte sends carries an HTML twin of its text and says it was written by a machine."""

import email

import pytest
from django.core import mail as outbox
from django.test import Client
from django.urls import reverse

from halte.core import mail


def parts(message) -> dict[str, str]:
    parsed = email.message_from_bytes(message.message().as_bytes())
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in parsed.walk()
        if part.get_content_maintype() == "text"
    }


def test_the_html_part_says_what_the_text_says_and_nothing_runs():
    text = "Bonjour,\n\nUn <script>alert(1)</script> & « test ».\nLien : https://halte.example/dossiers/?a=1&b=2.\n"
    message = mail.compose("Sujet", text, ["a@example.org"])
    html = parts(message)["text/html"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; « test »." in html
    assert '<a href="https://halte.example/dossiers/?a=1&amp;b=2">' in html  # the final dot is not the link's
    assert html.count("<p>") == 2 and "<br>" in html
    assert 'lang="fr"' in html and "<title>Sujet</title>" in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_every_kind_of_email_has_both_parts_and_the_automatic_headers(people):
    from halte.audit.tasks import send_checkpoint
    from halte.meetings import emails
    from halte.notifications.tasks import send_notification_email

    send_notification_email("x@example.org", "Nouveau signalement", "/signalements/")
    send_checkpoint(["dpo@example.org"], ["2026-12-06 12 abcdef"], [])
    emails.build(
        {
            "to": "y@example.org",
            "subject": "Réunion",
            "body": "Bonjour,\n\nRéunion.",
            "ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            "method": "REQUEST",
        }
    ).send()
    Client().post(reverse("accounts:password_reset"), {"email": people.coordinator.user.email})
    assert len(outbox.outbox) == 4
    for message in outbox.outbox:
        raw = email.message_from_bytes(message.message().as_bytes())
        assert raw["Auto-Submitted"] == "auto-generated", message.subject
        assert raw["X-Auto-Response-Suppress"] == "All"
        found = parts(message)
        assert set(found) >= {"text/plain", "text/html"}, message.subject
        first_line = found["text/plain"].strip().splitlines()[0]
        assert first_line in found["text/html"]
