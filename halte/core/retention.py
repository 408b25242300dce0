"""Retention rules: one table, one rule per category of data, applied by the periodic pass.

``RULES`` is the single statement of how long Halte keeps what. Each rule carries what the privacy
page shows (category, duration, what happens, legal basis, in French) and the two functions that make
it true: ``pending(now)`` (what is due: a count and references, for ``manage.py retention --dry-run``)
and ``apply(now, limit)`` (does at most ``limit`` items, so one pass stays short; the next pass
continues). The privacy page renders its retention section from this table, so that it cannot promise
what the code does not do.

Anonymising a case (``anonymise_case``) keeps what the figures of /pilotage/ count — the school, the
dates, the priority, the qualification, the states and transitions, the actions' owners and due
dates, the documents' kinds and dates, the people's rows and roles (a person cited in two cases is
still counted once) — and replaces or deletes the rest: names, birth dates, contact details, every
free text that may name someone (narratives, messages, notes, minutes, interviews, reasons), the
evidence (rows and files) and the documents' files; the receipt code no longer opens the mailbox.

Each run of a rule that did something writes one journal row (``retention.applied``): the rule, the
count, the references (case and report references, public ids), never content. Files are deleted
after the commit of their rows; a file left behind by a crash in between has no row any more and is
swept by the orphan-file duty of the same pass.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ERASED = "[effacé : durée de conservation écoulée]"
ANONYMOUS = "Anonyme"
BATCH = 25  # cases, people or reports per rule and per pass
ROWS_BATCH = 5000  # plain rows (sessions, notifications…) per rule and per pass
REFS_SHOWN = 50  # references written in one journal row / printed by the dry run

CLOSED_CASE_YEARS = 3
IDENTITY_AGE = 25


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _years_ago(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


@dataclass
class Pending:
    count: int
    refs: list[str]


@dataclass
class Outcome:
    count: int = 0
    refs: list[str] = field(default_factory=list)
    files: int = 0

    def add(self, other: "Outcome") -> None:
        self.count += other.count
        self.refs += other.refs
        self.files += other.files


@dataclass(frozen=True)
class Rule:
    key: str
    category: Promise  # what is kept (French, privacy page)
    duration: Promise  # how long
    effect: Promise  # what happens then
    legal_basis: Promise  # why
    pending: Callable[[datetime], Pending]
    apply: Callable[[datetime, int], Outcome]
    journals_itself: bool = False  # the function writes its own journal rows


# --- Cases, reports, people -------------------------------------------------------------------------


def _closed_cases_due(now: datetime) -> QuerySet:
    from halte.cases.enums import OPEN_STATES
    from halte.cases.models import Case

    return (
        Case.objects.filter(anonymised_at__isnull=True, closed_at__lt=_years_ago(now, CLOSED_CASE_YEARS))
        .exclude(state__in=OPEN_STATES)
        .order_by("closed_at", "pk")
    )


def _birth_limit(now: datetime) -> date:
    """Born on or before this day: 25 years old or more today."""
    return years_before(timezone.localdate(now), IDENTITY_AGE)


def _grown_up_people_due(now: datetime) -> QuerySet:
    from halte.cases.models import Person

    return Person.objects.filter(anonymised_at__isnull=True, birth_date__lte=_birth_limit(now)).order_by(
        "birth_date", "pk"
    )


def _reports_without_case_due(now: datetime) -> QuerySet:
    from halte.reports.models import Report

    # Only after a triage decision: a report nobody decided on is a report waiting, never one to erase.
    return Report.objects.filter(
        case__isnull=True,
        triage__isnull=False,
        anonymised_at__isnull=True,
        received_at__lt=_years_ago(now, CLOSED_CASE_YEARS),
    ).order_by("received_at", "pk")


def _unlinked_people_due(now: datetime) -> QuerySet:
    """People no case cites any more (removed from a case, or whose cases went), a day after creation."""
    from halte.cases.models import ConflictOfInterest, Involvement, Person
    from halte.documents.models import Document
    from halte.interventions.models import (
        FamilyContact,
        FamilyRestriction,
        Interview,
        Measure,
        MppSeries,
        ParentsInformation,
    )

    # A guardianship is no citation: it goes with the people it joins.
    people = Person.objects.filter(created_at__lt=now - timedelta(days=1))
    for model, field_name in (
        (Involvement, "person"),
        (Measure, "person"),
        (Interview, "person"),
        (FamilyContact, "person"),
        (FamilyContact, "pupil"),
        (ParentsInformation, "pupil"),
        (FamilyRestriction, "pupil"),
        (MppSeries, "author"),
        (ConflictOfInterest, "person"),
        (Document, "recipient"),
    ):
        people = people.exclude(Exists(model.objects.filter(**{field_name: OuterRef("pk")})))
    return people.order_by("pk")


def anonymise_report(report, now: datetime) -> Outcome:
    """Reporter, pupils' names, narrative, messages and external numbers replaced; evidence deleted
    (rows now, files after the commit); the receipt code opens nothing any more. Call it inside a
    transaction."""
    from halte.prevention.models import Observation
    from halte.reports import vault
    from halte.reports.models import Evidence, IdempotencyRecord, Message, Report, ReportedPupil

    evidence = list(Evidence.objects.filter(report=report))
    Evidence.objects.filter(pk__in=[item.pk for item in evidence]).delete()
    if evidence:
        transaction.on_commit(lambda: vault.discard(evidence))
    Message.objects.filter(report=report).update(body=ERASED)
    ReportedPupil.objects.filter(report=report).update(first_name=ANONYMOUS, last_name="", class_name="")
    IdempotencyRecord.objects.filter(report=report).delete()
    Observation.objects.filter(report=report).delete()  # initials and notes that became this report
    _triage_texts(report)
    Report.objects.filter(pk=report.pk).update(
        reporter_name="",
        reporter_email="",
        reporter_phone="",
        school_text="",
        description=ERASED,
        flag_hits=[],
        faits_etablissement_id="",
        parquet_number="",
        stop_harcelement_id="",
        crip_id="",
        submission_token=None,
        receipt_lookup=None,
        receipt_hash="",
        anonymised_at=now,
    )
    files = sum(1 + bool(item.display_path) for item in evidence)
    return Outcome(count=1, refs=[report.reference], files=files)


def _triage_texts(report) -> None:
    from halte.cases.models import Triage

    Triage.objects.filter(report=report).update(reason="", redirected_to="")


def anonymise_case(case, now: datetime) -> Outcome:
    """Anonymise one case and its reports; then the people it cites that no case still needs by name.
    Call it inside a transaction."""
    from halte.cases import models as cases
    from halte.documents.models import Document, DocumentKind
    from halte.interventions import models as work
    from halte.meetings.models import AgendaItem
    from halte.reports.models import Report

    outcome = Outcome(count=1, refs=[case.reference])
    for report in Report.objects.filter(case=case, anonymised_at__isnull=True):
        outcome.files += anonymise_report(report, now).files
    cases.Case.objects.filter(pk=case.pk).update(summary="", anonymised_at=now)
    cases.Event.objects.filter(case=case).update(text=ERASED)
    cases.Note.objects.filter(case=case).update(text=ERASED)
    cases.Transition.objects.filter(case=case).update(reason="")
    cases.Link.objects.filter(Q(from_case=case) | Q(to_case=case)).update(reason=ERASED)
    cases.Action.objects.filter(case=case).update(title=ERASED, completion_note="")
    cases.FollowUp.objects.filter(case=case).update(note="")
    cases.ConflictOfInterest.objects.filter(case=case).update(reason=ERASED)
    cases.SeverityAssessment.objects.filter(case=case).update(override_reason="")
    work.Measure.objects.filter(case=case).update(description="", review_note="")
    work.Interview.objects.filter(case=case).update(also_present="", words="", summary="", proposals_made="")
    work.FamilyContact.objects.filter(case=case).update(summary=ERASED)
    work.ParentsInformation.objects.filter(case=case).update(reason="")
    AgendaItem.objects.filter(case=case).update(minutes="")
    documents = list(Document.objects.filter(case=case, erased_at__isnull=True))
    for document in documents:
        Document.objects.filter(pk=document.pk).update(
            title=str(DocumentKind(document.kind).label), path=f"efface/{document.public_id}", erased_at=now
        )
    if documents:
        paths = [document.path for document in documents]
        transaction.on_commit(lambda: _remove_documents(paths))
    outcome.files += len(documents)
    people = cases.Person.objects.filter(involvements__case=case, anonymised_at__isnull=True).distinct()
    still_needed = cases.Involvement.objects.filter(person=OuterRef("pk"), case__anonymised_at__isnull=True)
    _anonymise_people(people.exclude(Exists(still_needed)), now)
    return outcome


def _remove_documents(paths: list[str]) -> None:
    from halte.documents import storage

    for path in paths:
        storage.remove(path)


def _anonymise_people(people: QuerySet, now: datetime) -> int:
    from halte.cases.models import Person

    ids = list(people.values_list("pk", "public_id"))
    for pk, public_id in ids:
        # An update, not save(): the name key must match nobody any more (repeat detection).
        Person.objects.filter(pk=pk).update(
            first_name=ANONYMOUS,
            last_name="",
            birth_date=None,
            class_name="",
            email="",
            phone="",
            address="",
            name_key=f"~{public_id}",
            anonymised_at=now,
        )
    return len(ids)


def _each(items: Iterable, do: Callable[[object], Outcome]) -> Outcome:
    """One savepoint per item, inside the rule's transaction (``run``)."""
    total = Outcome()
    for item in items:
        with transaction.atomic():
            total.add(do(item))
    return total


