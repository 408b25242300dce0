"""The shared-concern method (méthode de la préoccupation partagée, MPP): one series per alleged
author, with short, repeated, non-blaming meetings with that pupil and follow-up points with the victim.

The 15-day rule (:func:`propose_switches`, run by the periodic pass): 15 days after the first meeting
with the author, if the victim has not said things are better since, Halte proposes — once — to switch
to the sanctions track. The coordinator or the lead decides: switch, or keep going (journaled; the
proposal is not repeated).
"""

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.interventions import can_decide_mpp_switch, can_run_mpp
from halte.accounts.models import Membership, Role
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.cases.enums import OPEN_STATES
from halte.cases.enums import Role as InvolvementRole
from halte.cases.models import Case, Person
from halte.notifications.models import Kind
from halte.notifications.service import notify

from .common import (
    InterventionRefused,
    audit,
    case_url,
    check_not_future,
    check_within_case,
    event,
    is_involved,
    lock_case,
)
from .models import Interview, MppSeries

logger = logging.getLogger(__name__)

SWITCH_AFTER_DAYS = 15

FUTURE_MEETING = gettext_lazy("La date de l’entretien ne peut pas être dans le futur.")
SUMMARY_REQUIRED = gettext_lazy("Écrivez ce qui s’est dit pendant l’entretien.")
SAME_MINUTE = gettext_lazy(
    "Un entretien est déjà enregistré à cette heure dans cette série : vérifiez la date et l’heure. "
    "Rien n’a été enregistré."
)
NO_PREVIOUS_MEETING = gettext_lazy(
    "Aucun entretien précédent dans cette série : il n’y a pas encore de propositions dont vérifier la mise en "
    "œuvre. Rien n’a été enregistré."
)


def _minute(moment: datetime) -> tuple[datetime, datetime]:
    """The minute a meeting is held in, as a half-open range: meetings are entered to the minute."""
    start = moment.replace(second=0, microsecond=0)
    return start, start + timedelta(minutes=1)


def _refuse_same_minute(series: MppSeries, person: Person, method: str, held_at: datetime) -> None:
    """One meeting of a series with one pupil per minute: a second one is a repeated post or a mistake.
    Asked under the series' row lock, so two posts at once cannot both pass."""
    start, end = _minute(held_at)
    repeated = Interview.objects.filter(
        series=series, person=person, method=method, held_at__gte=start, held_at__lt=end
    ).exists()
    if repeated:
        raise InterventionRefused(str(SAME_MINUTE))


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise InterventionRefused(_("Vous ne pouvez pas agir sur la préoccupation partagée de ce dossier."))


def _lock_open_series(series: MppSeries) -> MppSeries:
    row = MppSeries.objects.select_for_update().select_related("author").get(pk=series.pk)
    if row.status != MppSeries.Status.OPEN:
        raise InterventionRefused(_("Cette série d’entretiens est terminée : rien n’a été enregistré."))
    return row


def _changed(series: MppSeries, actor, text: str, change: str) -> None:
    event(series.case, actor, "mpp", text)
    audit(AuditAction.MPP_SERIES_CHANGED, actor, series.case, series=str(series.public_id), change=change)


# --- The series and its meetings -----------------------------------------------------------------


def already_engaged(series: MppSeries) -> str:
    """The answer to a second start with the same author (a double click, a second tab): the series
    exists, with who started it and when; nothing new is recorded."""
    return _(
        "Déjà engagée pour cet élève le %(date)s par %(who)s : rien de nouveau n’a été enregistré. "
        "Enregistrez les entretiens depuis la série ci-dessous."
    ) % {
        "date": timezone.localtime(series.created_at).strftime("%d/%m/%Y à %H:%M"),
        "who": series.created_by.user.get_full_name(),
    }


def start_series(*, case: Case, actor, author: Person) -> MppSeries:
    """Open a series with one alleged author of the case (one series per author and case)."""
    _refuse_unless(can_run_mpp(actor, case))
    if not is_involved(case, author, [InvolvementRole.ALLEGED_AUTHOR]):
        raise InterventionRefused(_("La méthode s’engage avec un élève cité comme auteur présumé dans ce dossier."))
    with transaction.atomic():
        lock_case(case)
        existing = MppSeries.objects.filter(case=case, author=author).select_related("created_by__user").first()
        if existing is not None:
            raise InterventionRefused(already_engaged(existing))
        series = MppSeries.objects.create(case=case, author=author, created_by=actor)
        _changed(series, actor, _("Préoccupation partagée engagée avec %(author)s.") % {"author": author}, "started")
    return series


