"""Staff trainings (sessions, attendees, attendance, certificates) and pupil ambassadors (counts).

Every write goes through one of these functions. Attendance is taken once a session has started;
a certificate exists only for someone marked present. Ambassadors are counts per school and school
year, never names.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from halte.directory.models import School

from .coverage import school_year_of
from .models import AmbassadorCount, TrainingAttendee, TrainingSession


class TrainingRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def create_session(
    *,
    actor,
    topic: str,
    title: str,
    trainer: str,
    starts_at: datetime,
    duration_minutes: int,
    place: str,
) -> TrainingSession:
    return TrainingSession.objects.create(
        topic=topic,
        title=title,
        trainer=trainer,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        created_by=actor,
    )


def add_attendee(*, session: TrainingSession, full_name: str, function: str, school: School) -> TrainingAttendee:
    if session.attendees.filter(full_name__iexact=full_name, school=school).exists():
        raise TrainingRefused(_("Cette personne est déjà inscrite à cette formation."))
    return TrainingAttendee.objects.create(session=session, full_name=full_name, function=function, school=school)


def has_started(session: TrainingSession, now: datetime | None = None) -> bool:
    return session.starts_at <= (now or timezone.now())


@transaction.atomic
def record_attendance(*, session: TrainingSession, present: set[int]) -> int:
    """Mark present exactly the attendees listed; every other attendee of the session is absent.

    Returns the number of attendees marked present.
    """
    if not has_started(session):
        raise TrainingRefused(_("La présence ne peut être relevée qu’à partir du début de la formation."))
    attendees = session.attendees.select_for_update()
    attendees.filter(pk__in=present).update(attended=True)
    attendees.exclude(pk__in=present).update(attended=False)
    return session.attendees.filter(attended=True).count()


def record_ambassadors(*, actor, school: School, trained_on: date, count: int) -> AmbassadorCount:
    """Pupils trained as ambassadors on a day; the school year follows from the day."""
    return AmbassadorCount.objects.create(
        school=school,
        school_year=school_year_of(trained_on),
        trained_on=trained_on,
        count=count,
        recorded_by=actor,
    )


# --- Certificates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    attendee: TrainingAttendee
    session: TrainingSession
    starts_at: datetime  # local time
    ends_at: datetime  # local time
    duration_label: str
    issuer: str
    issued_on: date
    filename: str


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": rest}
    if not rest:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": rest}


def certificate_for(attendee: TrainingAttendee) -> Certificate:
    """What an attendance certificate says: who, what, when, where, how long, by whom, issued by whom."""
    if not attendee.attended:
        raise TrainingRefused(_("Aucune attestation : cette personne n’a pas été marquée présente."))
    session = attendee.session
    starts_at = timezone.localtime(session.starts_at)
    name = slugify(attendee.full_name) or "participant"
    return Certificate(
        attendee=attendee,
        session=session,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=session.duration_minutes),
        duration_label=duration_label(session.duration_minutes),
        issuer=settings.HALTE["OPERATOR_NAME"],
        issued_on=timezone.localdate(),
        filename=f"attestation-formation-{starts_at:%Y-%m-%d}-{name}.pdf",
    )