def _apply_closed_cases(now: datetime, limit: int) -> Outcome:
    from halte.cases.models import Case

    def one(case) -> Outcome:
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.anonymised_at is not None:
            return Outcome()
        return anonymise_case(locked, now)

    return _each(list(_closed_cases_due(now)[:limit]), one)


def _apply_grown_up_people(now: datetime, limit: int) -> Outcome:
    """A pupil's 25th birthday: the person is anonymised whatever their cases' dates; every closed
    case that cites them is anonymised as a whole (its texts name them). An open case keeps its texts
    until it closes; the person's own record is anonymised at once."""
    from halte.cases.enums import OPEN_STATES
    from halte.cases.models import Case, Involvement, Person

    def one(person) -> Outcome:
        outcome = Outcome(count=1, refs=[f"personne {person.public_id}"])
        cited = Involvement.objects.filter(person=person).values("case_id")
        closed = (
            Case.objects.select_for_update()
            .filter(pk__in=cited, anonymised_at__isnull=True)
            .exclude(state__in=OPEN_STATES)
        )
        for case in closed:
            done = anonymise_case(case, now)
            outcome.refs += done.refs
            outcome.files += done.files
        _anonymise_people(Person.objects.filter(pk=person.pk, anonymised_at__isnull=True), now)
        return outcome

    return _each(list(_grown_up_people_due(now)[:limit]), one)


