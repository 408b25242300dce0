"""Turn a document's HTML template into a PDF with WeasyPrint.

WeasyPrint is imported inside the function so that the application starts where Pango is missing.
A generated document needs no external resource: every URL fetch (images, fonts, stylesheets, even
``file://``) is refused, so nothing a member typed can make the server read a file or call a host.

Every document is a tagged PDF/UA-1 (``PDF_VARIANT``): structure tree, ``/Lang (fr)`` from the
``lang`` of the template's ``<html>``, the ``<title>`` as the document's title shown by the reader —
what a screen reader and the partners' accessibility checkers need.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

STYLESHEET = "documents/pdf/print.css"
PDF_VARIANT = "pdf/ua-1"


def _refuse_all_fetches(url: str, *args, **kwargs):
    """Generated documents need no external resource: WeasyPrint may fetch nothing."""
    raise ValueError(f"Resource refused: {url}")


def render_html(template: str, context: dict[str, Any]) -> str:
    return render_to_string(template, context)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    import weasyprint  # lazy: Pango may be missing where the application starts

    html = render_html(template, context)
    stylesheet = weasyprint.CSS(string=render_to_string(STYLESHEET, context), url_fetcher=_refuse_all_fetches)
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_all_fetches)
    return document.write_pdf(stylesheets=[stylesheet], pdf_variant=PDF_VARIANT)
