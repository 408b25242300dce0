"""Everything that changes a report: one function per action, one transaction each.

Each function takes keyword arguments and the acting membership (None for the public and partner
platforms), writes its audit event inside its transaction, and sends notifications only once that
transaction has committed.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access.policy import Capability, memberships_with
from halte.audit.journal import record
from halte.audit.models import Action
from halte.cases import severity
from halte.core.references import placeholder, settle
from halte.delivery.models import Job
from halte.directory.models import School
from halte.notifications.models import Kind, Notification
from halte.notifications.service import notify

from . import flags, receipts, vault
from .enums import Channel, Status
from .models import AuthorKind, Message, Report, ReportedPupil

logger = logging.getLogger(__name__)

REPORT_PREFIX = "SIG"


@dataclass
class PupilData:
    first_name: str
    role: str
    last_name: str = ""
    class_name: str = ""


@dataclass
class ReportData:
    """What a report says, whatever channel it came through. Validated by the form or API schema."""

    channel: str
    reporter_kind: str
    description: str
    is_anonymous: bool = True
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    consent_to_contact: bool = False
    school: School | None = None
    school_text: str = ""
    forms: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    since: str = ""
    frequency: str = ""
    places: list[str] = field(default_factory=list)
    distress_signs: list[str] = field(default_factory=list)
    immediate_danger: bool = False
    pupils: list[PupilData] = field(default_factory=list)
    faits_etablissement_id: str = ""
    faits_etablissement_level: int | None = None
    parquet_number: str = ""
    stop_harcelement_id: str = ""
    crip_id: str = ""
    received_at: datetime | None = None
    submission_token: str = ""


@dataclass
class Submission:
    report: Report
    receipt_code: str | None  # shown once to the reporter, never stored


class OutcomeUnknown(Exception):
    """The COMMIT of a report was sent and no answer came back, and the database could not be asked
    since. The report may be saved: its files are kept, and a retry with the same submission token
    (or ``Idempotency-Key``) finds it instead of filing a second one."""

    def __init__(self, report_public_id) -> None:
        super().__init__(f"Outcome of the commit of report {report_public_id} unknown.")
        self.report_public_id = report_public_id


def submit_report(
    *,
    data: ReportData,
    actor,
    files: Sequence[UploadedFile] = (),
    api_key=None,
    with_receipt: bool = False,
    receipt_code: str | None = None,
    alongside: Callable[[Report], object] | None = None,
) -> Submission:
    """Save a report with its pupils, files, audit row and notification work, all or nothing.

    Commit is the truth. Everything — the rows, the coordinators' notifications and the task that
    emails them (``notify`` records it in this transaction), whatever ``alongside`` adds (the API's
    idempotency record) — commits in one transaction. The encrypted files are written before their
    rows; they are removed only when the transaction did not commit:

    - an error before the COMMIT: rolled back, files removed, the error is raised;
    - an error *from* the COMMIT (connection lost while committing): the outcome is asked again on a
      fresh connection. Saved: the submission is returned as if nothing had happened. Not saved:
      files removed, the error raised. No answer: ``OutcomeUnknown``, files kept.

    Nothing touches the database after the COMMIT, so a failure there cannot undo a saved report.
    Called inside a transaction of the caller's, it is a savepoint of it and the caller owns the
    outcome.
    """
    vault.validate(list(files))  # refuse bad files before writing anything
    fired = flags.detect(
        text=data.description, forms=data.forms, signs=data.distress_signs, immediate_danger=data.immediate_danger
    )
    # The public draft brings its own code, chosen before the last step: every answer to that draft
    # (a retry, a double click) shows the same code, and it opens the report.
    code = receipt_code or (receipts.new_code() if with_receipt else None)
    # Read before the transaction: the coordinators to alert, and the stand-in the rows carry until
    # the reference is taken, last.
    coordinators = list(memberships_with(Capability.TRIAGE_REPORTS))
    stand_in = placeholder(REPORT_PREFIX)
    owns_transaction = not transaction.get_connection().in_atomic_block
    stored: list = []
    report: Report | None = None
    committing = False
    try:
        with transaction.atomic():
            report = _new_report(data, actor, api_key, fired, code, stand_in)
            for upload in files:
                stored.append(vault.store(report=report, upload=upload, uploaded_by_reporter=actor is None))
            notifications, jobs = _alert_coordinators(report, coordinators)
            if alongside is not None:
                alongside(report)
            # Last: the number. From this statement to the commit, other intakes wait for the counter.
            settle(
                name="report",
                prefix=REPORT_PREFIX,
                stand_in=stand_in,
                owner=report,
                texts=[
                    (Notification, ["title"], [n.pk for n in notifications]),
                    (Job, ["title", "payload"], [j.pk for j in jobs]),
                ],
            )
            record(
                Action.REPORT_RECEIVED,
                actor=actor.user if actor else None,
                membership=actor,
                target=report,
                detail={"channel": report.channel, "worrying": report.is_worrying, "files": len(files)},
            )
            committing = owns_transaction  # leaving the block now sends the COMMIT
    except DatabaseError:
        if committing and report is not None:
            saved = _was_committed(report)
            if saved:
                logger.warning("The commit of report %s failed to answer, but it is saved.", report.reference)
                return Submission(report=report, receipt_code=code)
            if saved is None:
                logger.error("The commit of report %s failed to answer; its outcome is unknown.", report.reference)
                raise OutcomeUnknown(report.public_id) from None
        _discard(stored)
        raise
    except BaseException:
        _discard(stored)
        raise
    return Submission(report=report, receipt_code=code)


def _was_committed(report: Report) -> bool | None:
    """Ask a fresh connection whether the report exists: True, False, or None if nobody answers."""
    connection = transaction.get_connection()
    try:
        connection.close()  # whatever happened to it, the connection that failed to commit is done for
        return Report.objects.filter(public_id=report.public_id).exists()
    except DatabaseError:
        logger.exception("The database could not be asked whether report %s was saved.", report.reference)
        return None


def _discard(stored: list) -> None:
    """Remove the files of a report that was not saved. A storage that refuses even that leaves
    orphans, which the periodic pass removes (``vault.purge_orphans``)."""
    try:
        vault.discard(stored)
    except OSError:
        logger.exception("Files of a report that was not saved could not be removed.")


def _new_report(data: ReportData, actor, api_key, fired: flags.Detection, code: str | None, stand_in: str) -> Report:
    """Insert the report and its pupils (inside the caller's transaction), under a stand-in reference."""
    report = Report(
        reference=stand_in,
        channel=data.channel,
        received_at=data.received_at or timezone.now(),
        reporter_kind=data.reporter_kind,
        is_anonymous=data.is_anonymous,
        # An anonymous reporter's contact details are not kept, even if some were typed.
        reporter_name="" if data.is_anonymous else data.reporter_name,
        reporter_email="" if data.is_anonymous else data.reporter_email,
        reporter_phone="" if data.is_anonymous else data.reporter_phone,
        consent_to_contact=data.consent_to_contact and not data.is_anonymous,
        school=data.school,
        school_text="" if data.school else data.school_text,
        forms=sorted(set(data.forms)),
        platforms=sorted(set(data.platforms)),
        since=data.since,
        frequency=data.frequency,
        places=sorted(set(data.places)),
        description=data.description,
        distress_signs=sorted(set(data.distress_signs)),
        immediate_danger=data.immediate_danger,
        is_worrying=bool(fired.codes),
        flags=fired.codes,
        flag_hits=fired.as_json(),
        faits_etablissement_id=data.faits_etablissement_id,
        faits_etablissement_level=data.faits_etablissement_level,
        parquet_number=data.parquet_number,
        stop_harcelement_id=data.stop_harcelement_id,
        crip_id=data.crip_id,
        created_by=actor,
        api_key=api_key,
        submission_token=data.submission_token or None,
    )
    report.proposed_priority = severity.propose(report, pupils=data.pupils)
    if code:
        report.receipt_key_id, report.receipt_lookup = receipts.lookup_digest(code)
        report.receipt_hash = receipts.slow_hash(code)
    report.save()
    ReportedPupil.objects.bulk_create(
        [
            ReportedPupil(
                report=report,
                first_name=p.first_name,
                last_name=p.last_name,
                class_name=p.class_name,
                role=p.role,
            )
            for p in data.pupils
        ]
    )
    return report


def _alert_coordinators(report: Report, coordinators: list) -> tuple[list, list]:
    """Notify the coordinators; return the notifications and email jobs (their titles carry the
    report's stand-in reference until it is settled)."""
    url = reverse("reports:detail", args=[report.public_id])
    jobs: list = []
    if report.is_worrying:
        title = _("Signalement %(reference)s à lire en priorité") % {"reference": report.reference}
        rows = notify(memberships=coordinators, kind=Kind.WORRYING_REPORT, title=title, url=url, jobs=jobs)
    else:
        title = _("Nouveau signalement %(reference)s") % {"reference": report.reference}
        rows = notify(memberships=coordinators, kind=Kind.NEW_REPORT, title=title, url=url, jobs=jobs)
    return rows, jobs


def filed_from_draft(*, submission_token: str, receipt_code: str) -> Submission | None:
    """The report already filed from this draft, shown with the draft's own code: a retry or a double
    click shows the code it was filed with, and nothing changes. Should the report carry another code
    (a draft whose code was chosen by a concurrent answer), it is given this one, the code on the
    screen now — the other, never shown, stops working."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(submission_token=submission_token).first()
        if report is None or not receipt_code:
            return None
        if not receipts.is_keyed_for(report, receipt_code):
            report.receipt_key_id, report.receipt_lookup = receipts.lookup_digest(receipt_code)
            report.receipt_hash = receipts.slow_hash(receipt_code)
            report.save(update_fields=["receipt_key_id", "receipt_lookup", "receipt_hash"])
            record(Action.REPORT_RECEIVED, target=report, detail={"receipt_reissued": True})
    return Submission(report=report, receipt_code=receipt_code)


def find_by_receipt(code: str) -> Report | None:
    """The report a receipt code opens, or None. A wrong code costs indexed lookups, never a slow hash."""
    return receipts.find(code)


def post_reporter_message(*, report: Report, body: str, files: Sequence[UploadedFile] = ()) -> Message:
    vault.validate(list(files), report=report)
    with transaction.atomic():
        message = Message.objects.create(report=report, author_kind=AuthorKind.REPORTER, body=body)
        stored: list = []
        try:
            for upload in files:
                stored.append(vault.store(report=report, upload=upload, message=message, uploaded_by_reporter=True))
        except BaseException:
            vault.discard(stored)
            raise
        record(Action.REPORTER_MESSAGE_RECEIVED, target=report, detail={"files": len(files)})
        url = reverse("reports:detail", args=[report.public_id])
        title = _("Nouveau message sur le signalement %(reference)s") % {"reference": report.reference}
        coordinators = list(memberships_with(Capability.TRIAGE_REPORTS))
        notify(memberships=coordinators, kind=Kind.REPORTER_MESSAGE, title=title, url=url)
    return message


def post_staff_reply(*, report: Report, body: str, actor) -> Message:
    with transaction.atomic():
        message = Message.objects.create(report=report, author_kind=AuthorKind.STAFF, author=actor, body=body)
        # Replying means the staff have read what came before.
        report.messages.filter(author_kind=AuthorKind.REPORTER, read_by_staff_at__isnull=True).update(
            read_by_staff_at=timezone.now()
        )
        record(Action.MESSAGE_SENT, actor=actor.user, membership=actor, target=report)
    return message


def mark_read(*, report: Report, actor) -> bool:
    """A member of the cell opens the report (its page or its triage): the first time, the safety net
    of the periodic pass stops for it. Returns whether this was the first reading; the journal row of
    that reading is written here, with ``first_read`` (later readings are journaled by the page)."""
    if report.first_read_at is not None:
        return False
    now = timezone.now()
    with transaction.atomic():
        # A conditional update: two coordinators opening it at once cannot both be the first.
        first = Report.objects.filter(pk=report.pk, first_read_at__isnull=True).update(
            first_read_at=now, first_read_by=actor
        )
        if first:
            record(Action.REPORT_READ, actor=actor.user, membership=actor, target=report, detail={"first_read": True})
    if first:
        report.first_read_at, report.first_read_by = now, actor
    return bool(first)


def take_charge(*, report: Report, actor) -> Report:
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != Status.RECEIVED:
            return locked
        locked.status = Status.IN_PROGRESS
        update = ["status"]
        if locked.first_read_at is None:  # taken in charge unread (not through its page): read now
            locked.first_read_at, locked.first_read_by = timezone.now(), actor
            update += ["first_read_at", "first_read_by"]
        locked.save(update_fields=update)
        record(Action.REPORT_TAKEN_IN_CHARGE, actor=actor.user, membership=actor, target=locked)
    return locked


__all__ = ["Channel", "PupilData", "ReportData", "Submission", "find_by_receipt", "mark_read", "submit_report"]
