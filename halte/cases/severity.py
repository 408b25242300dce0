"""The severity assessment of a situation: criteria → rules that fire → points → priority P1–P4.

Everything that decides a priority is data in this module, so that a colleague can read it and check it:
``RULES`` (one row per rule: a French label, a test on the criteria, and either ``critical=True`` or a
weight in points), the thresholds, and ``PRIORITY_BANDS`` (what each qualification becomes for a given
number of points). ``assess()`` only walks these tables; it contains no judgement of its own.

How the table reads (product brief §6):

* **P1 — critical.** Any critical rule (self-harm or suicidal ideas, sexual violence, a weapon, danger
  in the family) gives P1 whatever the qualification, even "out of scope": the priority starts the
  clocks and a child in danger is never left to wait, even when the cell then redirects the situation
  (to the CRIP, to the procureur).
* **P2 — serious or persistent.** Every other rule is an aggravating factor worth points; from
  ``P2_THRESHOLD`` points the situation is P2. The weights make one factor enough when it is serious on
  its own (ITT of more than 8 days: the penal aggravation of art. 222-33-2-3), a sexual dimension or a
  threat enough once the facts repeat, and the factors that describe ordinary bullying (repetition, a
  child under 15, a group of authors) enough only when they pile up (daily, for months, by a group).
* **P3 — bullying, no aggravating factor.** Bullying (and another offence) below the threshold.
* **P4 — handed back to the school under pHARe.** A conflict between pupils below the threshold;
  intimidation below ``INTIMIDATION_P3_THRESHOLD`` points; anything out of the cell's scope (only a
  critical rule changes that). Intimidation with some aggravating factor (a threat, a vulnerable or
  young victim who is targeted again) is P3: it is the stage where bullying can still be stopped.

``criteria_from_report()`` pre-fills the criteria from what a report says (boxes ticked, pupils named,
words of the account). The coordinator checks and corrects them in the triage form, so it stays
conservative: it ticks a criterion only when the report clearly says so. The critical criteria are the
exception: they follow the intake flag table (:mod:`halte.reports.flags`) and what intake stored, so that
intake and triage never disagree on what is critical; an alert raised wrongly is unticked in one click, a
missed one is never seen. A person may override the computed priority with a written reason; that is
not done here.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from halte.directory.models import fold
from halte.reports import flags as intake_flags
from halte.reports.enums import DistressSign, Form, Frequency, Place, PupilRole, Since

from .enums import Priority, Qualification

Label = str | Promise


class PhysicalViolence(models.TextChoices):
    NONE = "none", _("Aucune")
    ITT_8_OR_LESS = "itt_8_or_less", _("Oui, sans ITT ou avec une ITT de 8 jours ou moins")
    ITT_OVER_8 = "itt_over_8", _("Oui, avec une ITT de plus de 8 jours")


@dataclass(frozen=True)
class Criteria:
    """What the coordinator knows of a situation, one field per criterion of the product brief (§6).

    Stored as JSON with each assessment version (``to_dict``); versions stored before a criterion
    existed load with that criterion at its default (``from_dict``).
    """

    repeated: bool = False
    frequency_daily: bool = False
    duration_months: bool = False
    duration_over_a_year: bool = False
    author_count: int = 0
    physical_violence: str = PhysicalViolence.NONE.value
    sexual: bool = False
    sexual_violence: bool = False
    cyber: bool = False
    content_still_online: bool = False
    threats: bool = False
    isolation: bool = False
    absenteeism: bool = False
    falling_results: bool = False
    self_harm_or_suicidal: bool = False
    vulnerability_or_disability: bool = False
    victim_under_15: bool = False
    authors_in_another_school: bool = False
    weapon: bool = False
    family_danger: bool = False

    def __post_init__(self) -> None:
        if self.physical_violence not in PhysicalViolence.values:
            raise ValueError(f"Unknown physical violence level: {self.physical_violence!r}")
        if self.author_count < 0:
            raise ValueError("author_count cannot be negative")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Criteria":
        """Load a stored version: missing criteria take their default, criteria since removed are ignored.

        A value of the wrong type is an error, not a guess: stored assessments are evidence.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            expected = type(f.default)
            # bool is a subclass of int: an author count of True is as wrong as a flag of 1.
            if type(value) is not expected:
                raise ValueError(f"Criterion {f.name!r} should be {expected.__name__}, not {value!r}")
            values[f.name] = value
        return cls(**values)

    def merged_with(self, other: "Criteria") -> "Criteria":
        """What two accounts of one situation say together (a case's criteria and a new report's): a
        criterion ticked by either stays ticked, the larger number of authors and the more serious
        physical violence are kept. Never less than either."""
        values: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "physical_violence":
                values[f.name] = max(mine, theirs, key=VIOLENCE_ORDER.index)
            elif isinstance(mine, bool):
                values[f.name] = mine or theirs
            else:
                values[f.name] = max(mine, theirs)
        return Criteria(**values)


