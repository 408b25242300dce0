"""Every email Halte sends: a plain-text body, the same words as HTML beside it, and the headers that
tell mail servers and out-of-office robots that a machine wrote it.

- ``Auto-Submitted: auto-generated`` (RFC 3834): automatic replies (absence notices, vacation robots)
  must not answer it; ``X-Auto-Response-Suppress`` says the same to Microsoft Exchange, which most
  State administrations run.
- The HTML part is built from the text, never from other data: paragraphs, line breaks and links,
  everything else escaped. Nothing can appear in one part and not in the other.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

AUTOMATIC_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}

_LINK = re.compile(r"https?://[^\s<>\"]+")


def _linked(line: str) -> SafeString:
    """One line of text as HTML: escaped, with its web addresses as links."""
    html, last = SafeString(""), 0
    for match in _LINK.finditer(line):
        address = match.group(0).rstrip(".,;:!?)")
        html += conditional_escape(line[last : match.start()]) + format_html('<a href="{0}">{0}</a>', address)
        last = match.start() + len(address)
    return html + conditional_escape(line[last:])


def _paragraph(block: str) -> SafeString:
    return format_html_join(
        format_html("{}\n", SafeString("<br>")), "{}", ((_linked(line),) for line in block.split("\n"))
    )


def html_of(text: str) -> SafeString:
    """The paragraphs of a plain-text body (separated by blank lines), as HTML."""
    paragraphs = [block.strip("\n") for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    return format_html_join("\n", "<p>{}</p>", ((_paragraph(block),) for block in paragraphs))


def compose(subject: str, text: str, to: list[str]) -> EmailMultiAlternatives:
    """A message ready to send: text, its HTML twin, automatic-message headers, the default sender."""
    message = EmailMultiAlternatives(subject, text, None, to, headers=dict(AUTOMATIC_HEADERS))
    html = render_to_string(
        "emails/message.html",
        {"subject": subject, "body": html_of(text), "service": settings.HALTE["SERVICE_NAME"]},
    )
    message.attach_alternative(html, "text/html")
    return message


def send(subject: str, text: str, to: list[str]) -> int:
    """Send one message; return how many the server accepted (0 or 1), raising on connection errors."""
    return compose(subject, text, to).send(fail_silently=False)
