"""Weak-signal observations: what school staff note about one pupil, and what becomes of it.

Several adults observe the pupil from different places over a period (the official "grille de signaux
faibles"); the summary shows the pattern; one action turns it into a report to the cell, prefilled.
The pupil is known only by initials and class. An observation never transmitted is temporary: the
periodic purge deletes it three calendar months after it was opened, and journals the deletion.

Every action takes keyword arguments and the acting membership, and runs in one transaction.
"""

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from halte.audit.journal import record
from halte.audit.models import Action
from halte.reports.actions import PupilData, ReportData, submit_report
from halte.reports.enums import Channel, DistressSign, PupilRole, ReporterKind

from .enums import Place, Sign
from .models import Observation, ObservationEntry

RETENTION_MONTHS = 3
# How far before the opening of an observation an entry may be dated: staff often open the
# observation once they have already noticed something.
BACKDATING_DAYS = 30
MAX_INITIALS_LETTERS = 4
INITIALS_MAX_LENGTH = 8  # Observation.initials

# The signs of the grid that the report's intake form also knows: they fill its "distress signs",
# so that self-harm makes the report worrying exactly as it would on the public form.
SIGN_TO_DISTRESS: dict[str, str] = {
    Sign.ISOLATION: DistressSign.ISOLATED,
    Sign.ABSENCES: DistressSign.ABSENT,
    Sign.RESULTS: DistressSign.GRADES,
    Sign.SLEEP_APPETITE: DistressSign.SLEEP,
    Sign.SADNESS: DistressSign.SAD,
    Sign.SELF_HARM: DistressSign.SELF_HARM,
}

_INITIALS_CHARACTERS = re.compile(r"^[^\W\d_][^\W\d_.\- ]*(?:[.\- ]+[^\W\d_]+)*[.\- ]*$")
_LETTER_RUN = re.compile(r"[^\W\d_]{2,}")


class ObservationRefused(Exception):
    """An action that cannot be done on this observation; the message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Dates ----------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day some calendar months later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def retention_cutoff(now: datetime) -> datetime:
    """Observations opened before this instant are older than the retention period."""
    local = timezone.localtime(now)
    moved = add_months(local.date(), -RETENTION_MONTHS)
    return timezone.make_aware(datetime.combine(moved, local.time().replace(tzinfo=None)), local.tzinfo)


def erasure_date(observation: Observation) -> date:
    """The day the purge deletes this observation, unless it is transmitted to the cell first."""
    return add_months(timezone.localdate(observation.opened_at), RETENTION_MONTHS)


def _fmt(day: date) -> str:
    return date_format(day, "d/m/Y")


# --- Validation -----------------------------------------------------------------------------------


def normalise_initials(value: str) -> str:
    """Initials only ("L. M.", "LM", "J.-P. D."): 1 to 4 letters, dots, hyphens and spaces.

    Anything that looks like a name (a lower-case letter inside a word, too many letters, digits or
    other characters) is refused: the observation must not identify the pupil by name.
    """
    text = " ".join((value or "").split())
    refusal = ValidationError(_("Indiquez seulement les initiales de l’élève, par exemple L. M."), code="initials")
    if not text or not _INITIALS_CHARACTERS.match(text):
        raise refusal
    letters = [c for c in text if c.isalpha()]
    if not 1 <= len(letters) <= MAX_INITIALS_LETTERS:
        raise refusal
    if any(not run.isupper() for run in _LETTER_RUN.findall(text)):
        raise refusal  # "Léa", "Martin": a word, not initials
    text = text.upper()
    if len(text) > INITIALS_MAX_LENGTH:
        text = text.replace(" ", "")
    if len(text) > INITIALS_MAX_LENGTH:
        raise refusal
    return text


def earliest_entry_date(observation: Observation) -> date:
    return timezone.localdate(observation.opened_at) - timedelta(days=BACKDATING_DAYS)


def check_entry(*, observation: Observation, observed_on: date | None, signs: list[str]) -> None:
    """Raise a ValidationError keyed by field when an entry cannot be added as given."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if observed_on is None:
        errors["observed_on"] = [_("Indiquez la date de l’observation.")]
    elif observed_on > today:
        errors["observed_on"] = [_("La date ne peut pas être dans le futur.")]
    elif observed_on < earliest_entry_date(observation):
        errors["observed_on"] = [
            _("La date ne peut pas précéder le %(day)s (30 jours avant l’ouverture de l’observation).")
            % {"day": _fmt(earliest_entry_date(observation))}
        ]
    known = set(Sign.values)
    if not signs:
        errors["signs"] = [_("Cochez au moins un signe observé.")]
    elif any(sign not in known for sign in signs):
        errors["signs"] = [_("Choisissez les signes dans la grille.")]
    if errors:
        raise ValidationError(errors)