def _apply_reports_without_case(now: datetime, limit: int) -> Outcome:
    from halte.reports.models import Report

    def one(report) -> Outcome:
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.anonymised_at is not None or locked.case_id is not None:
            return Outcome()
        return anonymise_report(locked, now)

    return _each(list(_reports_without_case_due(now)[:limit]), one)


def _apply_unlinked_people(now: datetime, limit: int) -> Outcome:
    from halte.cases.models import Person

    deleted = []
    for pk, public_id in _unlinked_people_due(now).values_list("pk", "public_id")[:limit]:
        try:
            with transaction.atomic():
                Person.objects.filter(pk=pk).delete()
        except ProtectedError:  # cited by a row this rule does not know yet: kept
            continue
        deleted.append(f"personne {public_id}")
    return Outcome(count=len(deleted), refs=deleted)


def _evidence_left_due(now: datetime) -> QuerySet:
    from halte.reports.models import Evidence

    return Evidence.objects.filter(report__anonymised_at__isnull=False).order_by("pk")


def _apply_evidence_left(now: datetime, limit: int) -> Outcome:
    """Safety net: evidence added to a report after it was anonymised (a message in flight)."""
    from halte.reports import vault
    from halte.reports.models import Evidence

    with transaction.atomic():
        items = list(_evidence_left_due(now).select_for_update()[:limit])
        Evidence.objects.filter(pk__in=[item.pk for item in items]).delete()
        if items:
            transaction.on_commit(lambda: vault.discard(items))
    return Outcome(
        count=len(items),
        refs=[str(item.public_id) for item in items],
        files=sum(1 + bool(item.display_path) for item in items),
    )


