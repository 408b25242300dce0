"""Showing why a report is worrying: its flags with the words that fired them, and its account with
those words highlighted (``<mark>`` plus text for screen readers: never colour alone)."""

from dataclasses import dataclass, field

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from halte.reports import flags

register = template.Library()


@dataclass
class FlagLine:
    code: str
    label: str
    to_check: bool  # raised only at the level « à vérifier »
    reasons: list[str] = field(default_factory=list)  # why it was lowered (negation, joke)
    words: list[str] = field(default_factory=list)  # the words that fired it, as written
    by_box: bool = False  # a box of the form raised it


_LOWERED = {flags.NEGATION: gettext_lazy("une négation"), flags.JOKE: gettext_lazy("une plaisanterie")}


@register.simple_tag
def flag_lines(report) -> list[FlagLine]:
    """One line per flag of the report, in table order."""
    hits = report.flag_hits or []
    critical = flags.stored_critical(report.flags or [], hits)
    lines = []
    for code in report.flags or []:
        line = FlagLine(code, str(flags.LABELS.get(code, code)), to_check=code not in critical)
        for hit in hits:
            if hit.get("flag") != code:
                continue
            if hit.get("source") == flags.BOX:
                line.by_box = True
            elif hit.get("words") and hit["words"] not in line.words:
                line.words.append(hit["words"])
            reason = str(_LOWERED[hit["lowered_by"]]) if hit.get("lowered_by") in _LOWERED else ""
            if line.to_check and reason and reason not in line.reasons:
                line.reasons.append(reason)
        lines.append(line)
    return lines


@register.filter
def flag_marks(description: str, hits) -> SafeString:
    """The account, escaped, with the words that fired a flag highlighted. Chain with linebreaksbr."""
    return flags.highlight(description or "", hits or [])
