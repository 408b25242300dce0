"""The periodic pass (`manage.py tick`, every minute): every module's recurring duty in one place.

Each duty is idempotent and cheap when there is nothing to do, so running the pass every minute is
safe: clock reminders and escalations (cases), the 60-day warning of expiring approvals and the
retention rules (``core/retention.py``: closed cases anonymised after three years, identities gone at
the pupil's 25th birthday, weak-signal observations after three months, sessions, notifications,
delivery rows, whole months of the audit journal past one year…), the proposal to switch a
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
    retention: dict[str, int] = field(default_factory=dict)

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
        for key, count in self.retention.items():
            if count and key != "observations":
                lines.append(f"Durée de conservation appliquée ({key}) : {count}.")
        if self.orphan_files:
            lines.append(f"Fichiers sans enregistrement effacés : {len(self.orphan_files)}.")
        return "\n".join(lines)


def run(now: datetime | None = None) -> PassResult:
    from halte.accounts.throttle import purge as purge_login_counters
    from halte.cases import clocks
    from halte.core import submission
    from halte.documents import storage
    from halte.interventions.mpp import propose_switches
    from halte.prevention.approvals import warn_expiring
    from halte.reports import vault
    from halte.reports.throttle import purge as purge_receipt_counters

    moment = now or timezone.now()
    clocks_result = clocks.tick(moment)
    approvals = warn_expiring(timezone.localdate(moment))
    mpp = propose_switches(moment)
    checkpoints = _journal_checkpoints(moment)
    # The retention rules (core/retention.py), before the orphan sweep: a file whose row a rule deleted
    # and whose deletion a crash interrupted is swept here an hour later.
    kept = _retention(moment)
    return PassResult(
        clocks=clocks_result,
        approvals_warned=approvals,
        observations_purged=kept.get("observations", 0),
        mpp_switches_proposed=mpp,
        journal_checkpoints=checkpoints,
        receipt_counters_purged=purge_receipt_counters(moment),
        login_counters_purged=purge_login_counters(moment),
        orphan_files=vault.purge_orphans() + storage.purge_orphans(),
        tokens_purged=submission.purge(moment),
        jobs_purged=kept.get("deliveries", 0),
        retention=kept,
    )


def _retention(moment: datetime) -> dict[str, int]:
    """A rule that fails is logged and tried again at the next pass; it never stops the other duties."""
    from halte.core import retention

    counts: dict[str, int] = {}
    for rule in retention.RULES:
        try:
            counts[rule.key] = retention.run(moment, rules=[rule.key]).count(rule.key)
        except Exception:
            logger.exception("The retention rule %s failed.", rule.key)
            counts[rule.key] = 0
    return counts


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