# Physical violence, from the least to the most serious (what a merge keeps).
VIOLENCE_ORDER = [level.value for level in PhysicalViolence]


def more_urgent(priority: str, than: str) -> bool:
    """Whether ``priority`` is more urgent than ``than`` (P1 is the most urgent)."""
    order = list(Priority.values)
    return order.index(priority) < order.index(than)


# The French label of each criterion, in the order of the triage form.
CRITERIA_LABELS: dict[str, Label] = {
    "repeated": _("Faits répétés"),
    "frequency_daily": _("Faits quotidiens ou presque"),
    "duration_months": _("Faits qui durent depuis plusieurs mois ou plus"),
    "duration_over_a_year": _("Faits qui durent depuis plus d’un an"),
    "author_count": _("Nombre d’auteurs présumés"),
    "physical_violence": _("Violences physiques"),
    "sexual": _("Dimension sexuelle (propos, gestes, images)"),
    "sexual_violence": _("Violences sexuelles (agression, viol, images intimes diffusées ou réclamées)"),
    "cyber": _("Cyberharcèlement (réseaux sociaux, messages, jeux en ligne)"),
    "content_still_online": _("Contenus toujours en ligne"),
    "threats": _("Menaces"),
    "isolation": _("Isolement de la victime"),
    "absenteeism": _("Absentéisme ou refus d’aller en cours"),
    "falling_results": _("Baisse des résultats scolaires"),
    "self_harm_or_suicidal": _("Automutilation ou idées suicidaires"),
    "vulnerability_or_disability": _("Vulnérabilité ou handicap de la victime"),
    "victim_under_15": _("Victime de moins de 15 ans"),
    "authors_in_another_school": _("Auteurs présumés scolarisés dans un autre établissement"),
    "weapon": _("Arme (port, menace ou usage)"),
    "family_danger": _("Danger dans la famille"),
}


@dataclass(frozen=True)
class Rule:
    """One line of the table: critical (P1 on its own) or an aggravating factor worth ``weight`` points."""

    code: str
    label: Label
    test: Callable[[Criteria], bool]
    critical: bool = False
    weight: int = 0

    def __post_init__(self) -> None:
        if self.critical and self.weight:
            raise ValueError(f"Rule {self.code!r}: a critical rule carries no weight")
        if not self.critical and self.weight <= 0:
            raise ValueError(f"Rule {self.code!r}: a rule that is not critical needs a positive weight")


# Thresholds, as data.
P2_THRESHOLD = 4  # points from which a situation is "serious or persistent"
INTIMIDATION_P3_THRESHOLD = 2  # points from which intimidation is followed by the cell rather than the school
GROUP_OF_AUTHORS = 3  # alleged authors from which they count as a group
ITT_DAYS_THRESHOLD = 8  # art. 222-33-2-3 code pénal: the penalty rises when the ITT exceeds 8 days

