"""Everything that changes a meeting, one function per action, one transaction each.

Keyword arguments only and a required ``actor`` (the acting membership). The meeting row is locked
first (``select_for_update``) so that two coordinators editing the same agenda or invitations take
turns. Audit rows are written inside the transaction; calendar emails and in-app notifications are
sent after commit (:mod:`halte.meetings.emails`), so a refused change sends nothing.

A meeting is *planned*, then *held* (marked by hand or by the first minutes written) or *cancelled*.
Only a planned meeting can be edited, cancelled, or have invitations sent; a cancelled meeting's
agenda, attendance and minutes are frozen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from halte.access import meetings as access
from halte.access.policy import Capability, memberships_with
from halte.accounts.models import Membership, Organisation
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.cases import timeline
from halte.cases.actions import ActionRefused, ShareRequest, create_action
from halte.cases.enums import EventKind
from halte.cases.models import Case
from halte.notifications.models import Kind
from halte.notifications.service import notify

from . import agenda, emails
from .forms import MAX_YEARS_AHEAD, years_after
from .models import AgendaItem, Decision, Invitation, Meeting

TITLE_MAX = 200  # Notification.title


class MeetingRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _audit(action: AuditAction, actor: Membership, target, **detail) -> None:
    record(action, actor=actor.user, membership=actor, target=target, detail=detail)


def _lock(meeting: Meeting) -> Meeting:
    """Lock the meeting row only (``of=("self",)``): the organiser's rows are read, not locked."""
    return Meeting.objects.select_for_update(of=("self",)).select_related("organiser__user").get(pk=meeting.pk)


def _lock_item(item: AgendaItem) -> AgendaItem:
    """Lock the agenda item row only: its case is read, not locked (case actions lock it themselves)."""
    return AgendaItem.objects.select_for_update(of=("self",)).select_related("case").get(pk=item.pk)