def has_author_meeting(series: MppSeries) -> bool:
    """Whether a meeting with the author is recorded: the next one asks about its proposals."""
    return Interview.objects.filter(series=series, method=Interview.Method.MPP).exists()


def record_author_meeting(
    *,
    series: MppSeries,
    actor,
    held_at: datetime,
    conducted_by: Membership,
    summary: str = "",
    proposals_made: str = "",
    proposals_done: bool | None = None,
    also_present: str = "",
) -> Interview:
    """A short, non-blaming meeting with the author. The first one dates the series (``started_on``).
    What was said is required; ``proposals_done`` answers for the proposals of an earlier meeting, so
    it is refused when there is none; a second meeting in the same minute is refused."""
    _refuse_unless(can_run_mpp(actor, series.case))
    if not summary.strip():
        raise InterventionRefused(str(SUMMARY_REQUIRED))
    check_not_future(held_at, str(FUTURE_MEETING))
    # The first meeting dates the series: only the case bounds it.
    check_within_case(series.case, held_at)
    with transaction.atomic():
        lock_case(series.case)
        row = _lock_open_series(series)
        _refuse_same_minute(row, row.author, Interview.Method.MPP, held_at)
        earlier = Interview.objects.filter(series=row, method=Interview.Method.MPP, held_at__lt=held_at)
        if proposals_done is not None and not earlier.exists():
            raise InterventionRefused(str(NO_PREVIOUS_MEETING))
        interview = Interview.objects.create(
            case=series.case,
            person=row.author,
            kind=Interview.Kind.ALLEGED_AUTHOR,
            method=Interview.Method.MPP,
            held_at=held_at,
            conducted_by=conducted_by,
            also_present=also_present,
            summary=summary,
            series=row,
            proposals_made=proposals_made,
            proposals_done=proposals_done,
        )
        day = timezone.localdate(held_at)
        if row.started_on is None or day < row.started_on:
            MppSeries.objects.filter(pk=row.pk).update(started_on=day)
        done = {True: _("propositions mises en œuvre"), False: _("propositions non mises en œuvre"), None: ""}
        text = _("Préoccupation partagée : entretien avec %(author)s.") % {"author": row.author}
        if proposals_done is not None:
            text = f"{text} ({done[proposals_done]})"
        _changed(row, actor, text, "author_meeting")
    series.refresh_from_db()
    return interview


def record_victim_point(
    *,
    series: MppSeries,
    actor,
    victim: Person,
    held_at: datetime,
    conducted_by: Membership,
    victim_view: str,
    summary: str = "",
    words: str = "",
) -> Interview:
    """A follow-up point with the victim: is it better, the same or worse, in the pupil's own view?"""
    _refuse_unless(can_run_mpp(actor, series.case))
    if victim_view not in Interview.VictimView.values:
        raise InterventionRefused(_("Indiquez ce que dit l’élève : mieux, pareil ou moins bien."))
    if not is_involved(series.case, victim, [InvolvementRole.VICTIM]):
        raise InterventionRefused(_("Le point de suivi se fait avec un élève cité comme victime dans ce dossier."))
    check_not_future(held_at, str(FUTURE_MEETING))
    with transaction.atomic():
        lock_case(series.case)
        row = _lock_open_series(series)
        # A follow-up point of the method comes after its first meeting (read under the lock).
        check_within_case(series.case, held_at, series=row)
        _refuse_same_minute(row, victim, Interview.Method.MPP_VICTIM, held_at)
        interview = Interview.objects.create(
            case=series.case,
            person=victim,
            kind=Interview.Kind.VICTIM,
            method=Interview.Method.MPP_VICTIM,
            held_at=held_at,
            conducted_by=conducted_by,
            words=words,
            summary=summary,
            series=row,
            victim_view=victim_view,
        )
        text = _("Préoccupation partagée (%(author)s) : point avec %(victim)s, qui dit que c’est %(view)s.") % {
            "author": row.author,
            "victim": victim,
            "view": Interview.VictimView(victim_view).label.lower(),
        }
        _changed(row, actor, text, "victim_point")
    return interview


OUTCOMES: dict[str, object] = {
    MppSeries.Status.IMPROVED: gettext_lazy("Préoccupation partagée avec %(author)s : amélioration constatée."),
    MppSeries.Status.STOPPED: gettext_lazy("Préoccupation partagée avec %(author)s : série arrêtée."),
}


def close_series(*, series: MppSeries, actor, status: str) -> MppSeries:
    """Mark an open series improved or stopped."""
    _refuse_unless(can_run_mpp(actor, series.case))
    if status not in OUTCOMES:
        raise InterventionRefused(_("Choisissez l’issue de la série."))
    with transaction.atomic():
        lock_case(series.case)
        row = _lock_open_series(series)
        MppSeries.objects.filter(pk=row.pk).update(status=status)
        _changed(row, actor, str(OUTCOMES[status]) % {"author": row.author}, status)
    series.refresh_from_db()
    return series