# The table. Some tests read two fields: a criterion that implies another (daily implies repeated, over a
# year implies months, sexual violence implies a sexual dimension) counts for both, whatever was ticked.
RULES: tuple[Rule, ...] = (
    # Critical: P1, immediate alert, the matching document is proposed.
    Rule("self_harm", _("Automutilation ou idées suicidaires"), lambda c: c.self_harm_or_suicidal, critical=True),
    Rule("sexual_violence", _("Violences sexuelles"), lambda c: c.sexual_violence, critical=True),
    Rule("weapon", _("Arme (port, menace ou usage)"), lambda c: c.weapon, critical=True),
    Rule("family_danger", _("Danger dans la famille"), lambda c: c.family_danger, critical=True),
    # The facts.
    Rule(
        "physical_itt_over_8",
        _("Violences physiques avec ITT de plus de 8 jours"),
        lambda c: c.physical_violence == PhysicalViolence.ITT_OVER_8,
        weight=4,
    ),
    Rule(
        "physical",
        _("Violences physiques sans ITT ou avec une ITT de 8 jours ou moins"),
        lambda c: c.physical_violence == PhysicalViolence.ITT_8_OR_LESS,
        weight=1,
    ),
    Rule(
        "sexual_dimension",
        _("Dimension sexuelle (propos, gestes ou images)"),
        lambda c: c.sexual or c.sexual_violence,
        weight=3,
    ),
    Rule("threats", _("Menaces"), lambda c: c.threats, weight=2),
    Rule(
        "cyber",
        _("Cyberharcèlement (réseaux sociaux, messages, jeux en ligne)"),
        lambda c: c.cyber or c.content_still_online,
        weight=1,
    ),
    Rule("content_still_online", _("Contenus toujours en ligne"), lambda c: c.content_still_online, weight=2),
    # Repetition, duration, authors.
    Rule("repeated", _("Faits répétés"), lambda c: c.repeated or c.frequency_daily, weight=1),
    Rule("daily", _("Faits quotidiens ou presque"), lambda c: c.frequency_daily, weight=1),
    Rule(
        "duration_months",
        _("Faits qui durent depuis plusieurs mois"),
        lambda c: c.duration_months or c.duration_over_a_year,
        weight=1,
    ),
    Rule("duration_over_a_year", _("Faits qui durent depuis plus d’un an"), lambda c: c.duration_over_a_year, weight=1),
    Rule(
        "group_of_authors",
        _("Au moins trois auteurs présumés"),
        lambda c: c.author_count >= GROUP_OF_AUTHORS,
        weight=1,
    ),
    Rule(
        "authors_in_another_school",
        _("Auteurs présumés scolarisés dans un autre établissement"),
        lambda c: c.authors_in_another_school,
        weight=1,
    ),
    # The victim.
    Rule("isolation", _("Isolement de la victime"), lambda c: c.isolation, weight=1),
    Rule("absenteeism", _("Absentéisme ou refus d’aller en cours"), lambda c: c.absenteeism, weight=2),
    Rule("falling_results", _("Baisse des résultats scolaires"), lambda c: c.falling_results, weight=1),
    Rule(
        "vulnerability",
        _("Vulnérabilité ou handicap de la victime"),
        lambda c: c.vulnerability_or_disability,
        weight=2,
    ),
    Rule("victim_under_15", _("Victime de moins de 15 ans"), lambda c: c.victim_under_15, weight=1),
)


@dataclass(frozen=True)
class Band:
    """From ``min_points`` points (and below the band before it), a qualification gets ``priority``.

    ``reason`` is the sentence shown to the coordinator; it may use %(points)s, %(p2)s and %(p3)s.
    """

    min_points: int
    priority: Priority
    reason: Label