def _require_planned(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise MeetingRefused(_("Cette réunion est annulée : elle ne peut plus être modifiée."))
    if meeting.status != Meeting.Status.PLANNED:
        raise MeetingRefused(_("Cette réunion a déjà eu lieu : elle ne peut plus être modifiée."))


def _paris(moment: datetime) -> str:
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return _("%(day)s à %(time)s") % {"day": local.strftime("%d/%m/%Y"), "time": local.strftime("%H:%M")}


def latest_opening(starts_at: datetime) -> datetime:
    """The latest a case may have been opened in Halte to be examined at a meeting that began at
    `starts_at`: the end of that day (Paris). An emergency meeting by phone this morning was about a
    situation the cell knew of, entered in Halte in the afternoon; a case opened the next day or later
    cannot have been examined there (its « examen en cellule » would come before the case)."""
    local = timezone.localtime(starts_at, timezone.get_default_timezone())
    return local.replace(hour=23, minute=59, second=59, microsecond=999999)


def _require_opened_by(case: Case, starts_at: datetime) -> None:
    """A case opened after the day a meeting began cannot have been examined there (nor stop its clock)."""
    if case.opened_at > latest_opening(starts_at):
        raise MeetingRefused(
            _(
                "Le dossier %(reference)s a été ouvert le %(opened)s, après le jour de la réunion (%(began)s) : "
                "il n’a pas pu y être examiné. Inscrivez-le à une réunion suivante."
            )
            % {"reference": case.reference, "opened": _paris(case.opened_at), "began": _paris(starts_at)}
        )


def _require_not_cancelled(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise MeetingRefused(_("Cette réunion est annulée : rien ne peut plus y être enregistré."))


def _notify(meeting: Meeting, memberships: Iterable[Membership], title: str) -> None:
    """In-app only: the email is the calendar invitation itself."""
    members = list(memberships)
    if members:
        notify(
            memberships=members,
            kind=Kind.MEETING_INVITATION,
            title=title[:TITLE_MAX],
            url=emails.meeting_url(meeting),
            email=False,
        )


def _title(meeting: Meeting, template: str) -> str:
    return template % {"title": meeting.title, "when": emails.short_when(meeting)}


def _sent_invitations(meeting: Meeting) -> list[Invitation]:
    return list(
        meeting.invitations.filter(sent_at__isnull=False).select_related("membership__user", "membership__organisation")
    )


# --- The meeting itself ----------------------------------------------------------------------------


def _require_within_horizon(starts_at: datetime) -> None:
    """The forms say it first; the actions hold the line too (far dates overflow `starts_at + duration`)."""
    latest = years_after(timezone.localdate(), MAX_YEARS_AHEAD)
    if timezone.localdate(starts_at) > latest:
        raise MeetingRefused(
            _("Choisissez une date dans les deux ans qui viennent, au plus tard le %(latest)s.")
            % {"latest": latest.strftime("%d/%m/%Y")}
        )


def schedule(*, actor: Membership, title: str, starts_at: datetime, duration_minutes: int, place: str) -> Meeting:
    _require_within_horizon(starts_at)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            title=title, starts_at=starts_at, duration_minutes=duration_minutes, place=place, organiser=actor
        )
        _audit(AuditAction.MEETING_SCHEDULED, actor, meeting, starts_at=starts_at.isoformat())
    return meeting


def record_held(
    *,
    actor: Membership,
    title: str,
    starts_at: datetime,
    duration_minutes: int,
    mode: str,
    place: str,
    attendees: Iterable[Membership],
    now: datetime | None = None,
) -> Meeting:
    """Record a meeting that has already taken place (an emergency meeting by phone this morning):
    held at the date it really took place, the people who took part marked present, no email sent."""
    now = now or timezone.now()
    if starts_at > now:
        raise MeetingRefused(_("Cette réunion n’a pas encore eu lieu : programmez-la plutôt."))
    people = list({m.pk: m for m in attendees}.values())
    if not people:
        raise MeetingRefused(_("Cochez au moins une personne qui a pris part à la réunion."))
    readers = set(
        memberships_with(Capability.READ_CASES).filter(pk__in=[m.pk for m in people]).values_list("pk", flat=True)
    )
    if any(m.pk not in readers for m in people):
        raise MeetingRefused(_("Seules les personnes qui suivent des dossiers peuvent être inscrites à une réunion."))
    with transaction.atomic():
        meeting = Meeting.objects.create(
            title=title,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            mode=mode,
            place=place,
            organiser=actor,
            status=Meeting.Status.HELD,
            held_at=starts_at,
            created_at=now,
        )
        Invitation.objects.bulk_create(
            [Invitation(meeting=meeting, membership=m, attendance=Invitation.Attendance.PRESENT) for m in people]
        )
        _audit(
            AuditAction.MEETING_SCHEDULED,
            actor,
            meeting,
            starts_at=starts_at.isoformat(),
            recorded_after_the_fact=True,
            mode=mode,
            present=[str(m.public_id) for m in people],
        )
    return meeting


EDITABLE_FIELDS = ("title", "starts_at", "duration_minutes", "place")


def update(*, meeting: Meeting, actor: Membership, now: datetime | None = None, **values) -> Meeting:
    """Change when, where or what; the people already invited receive the new version (SEQUENCE + 1)."""
    now = now or timezone.now()
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    if "starts_at" in values:
        _require_within_horizon(values["starts_at"])
    with transaction.atomic():
        locked = _lock(meeting)
        _require_planned(locked)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        locked.sequence += 1
        locked.save(update_fields=[*changed, "sequence"])
        sent = _sent_invitations(locked)
        messages = emails.prepare(locked, [inv.membership for inv in sent], kind=emails.UPDATE, now=now)
        Invitation.objects.filter(pk__in=[inv.pk for inv in sent]).update(sent_at=now, sent_sequence=locked.sequence)
        _notify(locked, [inv.membership for inv in sent], _title(locked, _("Réunion modifiée : %(title)s du %(when)s")))
        _audit(AuditAction.MEETING_CHANGED, actor, locked, fields=changed, sequence=locked.sequence)
        emails.send_after_commit(messages)
    return locked


def cancel(*, meeting: Meeting, actor: Membership, reason: str, now: datetime | None = None) -> Meeting:
    """Cancel a planned meeting; everyone invited receives the cancellation (METHOD:CANCEL)."""
    now = now or timezone.now()
    if not reason.strip():
        raise MeetingRefused(_("Indiquez le motif de l’annulation."))
    with transaction.atomic():
        locked = _lock(meeting)
        _require_planned(locked)
        locked.status = Meeting.Status.CANCELLED
        locked.cancelled_reason = reason
        locked.sequence += 1
        locked.save(update_fields=["status", "cancelled_reason", "sequence"])
        sent = _sent_invitations(locked)
        recipients = [inv.membership for inv in sent]
        messages = emails.prepare(locked, recipients, kind=emails.CANCEL, now=now)
        Invitation.objects.filter(pk__in=[inv.pk for inv in sent]).update(sent_at=now, sent_sequence=locked.sequence)
        _notify(locked, recipients, _title(locked, _("Réunion annulée : %(title)s du %(when)s")))
        _audit(AuditAction.MEETING_CANCELLED, actor, locked, sequence=locked.sequence)
        emails.send_after_commit(messages)
    return locked


def mark_held(
    *, meeting: Meeting, actor: Membership, held_at: datetime | None = None, now: datetime | None = None
) -> Meeting:
    """Mark a planned meeting held. ``held_at``: when it really began, for a meeting brought forward
    (an emergency): its date becomes that one, and the people who were sent the planned date receive
    the real one, so that no calendar keeps a meeting that will not happen."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(meeting)
        _require_planned(locked)
        if held_at is not None and held_at > now:
            raise MeetingRefused(_("Cette heure n’est pas encore passée : la réunion n’a pas pu commencer."))
        began = held_at or locked.starts_at
        if began > now:
            raise MeetingRefused(
                _("La réunion n’a pas encore commencé. Si elle a eu lieu plus tôt que prévu, indiquez quand.")
            )
        changed = ["status", "held_at"]
        messages: list[dict] = []
        if held_at is not None and held_at < locked.starts_at:
            opened_later = (
                locked.items.filter(case__opened_at__gt=latest_opening(held_at)).select_related("case").first()
            )
            if opened_later is not None:
                _require_opened_by(opened_later.case, held_at)
            locked.starts_at = held_at
            locked.sequence += 1
            changed += ["starts_at", "sequence"]
            sent = _sent_invitations(locked)
            messages = emails.prepare(locked, [inv.membership for inv in sent], kind=emails.UPDATE, now=now)
            Invitation.objects.filter(pk__in=[inv.pk for inv in sent]).update(
                sent_at=now, sent_sequence=locked.sequence
            )
        locked.status = Meeting.Status.HELD
        locked.held_at = began if held_at is not None else now
        locked.save(update_fields=changed)
        _audit(
            AuditAction.MEETING_CHANGED,
            actor,
            locked,
            status=Meeting.Status.HELD,
            **({"brought_forward_to": held_at.isoformat()} if "starts_at" in changed and held_at else {}),
        )
        emails.send_after_commit(messages)
    return locked


# --- Invitations and attendance --------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationResult:
    sent: int  # invitations emailed by this call (new people, or people who had an older version)
    removed: int  # people no longer invited


def _outrank_earlier_copies(meeting: Meeting, removed: list[Invitation]) -> None:
    """Raise the meeting's SEQUENCE before a CANCEL to someone taken off, or a REQUEST to someone who
    may have had one (anyone invited once the meeting has moved on): a calendar keeps the copy with
    the highest SEQUENCE (RFC 5545 §3.8.7.4), so each must outrank what its recipient already holds.
    The others' copies are unchanged by this (their file names only them and the organiser): they
    stay current and are not sent again."""
    previous = meeting.sequence
    meeting.sequence += 1
    meeting.save(update_fields=["sequence"])
    meeting.invitations.filter(sent_at__isnull=False, sent_sequence=previous).exclude(
        pk__in=[inv.pk for inv in removed]
    ).update(sent_sequence=meeting.sequence)


def send_invitations(
    *, meeting: Meeting, actor: Membership, memberships: Iterable[Membership], now: datetime | None = None
) -> InvitationResult:
    """Make the invited people exactly `memberships`, and email the invitation to whoever lacks it.

    New people and people holding an older version receive METHOD:REQUEST; people taken off the
    list, if they had received it, receive METHOD:CANCEL. Someone whose attendance is already
    recorded cannot be taken off.
    """
    now = now or timezone.now()
    wanted = {m.pk: m for m in memberships}
    with transaction.atomic():
        locked = _lock(meeting)
        _require_planned(locked)
        existing = {
            inv.membership_id: inv
            for inv in locked.invitations.select_related("membership__user", "membership__organisation")
        }
        removed = [inv for membership_id, inv in existing.items() if membership_id not in wanted]
        kept_back = [inv for inv in removed if inv.attendance]
        if kept_back:
            names = ", ".join(inv.membership.user.get_full_name() for inv in kept_back)
            raise MeetingRefused(
                _("La présence de %(names)s est déjà enregistrée : leur invitation ne peut plus être retirée.")
                % {"names": names}
            )
        newcomers = [m for pk, m in wanted.items() if pk not in existing]
        withdrawn = [inv.membership for inv in removed if inv.sent_at is not None]
        if withdrawn or (newcomers and locked.sequence > 0):
            _outrank_earlier_copies(locked, removed)
        Invitation.objects.bulk_create([Invitation(meeting=locked, membership=m) for m in newcomers])
        Invitation.objects.filter(pk__in=[inv.pk for inv in removed]).delete()
        current = list(locked.invitations.select_related("membership__user", "membership__organisation"))
        to_send = [inv for inv in current if inv.sent_sequence != locked.sequence or inv.sent_at is None]
        messages = emails.prepare(locked, [inv.membership for inv in to_send], kind=emails.INVITE, now=now)
        messages += emails.prepare(locked, withdrawn, kind=emails.WITHDRAWN, now=now)
        Invitation.objects.filter(pk__in=[inv.pk for inv in to_send]).update(sent_at=now, sent_sequence=locked.sequence)
        _notify(
            locked,
            [inv.membership for inv in to_send],
            _title(locked, _("Invitation : %(title)s du %(when)s")),
        )
        _audit(
            AuditAction.MEETING_INVITATIONS_SENT,
            actor,
            locked,
            sent=[str(inv.membership.public_id) for inv in to_send],
            removed=[str(inv.membership.public_id) for inv in removed],
        )
        emails.send_after_commit(messages)
    return InvitationResult(sent=len(to_send), removed=len(removed))


def record_attendance(*, meeting: Meeting, actor: Membership, values: dict[int, str]) -> int:
    """Attendance per invitation (present, excused, absent, or blank). Returns how many changed."""
    valid = set(Invitation.Attendance.values)
    if any(value not in valid for value in values.values()):
        raise MeetingRefused(_("Choisissez une présence parmi celles proposées."))
    with transaction.atomic():
        locked = _lock(meeting)
        _require_not_cancelled(locked)
        changed = []
        for invitation in locked.invitations.all():
            value = values.get(invitation.pk, invitation.attendance)
            if value != invitation.attendance:
                invitation.attendance = value
                changed.append(invitation)
        Invitation.objects.bulk_update(changed, ["attendance"])
        if changed:
            _audit(AuditAction.MEETING_ATTENDANCE, actor, locked, changed=len(changed))
    return len(changed)


# --- Agenda ----------------------------------------------------------------------------------------


def _next_position(meeting: Meeting) -> int:
    highest = meeting.items.aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else highest + 1


def accept_proposal(
    *, meeting: Meeting, actor: Membership, case_ids: Iterable[UUID | str], now: datetime | None = None
) -> list[AgendaItem]:
    """Put the chosen cases of the current proposal on the agenda, in the proposal's order."""
    chosen_ids = {str(value) for value in case_ids}
    with transaction.atomic():
        locked = _lock(meeting)
        _require_not_cancelled(locked)
        proposals = [p for p in agenda.propose(locked, now) if str(p.case.public_id) in chosen_ids]
        if not proposals:
            raise MeetingRefused(_("Aucun des dossiers cochés n’est encore à proposer : rechargez la page."))
        start = _next_position(locked)
        items = AgendaItem.objects.bulk_create(
            [
                AgendaItem(meeting=locked, case=p.case, position=start + index, reason=p.reason)
                for index, p in enumerate(proposals)
            ]
        )
        _audit(
            AuditAction.MEETING_AGENDA_CHANGED,
            actor,
            locked,
            change="proposal_accepted",
            cases=[p.case.reference for p in proposals],
        )
    return items


def add_item(*, meeting: Meeting, actor: Membership, case: Case) -> AgendaItem:
    """Add one case to the agenda, after the others (reason: added by the coordination)."""
    if case.merged_into_id is not None:
        raise MeetingRefused(
            _("Ce dossier a été fusionné dans un autre : inscrivez plutôt le dossier qui le regroupe.")
        )
    with transaction.atomic():
        locked = _lock(meeting)
        _require_not_cancelled(locked)
        _require_opened_by(case, locked.starts_at)
        if locked.items.filter(case=case).exists():
            raise MeetingRefused(_("Ce dossier est déjà à l’ordre du jour de cette réunion."))
        item = AgendaItem.objects.create(
            meeting=locked, case=case, position=_next_position(locked), reason=AgendaItem.Reason.ADDED
        )
        _audit(AuditAction.MEETING_AGENDA_CHANGED, actor, locked, change="added", cases=[case.reference])
    return item


def _renumber(meeting: Meeting, ordered: list[AgendaItem]) -> None:
    changed = []
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            changed.append(item)
    AgendaItem.objects.bulk_update(changed, ["position"])


def remove_item(*, item: AgendaItem, actor: Membership) -> None:
    with transaction.atomic():
        locked = _lock(item.meeting)
        _require_not_cancelled(locked)
        row = _lock_item(item)
        if row.minutes_at is not None or row.decisions.exists():
            raise MeetingRefused(_("Ce dossier a déjà un compte rendu : il reste à l’ordre du jour."))
        reference = row.case.reference
        row.delete()
        _renumber(locked, list(locked.items.order_by("position", "id")))
        _audit(AuditAction.MEETING_AGENDA_CHANGED, actor, locked, change="removed", cases=[reference])


def move_item(*, item: AgendaItem, actor: Membership, offset: int) -> None:
    """Move an item up (offset -1) or down (+1). At either end, nothing changes."""
    with transaction.atomic():
        locked = _lock(item.meeting)
        _require_not_cancelled(locked)
        ordered = list(locked.items.select_for_update(of=("self",)).order_by("position", "id"))
        index = next((i for i, row in enumerate(ordered) if row.pk == item.pk), None)
        if index is None:
            raise MeetingRefused(_("Ce dossier n’est plus à l’ordre du jour."))
        target = index + offset
        if not 0 <= target < len(ordered):
            return
        ordered[index], ordered[target] = ordered[target], ordered[index]
        _renumber(locked, ordered)
        _audit(AuditAction.MEETING_AGENDA_CHANGED, actor, locked, change="moved", position=target + 1)


# --- Minutes and decisions -------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionData:
    title: str
    owner_organisation: Organisation
    owner: Membership | None
    due_at: datetime
    # The share of the case proposed with the decision, created with its action (``create_action``).
    share_with: ShareRequest | None = None


def _check_decision(decision: DecisionData) -> None:
    """A decision is case work: refuse owners (and organisations) that never read cases."""
    if decision.owner is not None and not access.can_own_decision(decision.owner):
        raise MeetingRefused(_("Cette personne ne suit pas de dossiers : choisissez-en une autre."))
    if not access.can_follow_decisions(decision.owner_organisation):
        raise MeetingRefused(_("Cette structure n’a personne qui puisse suivre un dossier."))


def record_minutes(
    *,
    item: AgendaItem,
    actor: Membership,
    minutes: str,
    decisions: Iterable[DecisionData] = (),
    now: datetime | None = None,
) -> AgendaItem:
    """Write the minutes of a case and turn each decision into an action of the case, all or nothing.

    The first minutes of a case set its milestone « examiné en cellule » to the meeting's start; the
    first minutes of a planned meeting mark it held. Each decision's owner (and organisation) must be
    able to follow a case (``access.meetings.can_own_decision``, ``can_follow_decisions``).
    """
    now = now or timezone.now()
    decisions = list(decisions)
    if not minutes.strip():
        raise MeetingRefused(_("Écrivez le compte rendu."))
    with transaction.atomic():
        meeting = _lock(item.meeting)
        _require_not_cancelled(meeting)
        if meeting.starts_at > now:
            raise MeetingRefused(_("Le compte rendu s’écrit une fois la réunion commencée."))
        for decision in decisions:
            _check_decision(decision)
        row = _lock_item(item)
        first = row.minutes_at is None
        row.minutes, row.minutes_by, row.minutes_at = minutes, actor, now
        row.save(update_fields=["minutes", "minutes_by", "minutes_at"])
        case = row.case
        for decision in decisions:
            try:
                action = create_action(
                    case=case,
                    actor=actor,
                    title=decision.title,
                    owner_organisation=decision.owner_organisation,
                    owner=decision.owner,
                    due_at=decision.due_at,
                    share_with=decision.share_with,
                )
            except ActionRefused as refused:
                raise MeetingRefused(refused.message) from refused
            Decision.objects.create(item=row, action=action)
        # A meeting of the day the case was opened, begun before its opening in Halte, reviews it at its
        # opening (never a negative delay); a case opened a later day is not reviewed by it.
        Case.objects.filter(
            pk=case.pk, cell_meeting_at__isnull=True, opened_at__lte=latest_opening(meeting.starts_at)
        ).update(cell_meeting_at=Greatest(Value(meeting.starts_at), F("opened_at")))
        day = timezone.localtime(meeting.starts_at, timezone.get_default_timezone()).strftime("%d/%m/%Y")
        if first:
            text = _("Examiné en réunion de la cellule du %(day)s : compte rendu enregistré.") % {"day": day}
        else:
            text = _("Compte rendu de la réunion de la cellule du %(day)s modifié.") % {"day": day}
        if decisions:
            text += " " + ngettext("%(count)d décision prise.", "%(count)d décisions prises.", len(decisions)) % {
                "count": len(decisions)
            }
        timeline.write(case, actor, EventKind.MEETING, text)
        _audit(
            AuditAction.MEETING_MINUTES,
            actor,
            case,
            meeting=str(meeting.public_id),
            decisions=len(decisions),
            first=first,
        )
        if meeting.status == Meeting.Status.PLANNED:
            meeting.status = Meeting.Status.HELD
            meeting.held_at = now
            meeting.save(update_fields=["status", "held_at"])
    return row
