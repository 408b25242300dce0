"""The periodic pass (`manage.py tick`, every minute): every module's recurring duty in one place.

Each duty is idempotent and cheap when there is nothing to do, so running the pass every minute is
safe: clock reminders and escalations (cases), the 60-day warning of expiring approvals and the
deletion of weak-signal observations older than three months (prevention), the proposal to switch a
shared-concern series without improvement to the sanctions track (interventions), forgetting the
counters of wrong receipt codes whose window is over (reports), and once a day the checkpoint of the
audit journal's closed days (audit).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass
class PassResult:
    clocks: object
    approvals_warned: int
    observations_purged: int
    mpp_switches_proposed: int = 0
    journal_checkpoints: int = 0
    receipt_counters_purged: int = 0

    def summary(self) -> str:
        lines = [self.clocks.summary()]  # type: ignore[attr-defined]
        if self.approvals_warned:
            lines.append(f"Agréments bientôt expirés signalés : {self.approvals_warned}.")
        if self.observations_purged:
            lines.append(f"Observations de signaux faibles effacées après 3 mois : {self.observations_purged}.")
        if self.mpp_switches_proposed:
            lines.append(
                f"Préoccupations partagées sans amélioration, bascule proposée : {self.mpp_switches_proposed}."
            )
        if self.journal_checkpoints:
            lines.append(f"Points de contrôle du journal écrits et envoyés : {self.journal_checkpoints} jour(s).")
        return "\n".join(lines)


def run(now: datetime | None = None) -> PassResult:
    from halte.cases import clocks
    from halte.interventions.mpp import propose_switches
    from halte.prevention.approvals import warn_expiring
    from halte.prevention.observations import purge_stale_observations
    from halte.reports.throttle import purge as purge_receipt_counters

    moment = now or timezone.now()
    return PassResult(
        clocks=clocks.tick(moment),
        approvals_warned=warn_expiring(timezone.localdate(moment)),
        observations_purged=purge_stale_observations(moment),
        mpp_switches_proposed=propose_switches(moment),
        journal_checkpoints=_journal_checkpoints(moment),
        receipt_counters_purged=purge_receipt_counters(moment),
    )


def _journal_checkpoints(moment: datetime) -> int:
    """A checkpoint that cannot be written (storage missing or full, file damaged) must not stop the
    other duties; it is logged, and tried again at the next pass."""
    from halte.audit.checkpoints import CheckpointFileError, write_due

    try:
        return len(write_due(moment))
    except (OSError, CheckpointFileError):
        logger.exception("The audit journal's checkpoint could not be written.")
        return 0