_P2_BAND = Band(
    P2_THRESHOLD,
    Priority.P2,
    _(
        "Les facteurs aggravants totalisent %(points)s points, au moins le seuil de %(p2)s points : "
        "la situation est grave ou persistante (P2)."
    ),
)

# Bands of each qualification, highest first; the last one starts at 0 points.
PRIORITY_BANDS: dict[str, tuple[Band, ...]] = {
    Qualification.BULLYING: (
        _P2_BAND,
        Band(
            0,
            Priority.P3,
            _(
                "Harcèlement sans facteur aggravant suffisant pour une priorité plus élevée "
                "(total des points : %(points)s ; seuil de la priorité P2 : %(p2)s) : priorité P3."
            ),
        ),
    ),
    Qualification.OTHER_OFFENCE: (
        _P2_BAND,
        Band(
            0,
            Priority.P3,
            _(
                "Autre infraction sans facteur aggravant suffisant pour une priorité plus élevée "
                "(total des points : %(points)s ; seuil de la priorité P2 : %(p2)s) : priorité P3."
            ),
        ),
    ),
    Qualification.INTIMIDATION: (
        _P2_BAND,
        Band(
            INTIMIDATION_P3_THRESHOLD,
            Priority.P3,
            _(
                "Intimidation avec des facteurs aggravants (total des points : %(points)s ; seuil : %(p3)s) : "
                "la cellule suit la situation (P3)."
            ),
        ),
        Band(
            0,
            Priority.P4,
            _(
                "Intimidation sans facteur aggravant suffisant (total des points : %(points)s ; seuil de suivi "
                "par la cellule : %(p3)s) : situation confiée à l’établissement dans le cadre de pHARe (P4)."
            ),
        ),
    ),
    Qualification.CONFLICT: (
        _P2_BAND,
        Band(
            0,
            Priority.P4,
            _(
                "Conflit entre élèves sans critère grave (total des points : %(points)s ; seuil de la priorité "
                "P2 : %(p2)s) : situation confiée à l’établissement dans le cadre de pHARe (P4)."
            ),
        ),
    ),
    Qualification.OUT_OF_SCOPE: (
        Band(
            0,
            Priority.P4,
            _(
                "Situation hors du champ de la cellule : priorité P4, à réorienter. "
                "Seul un critère critique en changerait la priorité."
            ),
        ),
    ),
}

CRITICAL_REASON: Label = _("Au moins un critère critique est présent : priorité P1 et alerte immédiate.")


class Fired(NamedTuple):
    code: str
    label: Label
    critical: bool
    weight: int


@dataclass(frozen=True)
class Assessment:
    priority: Priority
    fired: tuple[Fired, ...]
    points: int
    qualification: str
    reason: Label  # the sentence of the band (or of the critical rules) that set the priority

    @property
    def critical_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.fired if f.critical)

    def fired_rules_json(self) -> list[dict[str, Any]]:
        """The fired rules as stored with an assessment version: labels frozen as they were shown."""
        return [{"code": f.code, "label": str(f.label), "critical": f.critical, "weight": f.weight} for f in self.fired]

    def explanation(self) -> list[str]:
        """French sentences a person reads to check the priority: why this priority, then each rule fired.

        The first sentence names the priority, so the list reads on its own.
        """
        sentences = [str(self.reason) % {"points": self.points, "p2": P2_THRESHOLD, "p3": INTIMIDATION_P3_THRESHOLD}]
        if not self.fired:
            sentences.append(gettext("Aucun critère de gravité n’est retenu."))
        for rule in self.fired:
            if rule.critical:
                sentence = gettext("%(label)s : critère critique.") % {"label": rule.label}
            else:
                sentence = ngettext("%(label)s : %(weight)d point.", "%(label)s : %(weight)d points.", rule.weight) % {
                    "label": rule.label,
                    "weight": rule.weight,
                }
            sentences.append(sentence)
        return sentences


