"""The small pieces of RFC 5545 that every calendar Halte writes needs: escaping, folding, UTC times."""

import re
from datetime import UTC, datetime

# Control characters other than the tab and the newline (which is escaped) are not allowed (RFC 5545 §3.1).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def ics_escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): newlines become ``\\n``, other control characters go."""
    text = CONTROL_CHARACTERS.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 §3.1)."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not parts else 74  # continuation lines start with one space
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def ics_time(moment: datetime) -> str:
    """A date-time in UTC form (RFC 5545 §3.3.5, form #2)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_document(lines: list[str]) -> str:
    """Content lines → the calendar text: each line folded and ended with CRLF."""
    return "".join(ics_fold(line) + "\r\n" for line in lines)
