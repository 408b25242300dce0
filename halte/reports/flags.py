"""What makes a report worrying at intake, as one declarative table.

A report that matches any rule jumps the intake queue and alerts the coordinators at once. Rules look
at the boxes the reporter ticked and at the words of their account, accents and case ignored. The
full severity assessment (priority P1–P4) belongs to triage; this only makes sure nothing urgent
waits.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from halte.directory.models import fold

from .enums import DistressSign, Form


@dataclass(frozen=True)
class FlagRule:
    code: str
    label: object
    signs: frozenset[str] = field(default_factory=frozenset)
    forms: frozenset[str] = field(default_factory=frozenset)
    immediate_danger: bool = False
    # Regular expressions over the folded text (lower case, no accents), matched on word boundaries.
    words: tuple[str, ...] = ()


RULES: tuple[FlagRule, ...] = (
    FlagRule(
        "self_harm",
        _("Automutilation ou idées suicidaires"),
        signs=frozenset({DistressSign.SELF_HARM, DistressSign.SUICIDAL}),
        words=(
            r"suicid\w*",
            r"(me|se|te) tuer",
            r"mourir",
            r"en finir",
            r"(me|se) (faire du mal|couper|blesser)",
            r"scarifi\w*",
            r"automutil\w*",
            r"disparaitre",
            r"plus envie de vivre",
        ),
    ),
    FlagRule(
        "sexual",
        _("Violences sexuelles"),
        forms=frozenset({Form.SEXUAL}),
        words=(
            r"viol(e|ee|ees|es|er|ait)?",  # not "violent", not "violet"
            r"agression sexuelle",
            r"attouchements?",
            r"nudes?",
            r"photos? (intimes?|nue?s?)",
            r"sextorsion",
            r"(touche|toucher|touchent) (mes|ses) (parties|fesses|seins)",
        ),
    ),
    FlagRule(
        "weapon",
        _("Arme"),
        words=(r"couteaux?", r"armes?", r"pistolets?", r"fusils?", r"cutters?", r"lames? de rasoir"),
    ),
    FlagRule(
        "family_danger",
        _("Danger dans la famille"),
        words=(
            r"(mon pere|ma mere|mes parents|mon beau-pere|ma belle-mere) (me|le|la) (frappe|frappent|bat|battent)",
            r"maltraitance",
            r"(frappe|battu|battue) a la maison",
        ),
    ),
    FlagRule("immediate_danger", _("Danger immédiat signalé"), immediate_danger=True),
)

_COMPILED = {rule.code: [re.compile(rf"\b{pattern}\b") for pattern in rule.words] for rule in RULES}
LABELS = {rule.code: rule.label for rule in RULES}


def evaluate(*, text: str, forms: list[str], signs: list[str], immediate_danger: bool) -> list[str]:
    """The codes of the rules that fire, in table order."""
    folded = fold(text)
    fired = []
    for rule in RULES:
        if (
            rule.signs & set(signs)
            or rule.forms & set(forms)
            or (rule.immediate_danger and immediate_danger)
            or any(p.search(folded) for p in _COMPILED[rule.code])
        ):
            fired.append(rule.code)
    return fired