def assess(criteria: Criteria, qualification: str) -> Assessment:
    """Walk the table: the rules that fire, their points, and the priority they give this qualification."""
    if qualification not in PRIORITY_BANDS:
        raise ValueError(f"Unknown qualification: {qualification!r}")
    fired = tuple(Fired(r.code, r.label, r.critical, r.weight) for r in RULES if r.test(criteria))
    points = sum(f.weight for f in fired)
    if any(f.critical for f in fired):
        return Assessment(Priority.P1, fired, points, qualification, CRITICAL_REASON)
    band = next(b for b in PRIORITY_BANDS[qualification] if points >= b.min_points)
    return Assessment(band.priority, fired, points, qualification, band.reason)


# --- Pre-filling the criteria from a report ---------------------------------------------------------

# Words of the account that tick a criterion. Matched on whole words in the folded text (lower case, no
# accents, typographic apostrophes made plain). Each line is written against a known false positive:
# "du coup" is not a blow, "il va le frapper" is a threat and not a blow, "le prof était absent" is not
# absenteeism, "des notes moyennes" are not falling results, "orientation sexuelle" is not a sexual act.
_NUMBER = r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|[2-9]|1[01])"
_MONTH_NAMES = (
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
)
_SINCE_A_MONTH = r"depuis (?:le )?(?:mois de |debut |fin |mi-?)?(?:" + "|".join(_MONTH_NAMES) + r"|la rentree)"