# --- Switching to the sanctions track ----------------------------------------------------------------


def switch_to_sanctions(*, series: MppSeries, actor) -> MppSeries:
    """The coordinator or the lead moves an open series to the sanctions track."""
    _refuse_unless(can_decide_mpp_switch(actor, series.case))
    with transaction.atomic():
        lock_case(series.case)
        row = _lock_open_series(series)
        MppSeries.objects.filter(pk=row.pk).update(status=MppSeries.Status.SWITCHED)
        text = _("Préoccupation partagée avec %(author)s : bascule vers les sanctions décidée.") % {
            "author": row.author
        }
        _changed(row, actor, text, "switched")
    series.refresh_from_db()
    return series


def keep_going(*, series: MppSeries, actor) -> MppSeries:
    """The answer « poursuivre la préoccupation partagée » to a proposal: journaled, never asked again."""
    _refuse_unless(can_decide_mpp_switch(actor, series.case))
    with transaction.atomic():
        lock_case(series.case)
        row = _lock_open_series(series)
        if row.switch_proposed_at is None or row.switch_declined_at is not None:
            raise InterventionRefused(_("Aucune bascule n’est proposée pour cette série."))
        MppSeries.objects.filter(pk=row.pk).update(switch_declined_at=timezone.now(), switch_declined_by=actor)
        text = _("Préoccupation partagée avec %(author)s : poursuite décidée malgré l’absence d’amélioration.") % {
            "author": row.author
        }
        _changed(row, actor, text, "kept_going")
    series.refresh_from_db()
    return series


def pending_proposal(series: MppSeries) -> bool:
    """A proposal to switch that nobody has answered yet."""
    return (
        series.status == MppSeries.Status.OPEN
        and series.switch_proposed_at is not None
        and series.switch_declined_at is None
    )


def _better_since_start():
    return Exists(
        Interview.objects.filter(
            series=OuterRef("pk"),
            method=Interview.Method.MPP_VICTIM,
            victim_view=Interview.VictimView.BETTER,
            held_at__date__gte=OuterRef("started_on"),
        )
    )


def due_series(today: date):
    """Open series of open cases, first meeting at least 15 days before `today`, no « better » from
    the victim since, never proposed."""
    return MppSeries.objects.filter(
        status=MppSeries.Status.OPEN,
        switch_proposed_at__isnull=True,
        started_on__isnull=False,
        started_on__lte=today - timedelta(days=SWITCH_AFTER_DAYS),
        case__state__in=OPEN_STATES,
    ).filter(~_better_since_start())


def propose_switches(now: datetime | None = None) -> int:
    """The 15-day rule, for the periodic pass. Each proposal is claimed by a conditional UPDATE, so two
    passes running at once cannot both fire; returns how many proposals this pass made."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    made = 0
    for series in due_series(today).select_related("case", "case__lead__user", "author").order_by("pk"):
        with transaction.atomic():
            if not _claim(series, now):
                continue
            _announce(series, now)
            made += 1
    if made:
        logger.info("MPP switch proposals: %s", made)
    return made


def _claim(series: MppSeries, now: datetime) -> bool:
    """Set ``switch_proposed_at`` only if nobody did: one row, its own conditions, no join, so that
    the database re-checks them on a row another pass has just claimed."""
    claimed = MppSeries.objects.filter(
        pk=series.pk, status=MppSeries.Status.OPEN, switch_proposed_at__isnull=True
    ).update(switch_proposed_at=now)
    return claimed == 1


def _announce(series: MppSeries, now: datetime) -> None:
    case = series.case
    text = _(
        "Préoccupation partagée avec %(author)s : pas d’amélioration signalée par la victime %(days)s jours après "
        "le premier entretien. Bascule vers les sanctions proposée."
    ) % {"author": series.author, "days": SWITCH_AFTER_DAYS}
    event(case, None, "mpp_switch_proposed", text)
    record(
        AuditAction.MPP_SWITCH_PROPOSED,
        target=case,
        detail={"series": str(series.public_id), "started_on": str(series.started_on)},
    )
    lead = case.lead
    if lead is not None and lead.is_active and lead.user.is_active:
        members = [lead]
    else:
        members = list(Membership.objects.active().filter(role=Role.COORDINATOR).select_related("user", "organisation"))
    title = _("Dossier %(ref)s : préoccupation partagée sans amélioration, une décision est attendue") % {
        "ref": case.reference
    }
    notify(memberships=members, kind=Kind.MPP_SWITCH, title=title, url=case_url(case))
