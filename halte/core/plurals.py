"""French plurals for the interface's own words.

Halte's messages are written in French and have no catalogue: Django then chooses between the singular
and the plural of an untranslated message as English does (``n == 1``), and writes « 0 dossiers ». In
French, 0 and 1 take the singular (« 0 dossier », « 1 dossier », « 2 dossiers ») — the rule of Django's
own French catalogue, ``plural=(n > 1)``. A message found in a catalogue keeps that catalogue's rule.
"""

from django.utils.translation import trans_real


def french_plural(n) -> bool:
    """Whether `n` takes the plural in French."""
    return abs(n) > 1


def install() -> None:
    """Make untranslated plural messages follow the French rule (called once, at start-up)."""
    translation_class = trans_real.DjangoTranslation
    if getattr(translation_class.ngettext, "french_plurals", False):
        return

    def ngettext(self, msgid1, msgid2, n):
        try:
            return self._catalog.plural(msgid1, n)
        except KeyError:
            if self._fallback:
                return self._fallback.ngettext(msgid1, msgid2, n)
            if self.language().split("-")[0] == "fr":
                return msgid2 if french_plural(n) else msgid1
            return msgid1 if n == 1 else msgid2

    ngettext.french_plurals = True  # type: ignore[attr-defined]
    translation_class.ngettext = ngettext  # type: ignore[method-assign]
