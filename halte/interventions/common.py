"""What the domain functions of interventions share: the refusal they raise, the case row lock, the
timeline event and the audit row written inside each transaction."""

from datetime import date, datetime, timedelta

from django.db.models import F, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from halte.audit.journal import record
from halte.cases import timeline
from halte.cases.guardians import lock_households
from halte.cases.models import Case, Event, Involvement, Person


class InterventionRefused(Exception):
    """A write refused for a reason the person can act on; ``message`` is French, for them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyDone(InterventionRefused):
    """What was asked is already done (a page kept open in a second tab): the message says who did it
    and when, and nothing is written again."""


def lock_case(case: Case) -> Case:
    """Lock the case row for the rest of the transaction (no-op on SQLite)."""
    return Case.objects.select_for_update().get(pk=case.pk)


def lock_families(case: Case, people) -> Case:
    """Lock the case row, then the rows of the households of these people (``cases.guardians.
    lock_households``), in that order, for the rest of the transaction: what every write about a family's
    holds takes, so that an instruction, an exception or a guardian link being written on any case is
    seen by a check made under these locks, or waits for it. No-op on SQLite."""
    locked = lock_case(case)
    lock_households(person.pk if isinstance(person, Person) else person for person in people if person is not None)
    return locked


def event(case: Case, actor, kind: str, text: str, subject: str | None = None) -> Event:
    """A line of the case's timeline, in the compartment the access policy decides for its kind."""
    return timeline.write(case, actor, kind, text, subject=subject)


def audit(action, actor, case: Case, **detail) -> None:
    record(action, actor=actor.user if actor else None, membership=actor, target=case, detail=detail)


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def stop_first_measure_clock(case: Case, moment=None) -> bool:
    """Set ``Case.first_measure_at`` if nobody did yet (the clock « première mesure de protection »
    stops); True when this call stopped it. Conditional, so two measures at once set it once."""
    moment = moment or timezone.now()
    stopped = Case.objects.filter(pk=case.pk, first_measure_at__isnull=True).update(
        first_measure_at=moment, version=F("version") + 1, updated_at=moment
    )
    if stopped:
        case.refresh_from_db(fields=["first_measure_at", "version", "updated_at"])
    return bool(stopped)


def is_involved(case: Case, person: Person, roles=None) -> bool:
    rows = Involvement.objects.filter(case=case, person=person)
    if roles is not None:
        rows = rows.filter(role__in=list(roles))
    return rows.exists()


def case_began_on(case: Case) -> date:
    """The first day of a case's story in Halte: the day it was opened, or the day its first report was
    received when that came first (what the school did on receiving it belongs to the case)."""
    first_report = case.reports.aggregate(first=Min("received_at"))["first"]
    moments = [moment for moment in (case.opened_at, first_report) if moment is not None]
    return timezone.localdate(min(moments))


def _day(moment) -> date:
    return timezone.localdate(moment) if isinstance(moment, datetime) else moment


def check_within_case(case: Case, moment, *, series=None) -> None:
    """The date of something done on the case (an interview, a family contact, a measure's start, a point
    of a shared-concern series) is not before the case began, nor before the series' first meeting.
    Raises InterventionRefused with a French message naming both dates."""
    day = _day(moment)
    began = case_began_on(case)
    if day < began:
        raise InterventionRefused(
            _(
                "La date indiquée (%(day)s) est antérieure au début du dossier %(ref)s (%(began)s) : "
                "vérifiez-la, ou indiquez une date à partir du %(began)s."
            )
            % {"day": date_format(day, "d/m/Y"), "ref": case.reference, "began": date_format(began, "d/m/Y")}
        )
    started = getattr(series, "started_on", None)
    if started is not None and day < started:
        raise InterventionRefused(
            _(
                "La date indiquée (%(day)s) est antérieure au premier entretien de la série de la préoccupation "
                "partagée (%(started)s) : vérifiez-la."
            )
            % {"day": date_format(day, "d/m/Y"), "started": date_format(started, "d/m/Y")}
        )


def check_not_future(moment, message: str, now=None) -> None:
    """Something that already happened cannot be dated in the future (five minutes of slack for clocks)."""
    if moment > (now or timezone.now()) + timedelta(minutes=5):
        raise InterventionRefused(message)