def _documents_left_due(now: datetime) -> QuerySet:
    from halte.documents.models import Document

    return Document.objects.filter(case__anonymised_at__isnull=False, erased_at__isnull=True).order_by("pk")


def _apply_documents_left(now: datetime, limit: int) -> Outcome:
    from halte.documents.models import Document, DocumentKind

    with transaction.atomic():
        items = list(_documents_left_due(now).select_for_update()[:limit])
        for document in items:
            Document.objects.filter(pk=document.pk).update(
                title=str(DocumentKind(document.kind).label), path=f"efface/{document.public_id}", erased_at=now
            )
        paths = [document.path for document in items]
        if paths:
            transaction.on_commit(lambda: _remove_documents(paths))
    return Outcome(count=len(items), refs=[str(d.public_id) for d in items], files=len(items))


# --- Plain rows -------------------------------------------------------------------------------------


def _delete_rows(queryset: QuerySet, limit: int, ref: Callable[[object], str] | None = None) -> Outcome:
    with transaction.atomic():
        rows = list(queryset.order_by("pk")[:limit])
        refs = [ref(row) for row in rows] if ref else []
        queryset.model.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return Outcome(count=len(rows), refs=refs)


def _observations_due(now: datetime) -> QuerySet:
    from halte.prevention.models import Observation
    from halte.prevention.observations import retention_cutoff

    return Observation.objects.filter(opened_at__lt=retention_cutoff(now), report__isnull=True)


def _apply_observations(now: datetime, limit: int) -> Outcome:
    from halte.prevention.observations import purge_stale_observations

    return Outcome(count=purge_stale_observations(now))


IDEMPOTENCY_DAYS = 30


def _idempotency_due(now: datetime) -> QuerySet:
    from halte.reports.models import IdempotencyRecord

    return IdempotencyRecord.objects.filter(created_at__lt=now - timedelta(days=IDEMPOTENCY_DAYS))


def _sessions_due(now: datetime) -> QuerySet:
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=now)


def _apply_sessions(now: datetime, limit: int) -> Outcome:
    from django.contrib.sessions.models import Session

    with transaction.atomic():
        keys = list(_sessions_due(now).values_list("session_key", flat=True)[:limit])
        Session.objects.filter(session_key__in=keys).delete()
    return Outcome(count=len(keys))


NOTIFICATION_YEARS = 1


def _notifications_due(now: datetime) -> QuerySet:
    from halte.notifications.models import Notification

    return Notification.objects.filter(created_at__lt=_years_ago(now, NOTIFICATION_YEARS))


def _jobs_due(now: datetime) -> QuerySet:
    from halte.delivery.models import Job
    from halte.delivery.queue import KEEP_DONE

    Status = Job.Status
    return Job.objects.filter(
        Q(status=Status.DONE, finished_at__lt=now - KEEP_DONE)
        | Q(status=Status.FAILED, finished_at__lt=_years_ago(now, 1))
    )


def _journal_pending(now: datetime) -> Pending:
    from halte.audit.months import droppable_months

    months = droppable_months(now)
    return Pending(count=len(months), refs=[f"{m:%Y-%m}" for m in months])


def _apply_journal(now: datetime, limit: int) -> Outcome:
    from halte.audit.months import drop_due

    done = drop_due(now, limit=1)  # one month per pass at most: each is a large deletion
    return Outcome(count=len(done), refs=[f"{m:%Y-%m} ({rows} événements)" for m, rows in done])


def _pending_of(due: Callable[[datetime], QuerySet], ref: Callable[[object], str] | None) -> Callable:
    def pending(now: datetime) -> Pending:
        queryset = due(now)
        refs = [ref(row) for row in queryset[:REFS_SHOWN]] if ref else []
        return Pending(count=queryset.count(), refs=refs)

    return pending