WORDS: dict[str, tuple[str, ...]] = {
    "repeated": (
        r"(?:tous|toutes) les (?:jours|semaines|matins|soirs|midis|recres|recreations)",
        r"chaque (?:jour|semaine|matin|soir|midi|recre|recreation|cours)",
        r"sans arret",
        r"tout le temps",
        r"(?:plusieurs|de nombreuses) fois",
        r"(?:deuxieme|troisieme|quatrieme|cinquieme|\d+e) fois",
        r"regulierement",
        r"recommencent?",
        r"depuis (?:des|plusieurs|quelques|" + _NUMBER + r") (?:semaines|mois)",
        _SINCE_A_MONTH,
    ),
    "frequency_daily": (
        r"(?:tous|toutes) les (?:jours|matins|recres|recreations)",
        r"chaque (?:jour|matin|recre|recreation)",
        r"quotidien(?:ne|nement)?s?",
    ),
    "duration_months": (r"depuis (?:des|plusieurs|quelques|" + _NUMBER + r") mois",),
    "duration_over_a_year": (
        r"depuis (?:plus d'un an|plus d'une annee|" + _NUMBER + r" ans|des annees|plusieurs annees)",
        r"depuis (?:le primaire|l'ecole primaire)",
        r"(?:ca|cela) fait (?:plus d'un an|" + _NUMBER + r" ans)",
    ),
    "physical": (
        r"frapp(?:e|ee|es|ees|ent|ait|aient)",
        r"(?:se fait|se faire|se font|s'est fait|s'est faite|s'etait fait|s'etait faite) "
        r"(?:frapper|taper|tabasser|battre|bousculer|pousser|gifler|etrangler)",
        r"coups",
        r"coups? de (?:poing|pied|tete|genou|coude)s?",
        r"tabass(?:e|ee|es|ees|ent|ait|aient)",
        r"gifl(?:e|ee|es|ees|ent|ait|aient)",
        r"bouscul(?:e|ee|es|ees|ent|ait|aient|ade|ades)",
        r"etrangl(?:e|ee|es|ees|ent|ait|aient)",
        r"croche-(?:pieds?|pattes?)",
        r"(?:me|te|le|la|les) (?:tape|tapent|tapait|tapaient)",
        r"violences? physiques?",
        r"itt",
        r"incapacite totale de travail",
    ),
    "sexual": (
        r"(?<!orientation )sexuel(?:le|s|les)?",
        r"(?:gestes?|propos|remarques?|blagues?|commentaires?) (?:deplacee?s?|obscenes?)",
        r"mains? aux fesses",
    ),
    "cyber": (
        r"en ligne",
        r"reseaux? sociaux",
        r"(?:sur|par) (?:internet|telephone|son telephone|son portable)",
        r"snap(?:chat)?|insta(?:gram)?|tiktok|whatsapp|discord|facebook|youtube",
        r"sms|textos?",
        r"cyber\w*",
    ),
    "content_still_online": (
        r"(?:toujours|encore) (?:en ligne|visibles?|publiee?s?)",
        r"(?:toujours|encore) sur (?:snap|snapchat|insta|instagram|tiktok|internet|youtube|facebook|les reseaux)",
        r"(?:n'a|n'ont|n'est|ne sont) (?:toujours |jamais )?pas (?:ete )?(?:supprimee?s?|retiree?s?|effacee?s?)",
        r"(?:circulent?|tournent?) (?:toujours|encore)",
    ),
    "threats": (
        r"menac\w*",
        r"(?:va|vont|allait|allaient|veut|veulent) (?:te |le |la |me |les |vous )?"
        r"(?:tuer|frapper|defoncer|buter|egorger|planter|niquer)",
        r"tu vas (?:voir|le regretter|payer|le payer)",
    ),
    "isolation": (
        r"(?:reste|restent|se retrouve|se retrouvent|mange|mangent|joue|jouent|est toujours|toujours) "
        r"(?:tout |toute )?seule?s?",
        r"isolee?s?",
        r"isolement",
        r"mise? a l'ecart",
        r"personne ne (?:lui |me )?parle",
        r"(?:n'a|n'ai) plus (?:d'amis|d'amies|aucun ami|aucune amie|personne)",
    ),
    "absenteeism": (
        r"absenteisme",
        r"absences? (?:repetees|frequentes|nombreuses|de plus en plus)",
        r"(?:est|etait|suis|sont) (?:souvent|de plus en plus|tres souvent|regulierement) absente?s?",
        r"ne (?:veut|veux|voulait) plus (?:aller|venir|retourner)",
        r"refuse (?:d'aller|de venir|de retourner)",
        r"(?:manque|rate) (?:souvent |regulierement )?(?:l'ecole|le college|le lycee|les cours)",
        r"descolarisee?",
    ),
    "falling_results": (
        r"(?:notes|resultats) (?:baissent|ont baisse|chutent|ont chute|degringolent|ont degringole|sont en baisse|"
        r"sont en chute|s'effondrent|se sont effondrees?)",
        r"(?:baisse|chute|effondrement) (?:de ses|des|de mes) (?:notes|resultats)",
        r"decrochage",
    ),
    "vulnerability_or_disability": (
        r"handicap\w*",
        r"aesh|ulis|segpa|mdph|pps|tsa|tdah",  # support, special classes, disability file, diagnoses
        r"autis(?:te|tes|me)",
        r"dys(?:lexique|lexie|praxique|praxie|phasique|phasie)",
        r"fauteuil roulant",
        r"begaie\w*|begue",
    ),
    "authors_in_another_school": (
        r"(?:eleves?|jeunes?|garcons?|filles?|ados?|adolescente?s?) (?:d'un|d'une|de l'|dans un|dans une) ?"
        r"autre (?:college|lycee|ecole|etablissement)",
        r"(?:eleves?|jeunes?|garcons?|filles?|ados?|adolescente?s?) du (?:college|lycee) (?:voisin|d'a cote|d'en face)",
    ),
}
_WORDS_COMPILED = {name: [re.compile(rf"\b(?:{p})\b") for p in patterns] for name, patterns in WORDS.items()}

