"""What may leave the application in a log line or an error report: masks for the shapes of
personal data, and exceptions told without the values they quote.

Used by the JSON logs (``halte.core.logs``) and by error tracking (``halte.core.sentry``).

* :func:`mask`: a path's query string, anything shaped like a receipt code or another long run of
  digits (a phone number), an email address or an IP address becomes ``[masqué]``.
* :func:`exception_text`: a traceback keeps its frames (file, line, function, source line) and, of
  each exception's message, the first line only, masked. A database error's later lines quote the
  row: PostgreSQL's ``DETAIL:  Failing row contains (…)`` carries every column of a report, its
  narrative included.
"""

from __future__ import annotations

import re
import traceback

MASK = "[masqué]"

# A run of 9 digits or more, alone or in groups separated by spaces or dots: receipt codes (20 digits,
# shown in groups of four), phone numbers. Halte's own references (HS-2026-000042) stay readable.
LONG_NUMBER = re.compile(r"(?<![\w-])\d(?:[ .]?\d){8,}(?![\w-])")
# A receipt code however it was typed: five groups of four digits, any separator.
RECEIPT = re.compile(r"(?<!\w)\d{4}(?:[ .\-_/]?\d{4}){4}(?!\w)")
EMAIL = re.compile(r"[^\s@<>\"'(),;:\[\]]+@[^\s@<>\"'(),;:\[\]]+\.[^\s@<>\"'(),;:\[\]]+")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# The query string of a path (``/suivi/?code=…&nom=…``): any parameter may carry a name. Prose is not
# touched: French puts a space before « ? ».
QUERY = re.compile(r"(/[\w\-./%~]*)\?[^\s\"']+")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def _ipv6(match: re.Match) -> str:
    text = match.group(0)
    # "::" alone, or a clock time like 14:21:07, is not worth masking; anything with hex letters or "::" is.
    if len(text) <= 2 or (text.replace(":", "").isdigit() and "::" not in text and text.count(":") <= 2):
        return text
    return MASK


def mask(text: str) -> str:
    text = QUERY.sub(lambda match: f"{match.group(1)}?{MASK}", text)
    text = RECEIPT.sub(MASK, text)
    text = EMAIL.sub(MASK, text)
    text = IPV6.sub(_ipv6, text)
    text = IPV4.sub(MASK, text)
    return LONG_NUMBER.sub(MASK, text)


def first_line(value: object, limit: int = 300) -> str:
    """The first line of a message, masked and cut to ``limit`` characters."""
    lines = str(value or "").strip().splitlines()
    return mask(lines[0][:limit]) if lines else ""


def exception_text(error: BaseException) -> str:
    """A traceback with its frames and each exception's first line of message, masked (chained
    exceptions included, oldest first, as Python prints them)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain) and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    blocks = []
    for exception in reversed(chain):
        frames = "".join(traceback.format_tb(exception.__traceback__))
        name = f"{type(exception).__module__}.{type(exception).__qualname__}"
        blocks.append(f"Traceback (most recent call last):\n{frames}{name}: {first_line(exception)}")
    return "\n\nThen:\n".join(blocks)