def _reference(row) -> str:
    return row.reference


def _public_id(row) -> str:
    return f"personne {row.public_id}" if row._meta.model_name == "person" else str(row.public_id)


RULES: tuple[Rule, ...] = (
    Rule(
        key="closed_cases",
        category=_(
            "Dossier clos, avec ses signalements, les messages de la messagerie anonyme, les notes, "
            "les entretiens et les comptes rendus"
        ),
        duration=_("3 ans après la clôture"),
        effect=_(
            "Anonymisé : noms, dates de naissance, coordonnées et textes libres effacés, pièces et fichiers des "
            "documents supprimés, code de suivi désactivé. Restent des chiffres sans nom pour les statistiques."
        ),
        legal_basis=_(
            "Durée de la prise en charge puis archivage intermédiaire de 3 ans (CNIL, délibération n° 2014-262) ; "
            "RGPD, article 5-1-e (limitation de la conservation)."
        ),
        pending=_pending_of(_closed_cases_due, _reference),
        apply=_apply_closed_cases,
    ),
    Rule(
        key="pupils_25",
        category=_("Identité d’un élève (nom, prénom, date de naissance, classe, coordonnées)"),
        duration=_("Jusqu’à ses 25 ans au plus, même si un dossier le cite encore"),
        effect=_("Anonymisée, avec tous les dossiers clos qui le citent."),
        legal_basis=_(
            "Rien de ce qui permet de reconnaître l’élève au-delà de ses 25 ans (CNIL, délibération n° 2014-262)."
        ),
        pending=_pending_of(_grown_up_people_due, _public_id),
        apply=_apply_grown_up_people,
    ),
    Rule(
        key="reports_without_case",
        category=_(
            "Signalement trié sans dossier (réorienté, rendu à l’établissement, hors champ), avec ses messages ; "
            "un signalement encore sans décision n’est jamais effacé"
        ),
        duration=_("3 ans après sa réception"),
        effect=_("Anonymisé comme un dossier clos ; les pièces sont supprimées."),
        legal_basis=_("RGPD, article 5-1-e ; même durée qu’un dossier clos (CNIL, délibération n° 2014-262)."),
        pending=_pending_of(_reports_without_case_due, _reference),
        apply=_apply_reports_without_case,
    ),
    Rule(
        key="evidence",
        category=_("Pièces déposées (photos, captures, fichiers)"),
        duration=_("Avec les données d’identification de leur dossier ou signalement"),
        effect=_("Supprimées (fichier et enregistrement) lors de l’anonymisation."),
        legal_basis=_("RGPD, article 5-1-c et 5-1-e (minimisation et limitation de la conservation)."),
        pending=_pending_of(_evidence_left_due, _public_id),
        apply=_apply_evidence_left,
    ),
    Rule(
        key="documents",
        category=_(
            "Documents établis (signalement au procureur, information préoccupante, convocations, comptes rendus)"
        ),
        duration=_("Avec les données d’identification de leur dossier"),
        effect=_("Fichier supprimé ; seuls le type et la date restent, pour les statistiques."),
        legal_basis=_(
            "RGPD, article 5-1-e. Une fois transmis, ces documents sont conservés par leurs destinataires "
            "selon leurs propres règles."
        ),
        pending=_pending_of(_documents_left_due, _public_id),
        apply=_apply_documents_left,
    ),
    Rule(
        key="unlinked_people",
        category=_("Personne qui n’est plus citée dans aucun dossier"),
        duration=_("1 jour"),
        effect=_("Supprimée."),
        legal_basis=_("RGPD, article 5-1-c (minimisation)."),
        pending=_pending_of(_unlinked_people_due, _public_id),
        apply=_apply_unlinked_people,
    ),
    Rule(
        key="observations",
        category=_("Observation de signaux faibles non transmise à la cellule (initiales, classe, signes)"),
        duration=_("3 mois après son ouverture"),
        effect=_("Supprimée."),
        legal_basis=_("Repérage précoce seulement ; RGPD, article 5-1-e."),
        pending=_pending_of(_observations_due, _public_id),
        apply=_apply_observations,
        journals_itself=True,
    ),
    Rule(
        key="api_idempotency",
        category=_("Clés d’idempotence de l’interface de programmation (API) des partenaires"),
        duration=_("30 jours"),
        effect=_("Supprimées (le signalement reste)."),
        legal_basis=_("Sécurité du traitement : éviter les doublons d’un envoi répété (RGPD, article 32)."),
        pending=_pending_of(_idempotency_due, None),
        apply=lambda now, limit: _delete_rows(_idempotency_due(now), limit),
    ),
    Rule(
        key="sessions",
        category=_("Sessions de connexion, et brouillon chiffré du formulaire public"),
        duration=_("30 minutes sans activité (brouillon : 12 heures au plus)"),
        effect=_("Supprimés."),
        legal_basis=_(
            "Strictement nécessaire au fonctionnement du service (loi Informatique et Libertés, article 82)."
        ),
        pending=_pending_of(_sessions_due, None),
        apply=_apply_sessions,
    ),
    Rule(
        key="notifications",
        category=_("Notifications des professionnels (référence et lien, jamais de contenu)"),
        duration=_("1 an"),
        effect=_("Supprimées."),
        legal_basis=_("RGPD, article 5-1-e."),
        pending=_pending_of(_notifications_due, None),
        apply=lambda now, limit: _delete_rows(_notifications_due(now), limit),
    ),
    Rule(
        key="deliveries",
        category=_("Suivi des envois de courriels (adresse, titre, erreur)"),
        duration=_("30 jours après l’envoi ; 1 an pour un envoi en échec"),
        effect=_("Supprimé."),
        legal_basis=_("Sécurité du traitement et garantie de l’envoi (RGPD, article 32)."),
        pending=_pending_of(_jobs_due, None),
        apply=lambda now, limit: _delete_rows(_jobs_due(now), limit),
    ),
    Rule(
        key="journal",
        category=_("Journal des consultations et des actions"),
        duration=_("1 an (par mois entier)"),
        effect=_(
            "Un mois entier est effacé quand il a plus d’un an, après un point de contrôle écrit dans le journal ; "
            "une ligne seule ne peut jamais être modifiée ni effacée."
        ),
        legal_basis=_(
            "Journalisation : 6 mois à 1 an (recommandation de la CNIL), pour la sécurité du traitement seulement."
        ),
        pending=_journal_pending,
        apply=_apply_journal,
        journals_itself=True,
    ),
)