# "10 jours d'ITT", "ITT de 10 jours", "ITT : 10 j"; "ITT de plus de 8 jours" counts as more than 8.
_ITT_DAYS = (
    re.compile(r"\b(?P<days>\d{1,3}) ?(?:jours?|j) (?:d'|de )?(?:itt|incapacite totale de travail)\b"),
    re.compile(
        r"\b(?:itt|incapacite totale de travail) ?(?:de|d'une duree de|:|=)? ?(?P<days>\d{1,3}) ?(?:jours?|j)\b"
    ),
)
_ITT_MORE_THAN = re.compile(
    r"\b(?:itt|incapacite totale de travail) ?(?:de )?(?:plus de|superieure? a) (?P<days>\d{1,3}) ?(?:jours?|j)\b"
)

# "il a 12 ans", "âgée de 12 ans", "ma fille de 12 ans"; not "il y a 2 ans".
_AGES = (
    re.compile(r"\b(?<!y )a (?P<age>\d{1,2}) ans\b"),
    re.compile(r"\b(?:age|agee|ages|agees) de (?P<age>\d{1,2}) ans\b"),
    re.compile(r"\b(?:fils|fille|enfant|eleve|garcon|frere|soeur|petit|petite) de (?P<age>\d{1,2}) ans\b"),
)
# Classes whose pupils are under 15: école, 6e, 5e, 4e ("6e B", "5ème 2", "4A"). 3e is left to the coordinator.
_YOUNG_CLASS = re.compile(r"^(?:cp|ce[12]|cm[12]|[654] ?(?:e|eme)?\b|[654][a-h]\b|sixieme|cinquieme|quatrieme)")
_SINCE_MONTH = re.compile(
    r"\bdepuis (?:le )?(?:mois de |debut |fin |mi-?)?(?:(?P<month>" + "|".join(_MONTH_NAMES) + r")|la rentree)\b"
)
_REPEATED = {Frequency.SOMETIMES, Frequency.WEEKLY, Frequency.DAILY}


def criteria_from_report(report: Any, *, pupils: Iterable[Any] | None = None) -> Criteria:
    """Criteria as a report suggests them, for the coordinator to correct before assessing.

    ``report`` is a :class:`~halte.reports.models.Report` or any object with its attributes
    (``description``, ``forms``, ``platforms``, ``places``, ``since``, ``frequency``,
    ``distress_signs``, ``flags``, ``pupils``; optionally ``flag_hits``, ``school`` and ``received_at``).
    ``pupils`` replaces ``report.pupils`` (a report not saved yet has no related pupils).
    """
    description = getattr(report, "description", "") or ""
    text = _normalise(description)
    forms = set(getattr(report, "forms", None) or ())
    signs = set(getattr(report, "distress_signs", None) or ())
    platforms = set(getattr(report, "platforms", None) or ())
    places = set(getattr(report, "places", None) or ())
    frequency = getattr(report, "frequency", "") or ""
    since = getattr(report, "since", "") or ""
    said = {name for name, patterns in _WORDS_COMPILED.items() if any(p.search(text) for p in patterns)}

    # Critical criteria: the intake table, run again on the words and signs alone (not the boxes, so that
    # ticking "sexual" stays a sexual dimension and is not read as sexual violence), plus what intake
    # stored. A stored "sexual" flag may come from the box, so it only counts as a sexual dimension.
    # Only flags raised at the critical level tick a criterion: words lowered to « à vérifier » by a
    # negation or a joke are shown to the coordinator, who ticks the criterion if the danger is real.
    alerts_in_words = set(
        intake_flags.detect(text=description, forms=[], signs=sorted(signs), immediate_danger=False).critical
    )
    stored_flags = set(getattr(report, "flags", None) or ())
    stored_critical = intake_flags.stored_critical(stored_flags, getattr(report, "flag_hits", None) or ())
    alerts = alerts_in_words | (stored_critical - {"sexual"})

    pupils = list(pupils) if pupils is not None else _pupils(report)
    months_elapsed = _months_since_named_month(text, getattr(report, "received_at", None))
    over_a_year = since == Since.YEAR or "duration_over_a_year" in said
    months = over_a_year or since == Since.MONTHS or "duration_months" in said or months_elapsed >= 2
    daily = frequency == Frequency.DAILY or "frequency_daily" in said
    sexual_violence = "sexual" in alerts_in_words
    still_online = "content_still_online" in said

    return Criteria(
        repeated=daily or frequency in _REPEATED or "repeated" in said,
        frequency_daily=daily,
        duration_months=months,
        duration_over_a_year=over_a_year,
        author_count=sum(1 for p in pupils if p.role == PupilRole.ALLEGED_AUTHOR),
        physical_violence=_physical_violence(text, forms, said),
        sexual=sexual_violence or Form.SEXUAL in forms or "sexual" in stored_flags or "sexual" in said,
        sexual_violence=sexual_violence,
        cyber=still_online or Form.CYBER in forms or bool(platforms) or Place.ONLINE in places or "cyber" in said,
        content_still_online=still_online,
        threats=Form.THREATS in forms or "threats" in said,
        isolation=DistressSign.ISOLATED in signs or "isolation" in said,
        absenteeism=DistressSign.ABSENT in signs or "absenteeism" in said,
        falling_results=DistressSign.GRADES in signs or "falling_results" in said,
        self_harm_or_suicidal="self_harm" in alerts,
        vulnerability_or_disability="vulnerability_or_disability" in said,
        victim_under_15=_victim_under_15(text, pupils, getattr(report, "school", None)),
        authors_in_another_school="authors_in_another_school" in said,
        weapon="weapon" in alerts,
        family_danger="family_danger" in alerts,
    )


