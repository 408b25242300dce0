"""Everything that changes a case, one function per action, one transaction each.

Keyword arguments only, a required ``actor`` (the acting membership), audit and timeline rows written
inside the transaction, notifications sent after commit. Changes to a case that someone may be editing
at the same time carry ``expected_version``: a stale version is refused with :class:`StaleCase`.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.cases import can_own_action, can_read, can_see_action
from halte.access.policy import Capability, can_read_case_content, memberships_with
from halte.access.timeline import share_compartment
from halte.accounts.models import Membership, Organisation, Role
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.core.french import of_name
from halte.core.references import next_reference
from halte.notifications.models import Kind
from halte.notifications.service import notify
from halte.reports.enums import Status as ReportStatus

from . import roles, targets, timeline
from .enums import (
    OPEN_STATES,
    ActionStatus,
    Compartment,
    EventKind,
    PersonKind,
    Priority,
    Qualification,
    State,
    TriageOutcome,
)
from .models import Action, Case, Event, FollowUp, Involvement, Link, Note, Person, SeverityAssessment, Share, Triage
from .severity import Assessment, Criteria, assess, more_urgent


class StaleCase(Exception):
    message = ""

    def __init__(self):
        self.message = _(
            "Ce dossier a été modifié par quelqu’un d’autre pendant que vous travailliez. "
            "Rien n’a été enregistré : rechargez la page pour voir la dernière version."
        )
        super().__init__(self.message)


# Also the forms' messages (``ActionForm``): the same rules, checked twice.
JUDICIAL_OWNER_REFUSED = gettext_lazy(
    "Cette structure n’a pas accès au volet judiciaire de ce dossier : confiez cette action à une structure "
    "qui y a accès (parquet, ou structure avec qui ce volet est partagé)."
)
JUDICIAL_PERSON_REFUSED = gettext_lazy(
    "Cette personne n’a pas accès au volet judiciaire de ce dossier : choisissez-en une autre, ou laissez le "
    "champ vide pour prévenir toute la structure."
)


class ActionRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyDone(ActionRefused):
    """What was asked is already done by someone (a page kept open in a second tab, a double click):
    the message says who and when, and nothing is written again."""


def _who_and_when(membership, at) -> dict[str, str]:
    return {
        "who": membership.user.get_full_name() if membership is not None else _("un autre membre"),
        "date": timezone.localtime(at).strftime("%d/%m/%Y à %H:%M") if at else "—",
    }


def action_already_finished(action: Action) -> str:
    """Said to whoever finishes or reports on an action someone already completed or cancelled."""
    values = _who_and_when(action.done_by, action.done_at)
    if action.status == ActionStatus.CANCELLED:
        return _("Action déjà annulée par %(who)s le %(date)s : rien n’a été enregistré.") % values
    return _("Action déjà faite, enregistrée par %(who)s le %(date)s : rien n’a été enregistré.") % values


def share_already_revoked(share: Share) -> str:
    return _("Partage déjà révoqué par %(who)s le %(date)s : rien n’a été enregistré.") % _who_and_when(
        share.revoked_by, share.revoked_at
    )


def _bump(case: Case, expected_version: int | None) -> None:
    """Optimistic lock: only the holder of the current version may change the case."""
    rows = Case.objects.filter(pk=case.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if rows.update(version=F("version") + 1, updated_at=timezone.now()) != 1:
        raise StaleCase()
    case.refresh_from_db(fields=["version", "updated_at"])


def _require_open(case: Case) -> None:
    """Follow-ups belong to an open case (read again after ``_bump`` took its row: a closure that
    committed first is seen)."""
    case.refresh_from_db(fields=["state"])
    if case.state not in OPEN_STATES:
        raise ActionRefused(_("Ce dossier est clos : rouvrez-le pour enregistrer ou prévoir un point de suivi."))


def _event(case: Case, actor, kind: str, text: str, subject: str | None = None) -> Event:
    return timeline.write(case, actor, kind, text, subject=subject)


def _audit(action, actor, case, **detail):
    record(action, actor=actor.user if actor else None, membership=actor, target=case, detail=detail)


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


# --- Triage --------------------------------------------------------------------------------------


@dataclass
class ReportedPupilChoice:
    """A pupil of the report confirmed at triage: an existing record to reuse, or the names of a new one."""

    role: str
    person: Person | None = None
    first_name: str = ""
    last_name: str = ""
    class_name: str = ""


@dataclass
class TriageDecision:
    outcome: str
    qualification: str
    criteria: Criteria
    reason: str = ""
    override_priority: str = ""
    override_reason: str = ""
    attach_to: Case | None = None
    follow_up_on: date | None = None
    redirected_to: str = ""
    # Open a new case linked to this (closed) one: the same people, a new situation.
    link_to: Case | None = None
    # The pupils of the report the coordinator kept (those dropped are not here): the case's people.
    pupils: list[ReportedPupilChoice] = field(default_factory=list)
    # Attaching to a case of another school brings the report's pupils, and with them their families
    # and any « ne pas informer » they carry, into that school's case: only once confirmed.
    confirm_other_school: bool = False


def other_school_of(report, case: Case):
    """The case's school when it is not the report's (nor one of the case's other schools), else None."""
    if report.school_id is None or case.school_id is None or case.school_id == report.school_id:
        return None
    if case.other_schools.filter(pk=report.school_id).exists():
        return None
    return case.school


def other_school_warning(report, case: Case) -> str:
    """The warning shown before attaching a report to a case of another school (empty when it is not)."""
    school = other_school_of(report, case)
    if school is None:
        return ""
    return _(
        "Le dossier %(ref)s appartient à un autre établissement (%(school)s) que celui du signalement : les élèves "
        "du signalement et leurs familles y seront rattachés, et le personnel de %(school)s les verra. Cochez "
        "la case de confirmation pour rattacher quand même."
    ) % {"ref": case.reference, "school": school}


def triage_report(*, report, actor: Membership, decision: TriageDecision) -> Triage:
    """Decide what becomes of a report. Opening a P1 case alerts the coordinators and magistrates."""
    assessment = assess(decision.criteria, decision.qualification)
    with transaction.atomic():
        # The report's row lock decides between two coordinators triaging at once: the second waits
        # for the first to commit, then reads its triage and is refused with its author's name.
        type(report).objects.select_for_update().filter(pk=report.pk).first()
        _refuse_if_triaged(report)
        case = None
        if decision.outcome == TriageOutcome.OPEN_CASE:
            case = _open_case(report=report, actor=actor, decision=decision, assessment=assessment)
            if decision.link_to is not None:
                reason = _("Nouveau signalement %(ref)s citant les mêmes personnes.") % {"ref": report.reference}
                link(case=case, other=decision.link_to, actor=actor, reason=reason)
        elif decision.outcome == TriageOutcome.HAND_BACK:
            if decision.follow_up_on is None:
                raise ActionRefused(_("Indiquez la date du point de suivi avec l’établissement."))
            if decision.follow_up_on > targets.last_follow_up_on(timezone.localdate()):
                raise ActionRefused(too_far(targets.last_follow_up_on(timezone.localdate())))
            decision.override_priority = Priority.P4
            decision.override_reason = decision.override_reason or _("Confié à l’établissement dans le cadre de pHARe.")
            case = _open_case(report=report, actor=actor, decision=decision, assessment=assessment)
        elif decision.outcome == TriageOutcome.ATTACH:
            case = decision.attach_to
            if case is None:
                raise ActionRefused(_("Choisissez le dossier auquel rattacher ce signalement."))
            warning = other_school_warning(report, case)
            if warning and not decision.confirm_other_school:
                raise ActionRefused(warning)
            _attach(report=report, case=case, actor=actor)
            _raise_on_attach(report=report, case=case, actor=actor, decision=decision, assessment=assessment)
        elif not decision.reason.strip():
            raise ActionRefused(_("Indiquez le motif."))
        if case is not None:
            _add_reported_pupils(case=case, report=report, actor=actor, pupils=decision.pupils)
        report.case = case
        report.status = ReportStatus.CLOSED if case is None else ReportStatus.IN_PROGRESS
        report.save(update_fields=["case", "status"])
        try:
            with transaction.atomic():
                triage = Triage.objects.create(
                    report=report,
                    outcome=decision.outcome,
                    qualification=decision.qualification,
                    reason=decision.reason,
                    case=case,
                    follow_up_on=decision.follow_up_on,
                    redirected_to=decision.redirected_to,
                    decided_by=actor,
                )
        except IntegrityError:  # a database without row locks (SQLite): the unique report decides
            raise ActionRefused(_("Ce signalement vient d’être trié par quelqu’un d’autre.")) from None
        record(
            AuditAction.REPORT_TRIAGED,
            actor=actor.user,
            membership=actor,
            target=report,
            detail={"outcome": decision.outcome, "case": case.reference if case else None},
        )
    return triage


def _add_reported_pupils(*, case: Case, report, actor, pupils: list[ReportedPupilChoice]) -> None:
    """The pupils kept at triage become the case's people: a chosen record is reused (a pupil already
    in the case in that role is not added twice), otherwise a pupil record of the report's school is
    created. Each addition is on the timeline and in the journal."""
    for chosen in pupils:
        person = chosen.person
        reused = person is not None
        _refuse_unsuited_role(person.kind if person is not None else PersonKind.PUPIL, chosen.role)
        if person is None:
            person = Person(
                kind=PersonKind.PUPIL,
                first_name=chosen.first_name.strip(),
                last_name=chosen.last_name.strip(),
                class_name=chosen.class_name.strip(),
                school=report.school,
            )
            person.save()
        involvement, created = Involvement.objects.get_or_create(case=case, person=person, role=chosen.role)
        if not created:
            continue
        text = _("Ajout %(of_person)s au dossier : %(role)s (élève cité dans le signalement %(ref)s).") % {
            "of_person": of_name(person),
            "role": involvement.get_role_display(),
            "ref": report.reference,
        }
        _event(case, actor, "person", text)
        _audit(
            AuditAction.CASE_PERSON_ADDED,
            actor,
            case,
            role=chosen.role,
            report=report.reference,
            person=str(person.public_id),
            reused=reused,
        )


def _refuse_if_triaged(report) -> None:
    done = Triage.objects.filter(report_id=report.pk).select_related("decided_by__user", "decided_by__organisation")
    triage = done.first()
    if triage is None:
        return
    who = triage.decided_by
    name = (who.user.get_full_name() or who.user.email) if who else _("une autre personne")
    raise ActionRefused(
        _("Ce signalement est déjà trié par %(name)s (%(organisation)s), le %(date)s : rechargez la page.")
        % {
            "name": name,
            "organisation": who.organisation.name if who else "—",
            "date": timezone.localtime(triage.decided_at).strftime("%d/%m/%Y à %H:%M"),
        }
    )


def _open_case(*, report, actor, decision: TriageDecision, assessment: Assessment) -> Case:
    priority = decision.override_priority or assessment.priority
    if priority != assessment.priority and not decision.override_reason.strip():
        raise ActionRefused(_("Expliquez pourquoi vous corrigez la priorité proposée."))
    case = Case.objects.create(
        reference=next_reference("case", "HS"),
        state=State.TRIAGED,
        priority=priority,
        qualification=decision.qualification,
        summary=report.description,
        school=report.school,
        lead=actor if decision.outcome == TriageOutcome.OPEN_CASE else None,
        opened_at=timezone.now(),
    )
    case.organisations.add(actor.organisation)
    school_organisation = Organisation.objects.filter(school=report.school).first() if report.school else None
    if school_organisation:
        case.organisations.add(school_organisation)
    SeverityAssessment.objects.create(
        case=case,
        version=1,
        criteria=decision.criteria.to_dict(),
        computed_priority=assessment.priority,
        fired_rules=assessment.fired_rules_json(),
        priority=priority,
        override_reason=decision.override_reason if priority != assessment.priority else "",
        assessed_by=actor,
    )
    _schedule_follow_ups(case, priority, decision.follow_up_on)
    _event(case, actor, "opened", _("Dossier ouvert à partir du signalement %(ref)s.") % {"ref": report.reference})
    _audit(AuditAction.CASE_OPENED, actor, case, priority=priority, report=report.reference)
    if assessment.critical_codes:
        _critical_alert(case=case, actor=actor, assessment=assessment)
    return case


def too_far(last: date) -> str:
    """The message refusing a checkpoint scheduled after `last` (also the forms')."""
    return _(
        "Choisissez une date au plus tard le %(date)s : un point de suivi se prévoit dans l’année qui suit "
        "l’ouverture du dossier."
    ) % {"date": last.strftime("%d/%m/%Y")}


def _schedule_follow_ups(case: Case, priority: str, first_on: date | None) -> None:
    start = timezone.localdate(case.opened_at)
    days = targets.targets(priority).get(targets.FOLLOW_UP) or []
    rows = [FollowUp(case=case, day=day, due_on=start + timedelta(days=day)) for day in days]
    if first_on is not None:
        day = max((first_on - start).days, 1)
        rows = [row for row in rows if row.day != day] + [FollowUp(case=case, day=day, due_on=first_on)]
    FollowUp.objects.bulk_create(rows)


def _critical_alert(*, case: Case, actor, assessment: Assessment) -> None:
    """Critical flag: coordinators and magistrates at once, and the to-do about IP / art. 40."""
    Action.objects.create(
        case=case,
        title=_("Envisager une information préoccupante (CRIP) ou un signalement au procureur (art. 40 CPP)"),
        owner_organisation=actor.organisation,
        owner=actor,
        due_at=timezone.now() + timedelta(hours=4),
        created_by=actor,
    )
    recipients = Membership.objects.active().filter(role__in=[Role.COORDINATOR, Role.MAGISTRATE])
    title = _("Alerte critique : dossier %(ref)s (P1)") % {"ref": case.reference}
    notify(
        memberships=recipients.select_related("user", "organisation"),
        kind=Kind.CRITICAL_ALERT,
        title=title,
        url=case_url(case),
    )
    _event(case, actor, EventKind.CRITICAL_ALERT, _("Alerte critique envoyée à la coordination."))
    _event(case, actor, EventKind.CRITICAL_ALERT_PARQUET, _("Alerte critique transmise aux magistrats du parquet."))
    _audit(AuditAction.CRITICAL_ALERT, actor, case, rules=list(assessment.critical_codes))


def _attach(*, report, case: Case, actor) -> None:
    _event(case, actor, "report_attached", _("Signalement %(ref)s rattaché.") % {"ref": report.reference})
    if case.state == State.CLOSED:
        case.reopen(actor=actor, reason=_("Nouveau signalement %(ref)s.") % {"ref": report.reference})


def _raise_on_attach(*, report, case: Case, actor, decision: TriageDecision, assessment: Assessment) -> None:
    """A report attached to a case (or reopening it) whose triage retained a more urgent priority than
    the case's raises the case at once, as a manual reassessment would: a new assessment version with
    the case's criteria and the report's merged, the new priority (its clocks follow), the timeline, the
    journal, the critical alert when a critical criterion is there, and the lead and the coordinators
    told. A less urgent report changes nothing: attaching never lowers a priority."""
    reported = decision.override_priority or assessment.priority
    # The case's row, locked: a reassessment committed meanwhile is the one compared with.
    current_priority, qualification = (
        Case.objects.select_for_update().filter(pk=case.pk).values_list("priority", "qualification").get()
    )
    if not more_urgent(reported, current_priority):
        return
    _bump(case, None)
    latest = case.assessments.order_by("-version").first()
    known = Criteria.from_dict(latest.criteria) if latest else Criteria()
    criteria = known.merged_with(decision.criteria)
    merged = assess(criteria, qualification)
    if decision.override_priority:
        priority, reason = decision.override_priority, decision.override_reason
    elif more_urgent(reported, merged.priority):
        # The case's qualification weighs the facts less than the triage's did: the triage's priority stands.
        priority = reported
        reason = _("Priorité retenue au tri du signalement %(ref)s.") % {"ref": report.reference}
    else:
        priority, reason = merged.priority, ""
    version = (latest.version if latest else 0) + 1
    SeverityAssessment.objects.create(
        case=case,
        version=version,
        criteria=criteria.to_dict(),
        computed_priority=merged.priority,
        fired_rules=merged.fired_rules_json(),
        priority=priority,
        override_reason=reason if priority != merged.priority else "",
        assessed_by=actor,
    )
    Case.objects.filter(pk=case.pk).update(priority=priority)
    text = _("Gravité réévaluée (version %(v)s) : %(p)s, après le rattachement du signalement %(ref)s.") % {
        "v": version,
        "p": priority,
        "ref": report.reference,
    }
    _event(case, actor, "assessed", text)
    _audit(AuditAction.CASE_ASSESSED, actor, case, version=version, priority=priority, report=report.reference)
    # Those the critical alert reached are not told twice.
    alerted: set[int] = set()
    if merged.critical_codes:
        _critical_alert(case=case, actor=actor, assessment=merged)
        alerted_roles = [Role.COORDINATOR, Role.MAGISTRATE]
        alerted = set(Membership.objects.active().filter(role__in=alerted_roles).values_list("pk", flat=True))
    coordinators = Membership.objects.active().filter(role=Role.COORDINATOR).select_related("user", "organisation")
    recipients = [m for m in coordinators if m.pk not in alerted]
    case.refresh_from_db(fields=["lead"])
    if case.lead is not None and case.lead_id not in alerted:
        recipients.append(case.lead)
    title = _("Dossier %(case)s passé en %(p)s : signalement %(ref)s rattaché") % {
        "case": case.reference,
        "p": priority,
        "ref": report.reference,
    }
    notify(memberships=recipients, kind=Kind.WORRYING_REPORT, title=title, url=case_url(case))
    case.refresh_from_db(fields=["priority"])


# --- Assessment, assignment, summary -------------------------------------------------------------


def reassess(
    *,
    case: Case,
    actor,
    criteria: Criteria,
    qualification: str,
    expected_version: int,
    override_priority: str = "",
    override_reason: str = "",
) -> SeverityAssessment:
    assessment = assess(criteria, qualification)
    priority = override_priority or assessment.priority
    if priority != assessment.priority and not override_reason.strip():
        raise ActionRefused(_("Expliquez pourquoi vous corrigez la priorité proposée."))
    with transaction.atomic():
        _bump(case, expected_version)
        version = (case.assessments.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        row = SeverityAssessment.objects.create(
            case=case,
            version=version,
            criteria=criteria.to_dict(),
            computed_priority=assessment.priority,
            fired_rules=assessment.fired_rules_json(),
            priority=priority,
            override_reason=override_reason if priority != assessment.priority else "",
            assessed_by=actor,
        )
        Case.objects.filter(pk=case.pk).update(priority=priority, qualification=qualification)
        text = _("Gravité réévaluée (version %(v)s) : %(p)s.") % {"v": version, "p": priority}
        _event(case, actor, "assessed", text)
        _audit(AuditAction.CASE_ASSESSED, actor, case, version=version, priority=priority)
        if assessment.critical_codes and case.priority != Priority.P1:
            _critical_alert(case=case, actor=actor, assessment=assessment)
    case.refresh_from_db()
    return row


def assign(*, case: Case, actor, lead: Membership | None, co_workers, expected_version: int) -> Case:
    with transaction.atomic():
        _bump(case, expected_version)
        Case.objects.filter(pk=case.pk).update(lead=lead)
        case.co_workers.set(co_workers)
        names = ", ".join(m.user.get_full_name() for m in co_workers) or "—"
        lead_name = lead.user.get_full_name() if lead else "—"
        _event(
            case,
            actor,
            "assigned",
            _("Responsable : %(lead)s. Co-intervenants : %(others)s.")
            % {
                "lead": lead_name,
                "others": names,
            },
        )
        _audit(AuditAction.CASE_CHANGED, actor, case, field="lead")
    case.refresh_from_db()
    if lead and lead != actor:
        title = _("Vous êtes responsable du dossier %(ref)s") % {"ref": case.reference}
        notify(memberships=[lead], kind=Kind.ASSIGNMENT, title=title, url=case_url(case))
    return case


def update_summary(*, case: Case, actor, summary: str, expected_version: int) -> Case:
    with transaction.atomic():
        _bump(case, expected_version)
        Case.objects.filter(pk=case.pk).update(summary=summary)
        _event(case, actor, "summary", _("Résumé de la situation mis à jour."))
        _audit(AuditAction.CASE_CHANGED, actor, case, field="summary")
    case.refresh_from_db()
    return case


def transition(*, case: Case, actor, name: str, expected_version: int, **kwargs) -> Case:
    """Run one state transition, refusing a stale form. The version is compared under the row lock,
    so of two transitions posted at once with the same version, the second waits, then is refused."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.version != expected_version:
            raise StaleCase()
        return getattr(locked, name)(actor=actor, **kwargs)


# --- Follow-up checkpoints --------------------------------------------------------------------------


def record_follow_up(
    *, follow_up: FollowUp, actor, victim_view: str, wellbeing: int | None, decision: str, note: str
) -> FollowUp:
    """Record a checkpoint: the victim's own view (core), their wellbeing (health compartment), the
    decision. « Renforcer / alerter » alerts the coordinators; « proposer la clôture » is only a
    proposal (the case page then offers the closure form)."""
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
        if locked.done_at is not None:
            raise ActionRefused(_("Ce point de suivi est déjà enregistré."))
        case = locked.case
        _bump(case, None)
        _require_open(case)
        locked.done_at = timezone.now()
        locked.victim_view = victim_view
        locked.wellbeing = wellbeing
        locked.decision = decision
        locked.note = note
        locked.recorded_by = actor
        locked.save(update_fields=["done_at", "victim_view", "wellbeing", "decision", "note", "recorded_by"])
        text = _("Point de suivi J+%(day)s : selon l’élève, %(view)s. Décision : %(decision)s.") % {
            "day": locked.day,
            "view": str(FollowUp.View(victim_view).label).lower() if victim_view else "—",
            "decision": str(FollowUp.Decision(decision).label).lower() if decision else "—",
        }
        if note:
            text += " " + note
        _event(case, actor, "follow_up", text)
        if wellbeing is not None:
            health = _("Point de suivi J+%(day)s : bien-être de l’élève %(score)s/5.") % {
                "day": locked.day,
                "score": wellbeing,
            }
            _event(case, actor, EventKind.FOLLOW_UP_WELLBEING, health)
        if decision == FollowUp.Decision.ESCALATE:
            _event(
                case, actor, "follow_up_escalated", _("Alerte : la situation doit être reprise par la coordination.")
            )
            coordinators = Membership.objects.active().filter(role=Role.COORDINATOR)
            notify(
                memberships=[
                    m for m in coordinators.select_related("user", "organisation") if m.user_id != actor.user_id
                ],
                kind=Kind.FOLLOW_UP_ALERT,
                title=_("Dossier %(ref)s : un point de suivi demande de renforcer l’intervention")
                % {"ref": case.reference},
                url=case_url(case),
                email_title=_("Un point de suivi demande l’attention de la coordination"),
            )
        _audit(AuditAction.CASE_FOLLOW_UP, actor, case, day=locked.day, decision=decision)
    return locked


def add_follow_up(*, case: Case, actor, due_on: date) -> FollowUp:
    """Schedule an extra checkpoint on a given date (its J+ day counts from the opening), at the latest
    one year after the opening (``targets.LAST_FOLLOW_UP_DAY``)."""
    if due_on < timezone.localdate():
        raise ActionRefused(_("Choisissez une date à venir."))
    opened_on = timezone.localdate(case.opened_at)
    if due_on > targets.last_follow_up_on(opened_on):
        raise ActionRefused(too_far(targets.last_follow_up_on(opened_on)))
    day = (due_on - opened_on).days
    with transaction.atomic():
        _bump(case, None)
        _require_open(case)
        if FollowUp.objects.filter(case=case, day=day).exists():
            raise ActionRefused(_("Un point de suivi est déjà prévu ce jour-là."))
        try:
            with transaction.atomic():
                row = FollowUp.objects.create(case=case, day=day, due_on=due_on)
        except IntegrityError as clash:  # the same day added at the same instant by someone else
            raise ActionRefused(_("Un point de suivi est déjà prévu ce jour-là.")) from clash
        _event(
            case,
            actor,
            "follow_up_added",
            _("Point de suivi supplémentaire prévu le %(date)s (J+%(day)s).")
            % {"date": due_on.strftime("%d/%m/%Y"), "day": day},
        )
        _audit(AuditAction.CASE_FOLLOW_UP, actor, case, day=day, added=True)
    return row


# --- Actions (what an organisation owes the case) ---------------------------------------------------


@dataclass(frozen=True)
class ShareRequest:
    """The share proposed with an action, so that its owner organisation can read what the action
    needs: compartments, legal basis, expiry (``share``'s arguments)."""

    compartments: list[str]
    legal_basis: str
    expires_on: date


SHARE_NOT_ALLOWED = gettext_lazy(
    "Vous ne pouvez pas partager ce dossier : seule la coordination de la cellule partage un dossier. "
    "Rien n’a été enregistré : décochez le partage, ou demandez-le à la coordination."
)


def action_url(action: Action) -> str:
    return reverse("cases:action", args=[action.public_id])


def create_action(
    *,
    case: Case,
    actor,
    title: str,
    owner_organisation: Organisation,
    owner: Membership | None = None,
    due_at=None,
    compartment: str = Compartment.CORE,
    share_with: ShareRequest | None = None,
) -> Action:
    """Give an organisation something to do on a case; its members who read cases are told (a link to
    the action's page, no content). An action outside the core goes only to an organisation, and a
    person, who read that compartment of the case (``access.can_own_action``).

    ``share_with``: a share of the case with the owner organisation, created in the same transaction
    (by someone allowed to share, ``access.can_share``), journaled like any share: the action and its
    share are saved together or not at all."""
    from halte.access.cases import can_share

    if owner is not None and owner.organisation_id != owner_organisation.pk:
        raise ActionRefused(_("La personne responsable doit appartenir à la structure responsable."))
    if owner is not None and not can_read_case_content(owner):
        raise ActionRefused(_("Cette personne ne suit pas de dossiers : choisissez-en une autre."))
    if not title.strip():
        raise ActionRefused(_("Indiquez l’action à mener."))
    if not owner_organisation.is_active:
        raise ActionRefused(_("Cette structure n’est plus active : choisissez-en une autre."))
    if share_with is not None and not can_share(actor, case):
        raise ActionRefused(str(SHARE_NOT_ALLOWED))
    with transaction.atomic():
        if share_with is not None:
            share(
                case=case,
                actor=actor,
                organisation=owner_organisation,
                compartments=list(share_with.compartments),
                legal_basis=share_with.legal_basis,
                expires_on=share_with.expires_on,
            )
        # Checked once the share is written: a judicial action may go with the judicial share it needs.
        if not can_own_action(owner_organisation, case, compartment):
            raise ActionRefused(str(JUDICIAL_OWNER_REFUSED))
        if owner is not None and compartment != Compartment.CORE and not can_read(owner, case, compartment):
            raise ActionRefused(str(JUDICIAL_PERSON_REFUSED))
        _bump(case, None)
        action = Action.objects.create(
            case=case,
            title=title,
            compartment=compartment,
            owner_organisation=owner_organisation,
            owner=owner,
            due_at=due_at,
            created_by=actor,
        )
        _event(
            case,
            actor,
            "action",
            _("Action confiée à %(org)s : %(title)s") % {"org": owner_organisation.name, "title": title},
            subject=compartment,
        )
        _audit(
            AuditAction.CASE_ACTION_CREATED,
            actor,
            case,
            action_id=str(action.public_id),
            shared=share_with is not None,
        )
        members = memberships_with(Capability.READ_CASES).filter(organisation=owner_organisation)
        if compartment != Compartment.CORE:
            members = [m for m in members if can_read(m, case, compartment)]
        notify(
            memberships=[owner] if owner is not None else members,
            kind=Kind.ACTION_ASSIGNED,
            title=_("Nouvelle action pour votre structure (dossier %(ref)s)") % {"ref": case.reference},
            url=action_url(action),
        )
    return action


def report_difficulty(*, action: Action, actor, text: str) -> Action:
    """The owner organisation tells the cell that an open action cannot be done as asked (no contact
    with the family, a share needed…). A line of the case's history in the action's compartment; the
    action's creator and the case lead are told (a link to the action, never the text)."""
    if not text.strip():
        raise ActionRefused(_("Décrivez la difficulté rencontrée."))
    with transaction.atomic():
        locked = (
            Action.objects.select_for_update(of=("self",))
            .select_related("case__lead__user", "owner_organisation", "created_by__user")
            .get(pk=action.pk)
        )
        if locked.status != ActionStatus.OPEN:
            raise AlreadyDone(action_already_finished(locked))
        case = locked.case
        values = {"org": locked.owner_organisation.name, "title": locked.title, "text": text}
        _event(
            case,
            actor,
            EventKind.ACTION_DIFFICULTY,
            _("Difficulté signalée (%(org)s) sur l’action « %(title)s » : %(text)s") % values,
            subject=locked.compartment,
        )
        _audit(AuditAction.CASE_ACTION_CHANGED, actor, case, action_id=str(locked.public_id), difficulty=True)
        told = [
            m
            for m in (locked.created_by, case.lead)
            if m is not None and m.user_id != actor.user_id and can_see_action(m, locked)
        ]
        notify(
            memberships=told,
            kind=Kind.ACTION_DIFFICULTY,
            title=_("Dossier %(ref)s : une difficulté est signalée sur une action") % {"ref": case.reference},
            url=action_url(locked),
            email_title=_("Une difficulté est signalée sur une action d’un dossier que vous suivez"),
        )
    return locked


def complete_action(*, action: Action, actor, note: str) -> Action:
    """Mark an action done with what was done. Its creator and the case lead are told when they may read
    the action; when another organisation than the lead's did a core action, the referring school and
    the sharing partners get the outcome."""
    if not note.strip():
        raise ActionRefused(_("Indiquez ce qui a été fait."))
    return _finish_action(action=action, actor=actor, status=ActionStatus.DONE, note=note)


def cancel_action(*, action: Action, actor, reason: str) -> Action:
    """Cancel an action, with the reason. Its creator and the case lead are told when they may read it."""
    if not reason.strip():
        raise ActionRefused(_("Indiquez le motif de l’annulation."))
    return _finish_action(action=action, actor=actor, status=ActionStatus.CANCELLED, note=reason)


def _finish_action(*, action: Action, actor, status: str, note: str) -> Action:
    from .feedback import ACTION_DONE, send_outcome

    with transaction.atomic():
        locked = (
            # Lock the action row only: PostgreSQL refuses FOR UPDATE across the nullable joins.
            Action.objects.select_for_update(of=("self",))
            .select_related(
                "case__lead__user",
                "case__lead__organisation",
                "owner_organisation",
                "created_by__user",
                "created_by__organisation",
            )
            .get(pk=action.pk)
        )
        if locked.status != ActionStatus.OPEN:
            raise AlreadyDone(action_already_finished(locked))
        locked.status = status
        locked.completion_note = note
        locked.done_at = timezone.now()
        locked.done_by = actor
        locked.save(update_fields=["status", "completion_note", "done_at", "done_by"])
        case = locked.case
        organisation = locked.owner_organisation
        done = status == ActionStatus.DONE
        values = {"org": organisation.name, "title": locked.title, "note": note}
        text = (
            _("Action réalisée (%(org)s) : %(title)s — %(note)s") % values
            if done
            else _("Action annulée (%(org)s) : %(title)s — motif : %(note)s") % values
        )
        kind = EventKind.ACTION_DONE if done else EventKind.ACTION_CANCELLED
        _event(case, actor, kind, text, subject=locked.compartment)
        _audit(AuditAction.CASE_ACTION_CHANGED, actor, case, action_id=str(locked.public_id), status=status)
        # Only who may read the action: a judicial action is never announced to a lead who does not read it.
        told = [
            m
            for m in (locked.created_by, case.lead)
            if m is not None and m.user_id != actor.user_id and can_see_action(m, locked)
        ]
        title = (
            _("Dossier %(ref)s : une action a été réalisée")
            if done
            else _("Dossier %(ref)s : une action a été annulée")
        ) % {"ref": case.reference}
        notify(
            memberships=told,
            kind=Kind.ACTION_DONE,
            title=title,
            url=case_url(case),
            email_title=_("Une action a changé sur un dossier que vous suivez"),
        )
        lead_organisation = case.lead.organisation_id if case.lead else None
        if done and locked.compartment == Compartment.CORE and organisation.pk != lead_organisation:
            send_outcome(
                case,
                actor=actor,
                event=ACTION_DONE,
                label=_("action réalisée par %(org)s") % {"org": organisation.name},
                excluded_organisation_id=organisation.pk,
            )
    return locked


# --- Shares ---------------------------------------------------------------------------------------


# How long a share lasts at most. A share opens a case to an organisation for one purpose (an
# investigation, an accompaniment); a year covers what the cell's work on a case usually takes, and a
# share that is still needed is renewed by sharing again, a decision journaled like the first. Without
# a bound, a share « jusqu’au 01/01/2099 » outlived the case's own retention.
SHARE_MAX_DAYS = 365


def share_expiry_refusal(expires_on: date) -> str | None:
    """Why a share may not end on `expires_on` (the forms' message too), or None."""
    today = timezone.localdate()
    if expires_on < today:
        return _("La date de fin du partage est déjà passée. Choisissez une date à venir.")
    last = today + timedelta(days=SHARE_MAX_DAYS)
    if expires_on > last:
        return _(
            "Un partage dure au plus un an : choisissez une date au plus tard le %(date)s. "
            "S’il est encore utile à cette date, partagez de nouveau pour le renouveler."
        ) % {"date": last.strftime("%d/%m/%Y")}
    return None


def _sharer_roles(compartments) -> frozenset[str]:
    from halte.access.cases import SHARERS

    roles = None
    for compartment in compartments:
        sharers = SHARERS.get(compartment, frozenset())
        roles = sharers if roles is None else roles & sharers
    return roles or frozenset()


def _share_to_renew(case: Case, actor, organisation: Organisation, compartments, legal_basis: str) -> Share | None:
    """The organisation's active share on the case that sharing again renews, locked: one on the same
    legal basis that the actor manages (so never one they may not know of, a judicial share for the
    coordination) and whose author could still manage once the compartments are merged (the parquet's
    judicial part never lands in the coordination's share, which she would then lose from her list).
    Another share is written otherwise."""
    from halte.access.cases import can_manage_share

    candidates = (
        Share.objects.active()
        .select_for_update()
        .filter(case=case, organisation=organisation, legal_basis=legal_basis)
        .select_related("created_by", "organisation")
        .order_by("created_at", "pk")
    )
    for candidate in candidates:
        candidate.case = case
        merged = set(candidate.compartments) | set(compartments)
        if can_manage_share(actor, candidate) and candidate.created_by.role in _sharer_roles(merged):
            return candidate
    return None


def share(
    *, case: Case, actor, organisation: Organisation, compartments: list[str], legal_basis: str, expires_on: date
) -> Share:
    """Let an organisation read compartments of the case until a date (at most ``SHARE_MAX_DAYS``).
    Sharing again renews the active share the actor manages with that organisation on that legal
    basis (``_share_to_renew``: compartments merged, the new expiry) instead of writing a second one;
    the case's row is locked first, so that two people sharing at once queue and the second renews
    what the first wrote. The returned share's ``renewed`` says which it was."""
    from halte.access.cases import can_share_compartment, shareable_compartments

    if not all(can_share_compartment(actor, case, c) for c in compartments):
        raise ActionRefused(_("Vous ne pouvez pas partager ces volets de ce dossier."))
    allowed = set(shareable_compartments(organisation))
    refused = set(compartments) - allowed
    if refused:
        raise ActionRefused(_("Ces volets ne peuvent pas être partagés avec cette structure."))
    if not compartments:
        raise ActionRefused(_("Choisissez au moins un volet à partager."))
    refusal = share_expiry_refusal(expires_on)
    if refusal:
        raise ActionRefused(refusal)
    with transaction.atomic():
        # Shares of one case are decided one at a time: a share not yet written has no row to lock.
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
        row = _share_to_renew(case, actor, organisation, compartments, legal_basis)
        if row is not None:
            _renew_share(row, actor=actor, compartments=compartments, expires_on=expires_on)
            renewed = True
        else:
            row = Share.objects.create(
                case=case,
                organisation=organisation,
                compartments=sorted(compartments),
                legal_basis=legal_basis,
                expires_on=expires_on,
                created_by=actor,
            )
            renewed = False
            case.organisations.add(organisation)
            text = _("Partagé avec %(org)s jusqu’au %(date)s (%(basis)s).") % {
                "org": organisation.name,
                "date": expires_on.strftime("%d/%m/%Y"),
                "basis": row.get_legal_basis_display(),
            }
            _event(case, actor, EventKind.SHARED, text, subject=share_compartment(row))
            _audit(
                AuditAction.CASE_SHARED, actor, case, organisation=organisation.name, compartments=sorted(compartments)
            )
        members = memberships_with(Capability.READ_CASES).filter(organisation=organisation)
        if renewed:
            title = _("Le partage du dossier %(ref)s avec votre structure a été renouvelé") % {"ref": case.reference}
        else:
            title = _("Le dossier %(ref)s a été partagé avec votre structure") % {"ref": case.reference}
        notify(memberships=members, kind=Kind.SHARE, title=title, url=case_url(case))
    row.renewed = renewed
    return row


def _renew_share(row: Share, *, actor, compartments: list[str], expires_on: date) -> None:
    previous = row.expires_on
    added = sorted(set(compartments) - set(row.compartments))
    row.compartments = sorted(set(row.compartments) | set(compartments))
    row.expires_on = expires_on
    row.save(update_fields=["compartments", "expires_on"])
    text = _("Partage avec %(org)s renouvelé : %(labels)s, jusqu’au %(date)s (%(basis)s).") % {
        "org": row.organisation.name,
        "labels": ", ".join(row.compartment_labels),
        "date": expires_on.strftime("%d/%m/%Y"),
        "basis": row.get_legal_basis_display(),
    }
    _event(row.case, actor, EventKind.SHARED, text, subject=share_compartment(row))
    _audit(
        AuditAction.CASE_SHARE_RENEWED,
        actor,
        row.case,
        organisation=row.organisation.name,
        compartments=row.compartments,
        added=added,
        expires_on=expires_on.isoformat(),
        previous_expires_on=previous.isoformat(),
    )


def revoke_share(*, share: Share, actor) -> Share:
    """End a share now. Revoked already (a second tab), it is ``AlreadyDone``: who revoked it and when."""
    from halte.access.cases import can_manage_share

    if not can_manage_share(actor, share):
        raise ActionRefused(_("Vous ne pouvez pas révoquer ce partage."))
    with transaction.atomic():
        revoked = Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
        share.refresh_from_db()
        if not revoked:
            raise AlreadyDone(share_already_revoked(share))
        _event(
            share.case,
            actor,
            EventKind.SHARE_REVOKED,
            _("Partage avec %(org)s révoqué.") % {"org": share.organisation.name},
            subject=share_compartment(share),
        )
        _audit(
            AuditAction.CASE_SHARE_REVOKED,
            actor,
            share.case,
            organisation=share.organisation.name,
            compartments=sorted(share.compartments),
        )
    return share


# --- Notes, people, links --------------------------------------------------------------------------


def add_note(*, case: Case, actor, compartment: str, text: str) -> Note:
    with transaction.atomic():
        note = Note.objects.create(case=case, compartment=compartment, text=text, author=actor)
        _event(case, actor, EventKind.NOTE, text, subject=compartment)
        _audit(AuditAction.CASE_NOTE_ADDED, actor, case, compartment=compartment)
    return note


def _refuse_unsuited_role(kind: str, role: str) -> None:
    """The rule of :mod:`halte.cases.roles`, whoever adds the person: an adult is never a victim, a
    pupil never a legal guardian."""
    message = roles.refusal(kind, role)
    if message is not None:
        raise ActionRefused(message)


def add_person(*, case: Case, actor, role: str, person: Person | None = None, **fields) -> Involvement:
    """Add a person to the case in a role: an existing record (its own kind counts, not what was
    typed), or a new one made of ``fields``."""
    _refuse_unsuited_role(person.kind if person is not None else fields.get("kind", ""), role)
    with transaction.atomic():
        if person is None:
            person = Person(**fields)
            person.save()
        involvement, _created = Involvement.objects.get_or_create(case=case, person=person, role=role)
        _event(
            case,
            actor,
            "person",
            _("Ajout %(of_person)s au dossier : %(role)s.")
            % {
                "of_person": of_name(person),
                "role": involvement.get_role_display(),
            },
        )
        _audit(AuditAction.CASE_PERSON_ADDED, actor, case, role=role)
    return involvement


def link(*, case: Case, other: Case, actor, reason: str) -> Link:
    if case.pk == other.pk:
        raise ActionRefused(_("Un dossier ne peut pas être lié à lui-même."))
    with transaction.atomic():
        row, _created = Link.objects.get_or_create(
            from_case=case, to_case=other, defaults={"kind": Link.Kind.LINKED, "reason": reason, "created_by": actor}
        )
        _event(
            case, actor, "linked", _("Lié au dossier %(ref)s : %(reason)s") % {"ref": other.reference, "reason": reason}
        )
        _event(
            other, actor, "linked", _("Lié au dossier %(ref)s : %(reason)s") % {"ref": case.reference, "reason": reason}
        )
        _audit(AuditAction.CASE_LINKED, actor, case, other=other.reference)
    return row


def merge(*, source: Case, target: Case, actor, reason: str) -> Case:
    """Fold `source` into `target`: reports and people move over; `source` is closed and points to `target`."""
    if source.pk == target.pk:
        raise ActionRefused(_("Un dossier ne peut pas être fusionné avec lui-même."))
    if not reason.strip():
        raise ActionRefused(_("Indiquez le motif."))
    with transaction.atomic():
        source.reports.update(case=target)
        for involvement in source.involvements.all():
            Involvement.objects.get_or_create(case=target, person=involvement.person, role=involvement.role)
        Link.objects.get_or_create(
            from_case=source, to_case=target, defaults={"kind": Link.Kind.MERGED, "reason": reason, "created_by": actor}
        )
        Case.objects.filter(pk=source.pk).update(merged_into=target)
        if source.state not in (State.CLOSED, State.REDIRECTED):
            source.refresh_from_db()
            source.close(
                actor=actor,
                watch_days=0,
                tell=False,
                outcome="other",
                reason=_("Fusionné dans %(ref)s : %(reason)s")
                % {
                    "ref": target.reference,
                    "reason": reason,
                },
            )
        _event(
            target,
            actor,
            "merged",
            _("Dossier %(ref)s fusionné ici : %(reason)s")
            % {
                "ref": source.reference,
                "reason": reason,
            },
        )
        _audit(AuditAction.CASE_MERGED, actor, target, source=source.reference)
    target.refresh_from_db()
    return target


__all__ = ["ActionRefused", "Qualification", "StaleCase", "TriageDecision", "triage_report"]