BY_KEY = {rule.key: rule for rule in RULES}


@dataclass
class RunResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def count(self, key: str) -> int:
        outcome = self.outcomes.get(key)
        return outcome.count if outcome else 0


def _limit(rule: Rule) -> int:
    return BATCH if rule.key in {"closed_cases", "pupils_25", "reports_without_case"} else ROWS_BATCH


def plan(now: datetime | None = None) -> dict[str, Pending]:
    """What each rule would do now (nothing changes)."""
    moment = now or timezone.now()
    return {rule.key: rule.pending(moment) for rule in RULES}


def run(now: datetime | None = None, *, rules: Iterable[str] | None = None) -> RunResult:
    """Apply every rule once (bounded per rule); journal one row per rule that did something."""
    from halte.audit.journal import record
    from halte.audit.models import Action

    moment = now or timezone.now()
    wanted = set(rules) if rules is not None else None
    result = RunResult()
    for rule in RULES:
        if wanted is not None and rule.key not in wanted:
            continue
        if rule.journals_itself:  # in transactions of its own (the journal's checkpoint commits first)
            result.outcomes[rule.key] = rule.apply(moment, _limit(rule))
            continue
        # The rule's batch and its journal row commit together, or neither does.
        with transaction.atomic():
            outcome = rule.apply(moment, _limit(rule))
            result.outcomes[rule.key] = outcome
            if outcome.count:
                record(
                    Action.RETENTION_APPLIED,
                    detail={
                        "rule": rule.key,
                        "count": outcome.count,
                        "files": outcome.files,
                        "refs": outcome.refs[:REFS_SHOWN],
                        "refs_omitted": max(0, len(outcome.refs) - REFS_SHOWN),
                    },
                )
    return result