# --- Actions --------------------------------------------------------------------------------------


def open_observation(*, school, initials: str, class_name: str, actor) -> Observation:
    """Open an observation about one pupil of the actor's school, known by initials and class."""
    initials = normalise_initials(initials)
    class_name = " ".join((class_name or "").split())
    if not class_name:
        raise ValidationError({"class_name": [_("Indiquez la classe de l’élève.")]})
    with transaction.atomic():
        return Observation.objects.create(school=school, initials=initials, class_name=class_name, opened_by=actor)


def add_entry(
    *, observation: Observation, observed_on: date, place: str, signs: list[str], note: str, actor
) -> ObservationEntry:
    """Add one dated observation from one place, with the signs seen there."""
    if observation.report_id is not None:
        raise ObservationRefused(_("Cette observation a déjà été transmise à la cellule."))
    check_entry(observation=observation, observed_on=observed_on, signs=signs)
    if place not in Place.values:
        raise ValidationError({"place": [_("Choisissez un lieu dans la liste.")]})
    ordered = [sign for sign in Sign.values if sign in set(signs)]
    with transaction.atomic():
        return ObservationEntry.objects.create(
            observation=observation,
            observed_on=observed_on,
            place=place,
            signs=ordered,
            note=(note or "").strip(),
            author=actor,
        )


# --- Summary --------------------------------------------------------------------------------------


@dataclass
class SignPattern:
    sign: str
    label: str
    entries: int
    places: list[str]  # labels, in the order of the grid
    colleagues: int
    first_on: date
    last_on: date

    @property
    def place_count(self) -> int:
        return len(self.places)


@dataclass
class WeekCount:
    starts_on: date  # a Monday
    entries: int
    signs: int  # signs ticked that week, all entries together
    places: int  # distinct places that week

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(days=6)


@dataclass
class Summary:
    entries: int = 0
    colleagues: int = 0
    places: list[str] = field(default_factory=list)
    first_on: date | None = None
    last_on: date | None = None
    signs: list[SignPattern] = field(default_factory=list)
    weeks: list[WeekCount] = field(default_factory=list)


