"""Filters of the PDF templates."""

import re

from django import template

from halte.core import french

register = template.Library()

# Quotation marks a member may have typed around words already: the template adds its own guillemets.
_OPENING = '«“„"‹'
_CLOSING = '»”"›'
_SPACES = " \t\r\n\u00a0\u202f"


@register.filter
def unquoted(text) -> str:
    """Words as typed, without the quotation marks around the whole of them, so that « » is never doubled.

    Only a pair that encloses everything is removed: « Elle m’a dit « dégage » » keeps its inner quote.
    """
    value = str(text or "").strip(_SPACES)
    while len(value) >= 2 and value[0] in _OPENING and value[-1] in _CLOSING:
        inner = value[1:-1]
        if _opens_inside(inner):
            break
        value = inner.strip(_SPACES)
    return value


def _opens_inside(inner: str) -> bool:
    """The first mark closes before the end: « a » et « b » is two quotes, not one to strip."""
    depth = 0
    for char in inner:
        if char in "«“„‹":
            depth += 1
        elif char in "»”›":
            if depth == 0:
                return True
            depth -= 1
    return False


# A quote inside a quote takes the second-level marks: « Ils m’appellent “la baleine” ».
_INNER_OPENING = re.compile(r"«[ \u00a0\u202f]*")
_INNER_CLOSING = re.compile(r"[ \u00a0\u202f]*»")


@register.filter
def quoted(text) -> str:
    """Words as typed, between « », once: the marks typed around the whole are dropped (:func:`unquoted`)
    and a « » left inside becomes “ ”, as French writes a quote inside a quote."""
    value = _INNER_CLOSING.sub("”", _INNER_OPENING.sub("“", unquoted(text)))
    return f"« {value} »"


@register.filter
def of_name(name) -> str:
    """« de » before a name, elided before a vowel or a mute h: « d’Enzo », « d’Hugo », « de Lucas »."""
    return french.of_name(name)