def propose(report: Any, *, pupils: Iterable[Any] | None = None) -> Priority:
    """The priority triage proposes for a report before anyone corrects it: its criteria, assessed as
    bullying (the triage form's starting qualification). Stored at intake: the queue's order."""
    return assess(criteria_from_report(report, pupils=pupils), Qualification.BULLYING).priority


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text).replace("’", "'"))


def _pupils(report: Any) -> list[Any]:
    pupils = getattr(report, "pupils", None)
    if pupils is None:
        return []
    if hasattr(pupils, "all"):  # the related manager of a saved Report
        return list(pupils.all())
    return list(pupils)


def _physical_violence(text: str, forms: set[str], said: set[str]) -> str:
    days = [int(m["days"]) for pattern in _ITT_DAYS for m in pattern.finditer(text)]
    more_than = [int(m["days"]) for m in _ITT_MORE_THAN.finditer(text)]
    if any(d > ITT_DAYS_THRESHOLD for d in days) or any(d >= ITT_DAYS_THRESHOLD for d in more_than):
        return PhysicalViolence.ITT_OVER_8.value
    if Form.PHYSICAL in forms or "physical" in said:
        return PhysicalViolence.ITT_8_OR_LESS.value
    return PhysicalViolence.NONE.value


def _victim_under_15(text: str, pupils: Iterable[Any], school: Any) -> bool:
    if getattr(school, "kind", "") == "ecole":
        return True
    victim_classes = [_normalise(p.class_name or "") for p in pupils if p.role == PupilRole.VICTIM]
    if any(_YOUNG_CLASS.match(name) for name in victim_classes):
        return True
    return any(int(m["age"]) < 15 for pattern in _AGES for m in pattern.finditer(text))


def _months_since_named_month(text: str, received_at: datetime | None) -> int:
    """'Depuis janvier', 'depuis la rentrée': how many months before the report, 0 if unknown."""
    if received_at is None:
        return 0
    if timezone.is_aware(received_at):
        received_at = timezone.localtime(received_at)
    elapsed = 0
    for match in _SINCE_MONTH.finditer(text):
        month = _MONTH_NAMES.index(match["month"]) + 1 if match["month"] else 9  # la rentrée: September
        elapsed = max(elapsed, (received_at.month - month) % 12)
    return elapsed