def summary(observation: Observation) -> Summary:
    """The pattern over the period: per sign, how often, where, by how many colleagues, when; and
    per week (every week from the first entry to the last, empty ones included) how many entries."""
    entries = list(observation.entries.all())
    if not entries:
        return Summary()
    place_labels = dict(Place.choices)
    place_order = {value: index for index, value in enumerate(Place.values)}
    per_sign: dict[str, list[ObservationEntry]] = defaultdict(list)
    for entry in entries:
        for sign in entry.signs:
            per_sign[sign].append(entry)

    def place_names(selected: list[ObservationEntry]) -> list[str]:
        values = sorted({e.place for e in selected}, key=lambda p: place_order.get(p, len(place_order)))
        return [str(place_labels.get(p, p)) for p in values]

    patterns = [
        SignPattern(
            sign=sign,
            label=str(label),
            entries=len(per_sign[sign]),
            places=place_names(per_sign[sign]),
            colleagues=len({e.author_id for e in per_sign[sign]}),
            first_on=min(e.observed_on for e in per_sign[sign]),
            last_on=max(e.observed_on for e in per_sign[sign]),
        )
        for sign, label in Sign.choices
        if per_sign[sign]
    ]
    # Most frequent first; the grid's order breaks ties.
    patterns.sort(key=lambda p: -p.entries)

    first_on = min(e.observed_on for e in entries)
    last_on = max(e.observed_on for e in entries)
    week_entries: dict[date, list[ObservationEntry]] = defaultdict(list)
    for entry in entries:
        week_entries[_monday(entry.observed_on)].append(entry)
    weeks = []
    monday = _monday(first_on)
    while monday <= last_on:
        selected = week_entries.get(monday, [])
        weeks.append(
            WeekCount(
                starts_on=monday,
                entries=len(selected),
                signs=sum(len(e.signs) for e in selected),
                places=len({e.place for e in selected}),
            )
        )
        monday += timedelta(days=7)
    return Summary(
        entries=len(entries),
        colleagues=len({e.author_id for e in entries}),
        places=place_names(entries),
        first_on=first_on,
        last_on=last_on,
        signs=patterns,
        weeks=weeks,
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- Transmission to the cell ---------------------------------------------------------------------


def report_description(observation: Observation, pattern: Summary) -> str:
    """The prefilled description of the report: dates, places, signs and counts, never a name.

    The free-text notes of the entries are left out on purpose: they may name pupils or adults.
    """
    assert pattern.first_on is not None and pattern.last_on is not None
    place_labels = dict(Place.choices)
    sign_labels = dict(Sign.choices)
    lines = [
        _(
            "Observation de signaux faibles ouverte le %(opened)s par l’établissement, "
            "élève %(initials)s, classe %(class)s."
        )
        % {
            "opened": _fmt(timezone.localdate(observation.opened_at)),
            "initials": observation.initials,
            "class": observation.class_name,
        },
        ngettext(
            "%(count)d observation du %(first)s au %(last)s",
            "%(count)d observations du %(first)s au %(last)s",
            pattern.entries,
        )
        % {"count": pattern.entries, "first": _fmt(pattern.first_on), "last": _fmt(pattern.last_on)}
        + ngettext(", par %(count)d membre de l’équipe", ", par %(count)d membres de l’équipe", pattern.colleagues)
        % {"count": pattern.colleagues}
        + ngettext(", dans %(count)d lieu : %(places)s.", ", dans %(count)d lieux : %(places)s.", len(pattern.places))
        % {"count": len(pattern.places), "places": ", ".join(pattern.places)},
        "",
        _("Signes relevés :"),
    ]
    for sign in pattern.signs:
        lines.append(
            "- "
            + ngettext(
                "%(sign)s : %(count)d observation",
                "%(sign)s : %(count)d observations",
                sign.entries,
            )
            % {"sign": sign.label, "count": sign.entries}
            + ngettext(", %(count)d lieu (%(places)s)", ", %(count)d lieux (%(places)s)", sign.place_count)
            % {"count": sign.place_count, "places": ", ".join(sign.places)}
            + ngettext(", %(count)d collègue", ", %(count)d collègues", sign.colleagues) % {"count": sign.colleagues}
            + _(", du %(first)s au %(last)s.") % {"first": _fmt(sign.first_on), "last": _fmt(sign.last_on)}
        )
    lines += ["", _("Détail des observations :")]
    for entry in observation.entries.all():
        lines.append(
            _("- %(day)s, %(place)s : %(signs)s.")
            % {
                "day": _fmt(entry.observed_on),
                "place": place_labels.get(entry.place, entry.place),
                "signs": ", ".join(str(sign_labels.get(s, s)) for s in entry.signs),
            }
        )
    lines += [
        "",
        _(
            "Les précisions écrites par l’équipe ne sont pas reprises ici ; "
            "la cellule peut les demander à l’établissement."
        ),
    ]
    return "\n".join(lines)


def to_report(*, observation: Observation, actor):
    """Turn the observation into a report to the cell, prefilled, and keep the link to it."""
    with transaction.atomic():
        observation = Observation.objects.select_for_update().get(pk=observation.pk)
        if observation.report_id is not None:
            raise ObservationRefused(_("Cette observation a déjà été transmise à la cellule."))
        pattern = summary(observation)
        if not pattern.entries:
            raise ObservationRefused(_("Ajoutez au moins une observation avant de transmettre à la cellule."))
        seen_signs = {s.sign for s in pattern.signs}
        data = ReportData(
            channel=Channel.SCHOOL,
            reporter_kind=ReporterKind.SCHOOL_STAFF,
            description=report_description(observation, pattern),
            school=observation.school,
            places=sorted({e.place for e in observation.entries.all()}),
            distress_signs=sorted(str(SIGN_TO_DISTRESS[s]) for s in seen_signs if s in SIGN_TO_DISTRESS),
            pupils=[
                PupilData(first_name=observation.initials, class_name=observation.class_name, role=PupilRole.VICTIM)
            ],
        )
        report = submit_report(data=data, actor=actor).report
        observation.report = report
        observation.save(update_fields=["report"])
    return report


# --- Retention ------------------------------------------------------------------------------------


def purge_stale_observations(now: datetime | None = None) -> int:
    """Delete the observations opened more than three calendar months ago and never transmitted to
    the cell, with their entries. Journals one row listing them. Returns how many were deleted."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = Observation.objects.select_for_update().filter(opened_at__lt=retention_cutoff(now), report__isnull=True)
        ids = [str(public_id) for public_id in stale.values_list("public_id", flat=True)]
        if not ids:
            return 0
        ObservationEntry.objects.filter(observation__public_id__in=ids).delete()
        Observation.objects.filter(public_id__in=ids).delete()
        # No person deletes these: the system does, by the retention rule, so the row has no actor.
        # There is no dedicated action code, so it is journaled as an administrative deletion.
        record(
            Action.ADMIN_DELETION,
            actor=None,
            detail={"what": "weak_signal_observations", "count": len(ids), "ids": ids},
        )
    return len(ids)
