"""The case state machine: one transitions table; `Case` gets one method per transition.

Each transition runs in one transaction: it locks the case row, checks that the current state allows
it, applies its side effects on the milestones, bumps the version (optimistic locking), and writes
the transition log, a timeline event and an audit event with the acting membership.

Closing sets a watch period (``watch_until``: the closure date plus 90 days by default, 0 to 365 days;
none with 0) during which the periodic pass sends reminders (:mod:`halte.cases.clocks`). Closing and
redirecting tell the referring school and the sharing organisations the outcome
(:mod:`halte.cases.feedback`). Reopening keeps everything (history, follow-ups, actions), clears the
closure fields and schedules a new follow-up checkpoint one week later.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.audit.journal import record
from halte.audit.models import Action

from .enums import State


class TransitionNotAllowed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Spec:
    name: str
    label: object
    sources: frozenset[str]
    target: str
    needs_reason: bool = False


TRANSITIONS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec("triage", gettext_lazy("Trier"), frozenset({State.NEW}), State.TRIAGED),
        Spec(
            "start_intervention",
            gettext_lazy("Démarrer l’intervention"),
            frozenset({State.TRIAGED, State.REOPENED, State.MONITORING}),
            State.IN_INTERVENTION,
        ),
        Spec(
            "start_monitoring", gettext_lazy("Passer en veille"), frozenset({State.IN_INTERVENTION}), State.MONITORING
        ),
        Spec(
            "close",
            gettext_lazy("Clore le dossier"),
            frozenset({State.TRIAGED, State.IN_INTERVENTION, State.MONITORING, State.REOPENED}),
            State.CLOSED,
            needs_reason=True,
        ),
        Spec("reopen", gettext_lazy("Rouvrir"), frozenset({State.CLOSED}), State.REOPENED, needs_reason=True),
        Spec(
            "redirect",
            gettext_lazy("Réorienter"),
            frozenset({State.NEW, State.TRIAGED}),
            State.REDIRECTED,
            needs_reason=True,
        ),
    )
}


DEFAULT_WATCH_DAYS = 90
MAX_WATCH_DAYS = 365
REOPEN_FOLLOW_UP_DAYS = 7


def available(case) -> list[Spec]:
    return [spec for spec in TRANSITIONS.values() if case.state in spec.sources]


def apply(case, name: str, *, actor, reason: str = "", **milestones):
    """Run transition `name` on `case`. Returns the refreshed case."""
    from . import timeline
    from .enums import EventKind
    from .models import Case, Transition

    spec = TRANSITIONS[name]
    if spec.needs_reason and not reason.strip():
        raise TransitionNotAllowed(_("Indiquez le motif."))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state not in spec.sources:
            raise TransitionNotAllowed(
                _("Impossible de « %(action)s » un dossier à l’état « %(state)s ».")
                % {"action": str(spec.label).lower(), "state": locked.get_state_display()}
            )
        previous = locked.state
        locked.state = spec.target
        for field, value in milestones.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.save()
        Transition.objects.create(
            case=locked, name=name, from_state=previous, to_state=spec.target, reason=reason, actor=actor
        )
        text = f"{spec.label} : {locked.get_state_display()}" + (f" — {reason}" if reason else "")
        timeline.write(locked, actor, EventKind.TRANSITION, text)
        record(
            Action.CASE_TRANSITION,
            actor=actor.user,
            membership=actor,
            target=locked,
            detail={"transition": name, "from": previous, "to": spec.target},
        )
    return locked


class CaseWorkflowMixin:
    """One method per transition, so that views call exactly one of them."""

    def triage(self, *, actor):
        return apply(self, "triage", actor=actor)

    def start_intervention(self, *, actor):
        if getattr(self, "taken_in_charge_at", None):
            return apply(self, "start_intervention", actor=actor)
        return apply(self, "start_intervention", actor=actor, taken_in_charge_at=timezone.now())

    def start_monitoring(self, *, actor, watch_until=None):
        return apply(self, "start_monitoring", actor=actor, watch_until=watch_until)

    def close(self, *, actor, outcome: str, reason: str, watch_days: int = DEFAULT_WATCH_DAYS, tell: bool = True):
        """Close with an outcome and a reason; the watch period runs `watch_days` after the closure.
        `tell`: send the outcome to the referring school and sharing organisations (not for a merge)."""
        from .enums import ClosureOutcome
        from .feedback import CLOSED, send_outcome

        if outcome not in ClosureOutcome.values:
            raise TransitionNotAllowed(_("Choisissez l’issue du dossier."))
        if not 0 <= watch_days <= MAX_WATCH_DAYS:
            raise TransitionNotAllowed(_("La période de veille dure de 0 à 365 jours."))
        now = timezone.now()
        watch_until = timezone.localdate(now) + timedelta(days=watch_days) if watch_days else None
        with transaction.atomic():
            closed = apply(
                self,
                "close",
                actor=actor,
                reason=reason,
                closed_at=now,
                closure_outcome=outcome,
                watch_until=watch_until,
            )
            if tell:
                send_outcome(closed, actor=actor, event=CLOSED, label=str(ClosureOutcome(outcome).label))
        return closed

    def reopen(self, *, actor, reason: str):
        """Reopen: history, follow-ups and actions stay; a new checkpoint one week later."""
        from .models import FollowUp

        with transaction.atomic():
            reopened = apply(
                self, "reopen", actor=actor, reason=reason, closed_at=None, closure_outcome="", watch_until=None
            )
            due_on = timezone.localdate() + timedelta(days=REOPEN_FOLLOW_UP_DAYS)
            day = (due_on - timezone.localdate(reopened.opened_at)).days
            existing = {row.day: row for row in FollowUp.objects.filter(case=reopened)}
            while day in existing and existing[day].done_at is not None:  # that day's checkpoint is behind us
                day, due_on = day + 1, due_on + timedelta(days=1)
            if day not in existing:
                FollowUp.objects.create(case=reopened, day=day, due_on=due_on)
        return reopened

    def redirect(self, *, actor, reason: str):
        from .enums import ClosureOutcome
        from .feedback import REDIRECTED, send_outcome

        with transaction.atomic():
            redirected = apply(
                self, "redirect", actor=actor, reason=reason, closed_at=timezone.now(), closure_outcome="redirected"
            )
            send_outcome(redirected, actor=actor, event=REDIRECTED, label=str(ClosureOutcome.REDIRECTED.label))
        return redirected
