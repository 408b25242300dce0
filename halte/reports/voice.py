"""Whom the public journey speaks to: « tu » to a pupil, « vous » to a parent or another adult.

The reporter says who they are at the first step; from then on every label, hint and error message
of the journey is written in that voice. Like the active language, the voice is set around the
rendering of a response (:func:`speaking`) and read when a lazy string is turned into text, so that
forms and messages declared once at import time speak to the right person.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.functional import lazy

from .enums import ReporterKind

TU = "tu"
VOUS = "vous"

# Pupils are spoken to as « tu »; a parent, a member of staff or another adult as « vous ».
_PUPILS = frozenset({ReporterKind.VICTIM, ReporterKind.WITNESS})

_current: ContextVar[str] = ContextVar("halte_reporter_voice", default=TU)


def voice_of(reporter_kind: str | None) -> str:
    """The voice for a reporter kind; a child until told otherwise."""
    if not reporter_kind or reporter_kind in _PUPILS:
        return TU
    if reporter_kind in ReporterKind.values:
        return VOUS
    return TU


def current() -> str:
    return _current.get()


@contextmanager
def speaking(voice: str) -> Iterator[None]:
    """Render what happens inside in the given voice."""
    token = _current.set(voice)
    try:
        yield
    finally:
        _current.reset(token)


def _choose(tu, vous) -> str:
    return str(vous if _current.get() == VOUS else tu)


_lazy_choose = lazy(_choose, str)


def tu_vous(tu, vous):
    """A text that reads `tu` to a pupil and `vous` to an adult, chosen when it is displayed."""
    return _lazy_choose(tu, vous)


def context_processor(request) -> dict:
    """``vous`` in every template: true while a response is rendered for an adult reporter."""
    return {"vous": current() == VOUS}
