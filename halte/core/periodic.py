"""The periodic pass (`manage.py tick`, every minute): every module's recurring duty in one place.

Each duty is idempotent and cheap when there is nothing to do, so running the pass every minute is
safe: clock reminders and escalations (cases), the 60-day warning of expiring approvals and the
deletion of weak-signal observations older than three months (prevention), the proposal to switch a
shared-concern series without improvement to the sanctions track (interventions), forgetting the
counters of wrong receipt codes and failed logins whose window is over (reports, accounts), once a
day the checkpoint of the audit journal's closed days (audit), the deletion of vault and document
files left without a row for more than an hour, of spent submission tokens and of jobs done more
than 30 days ago.

`run_exclusive` is what `manage.py tick` and the worker call: it takes a PostgreSQL advisory lock so
that two passes never overlap (the second returns at once; SQLite, with one process, needs none) and,
once the pass is done, records the `tick` heartbeat that /healthz reads.
"""

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)
# The key of the pass's advisory lock: a fixed 63-bit number derived from its name.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"halte.periodic.tick").digest()[:8], "big") >> 1


@dataclass
class PassResult:
    clocks: object
    approvals_warned: int
    observations_purged: int
    mpp_switches_proposed: int = 0
    journal_checkpoints: int = 0
    receipt_counters_purged: int = 0
    login_counters_purged: int = 0
    orphan_files: list[str] = field(default_factory=list)
    tokens_purged: int = 0
    jobs_purged: int = 0

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
        if self.orphan_files:
            lines.append(f"Fichiers sans enregistrement effacés : {len(self.orphan_files)}.")
        return "\n".join(lines)


def run(now: datetime | None = None) -> PassResult:
    from halte.accounts.throttle import purge as purge_login_counters
    from halte.cases import clocks
    from halte.core import submission
    from halte.delivery import queue
    from halte.documents import storage
    from halte.interventions.mpp import propose_switches
    from halte.prevention.approvals import warn_expiring
    from halte.prevention.observations import purge_stale_observations
    from halte.reports import vault
    from halte.reports.throttle import purge as purge_receipt_counters

    moment = now or timezone.now()
    return PassResult(
        clocks=clocks.tick(moment),
        approvals_warned=warn_expiring(timezone.localdate(moment)),
        observations_purged=purge_stale_observations(moment),
        mpp_switches_proposed=propose_switches(moment),
        journal_checkpoints=_journal_checkpoints(moment),
        receipt_counters_purged=purge_receipt_counters(moment),
        login_counters_purged=purge_login_counters(moment),
        orphan_files=vault.purge_orphans() + storage.purge_orphans(),
        tokens_purged=submission.purge(moment),
        jobs_purged=queue.purge_done(moment),
    )


@contextmanager
def exclusive() -> Iterator[bool]:
    """Hold the pass's lock for the block; yields False when another pass holds it (PostgreSQL).

    A session-level lock: held across the pass's many transactions, released at the end or when the
    process dies with its connection."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def run_exclusive(now: datetime | None = None) -> PassResult | None:
    """One pass unless another one is running (then None, at once); records the `tick` heartbeat."""
    from halte.delivery.models import beat

    with exclusive() as acquired:
        if not acquired:
            return None
        result = run(now)
        beat("tick", {"orphan_files": len(result.orphan_files)})
        return result


def _journal_checkpoints(moment: datetime) -> int:
    """A checkpoint that cannot be written (storage missing or full, file damaged) must not stop the
    other duties; it is logged, and tried again at the next pass."""
    from halte.audit.checkpoints import CheckpointFileError, write_due

    try:
        return len(write_due(moment))
    except (OSError, CheckpointFileError):
        logger.exception("The audit journal's checkpoint could not be written.")
        return 0
