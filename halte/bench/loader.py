"""A synthetic population for the benchmarks, written through the project's own models.

Rows are built as the application builds them (model defaults, derived columns such as
``School.search_text`` and ``Person.name_key``, audit digests computed by the journal's own
``bulk_create``, reference counters moved past the numbers used) and inserted with ``bulk_create``
in chunks, one transaction per chunk, so the audit chain trigger links every journal row.

Shape, for ``cases`` cases (fixed seed, so two runs of the same size build the same data):

- three school years of cases, ~70 % closed, P1 5 % / P2 20 % / P3 45 % / P4 30 %;
- every Somme school of the directory file, plus synthetic schools (about one per 200 cases,
  at least 1,000), cases concentrated on the Somme ones;
- one report per case (two pupils named), 3 % more reports waiting in the queue;
- a victim per case and an alleged author, a quarter of them repeat authors;
- severity assessment, triage, transitions and timeline lines per case, one action, two follow-ups,
  a protective measure for 40 % of cases, weekly cell meetings with three agenda items, one journal row;
- one open case with a 500-line timeline (the case page benchmark).

It is the steady state of a cell whose periodic pass runs every minute: what fell due was done or
reminded long ago, except for 2 % of the open cases (an overdue action, a missed follow-up), new cases
are less than an hour old and unread reports less than half an hour. So the first ``tick`` after a
load does the work due, proportional to those, and the second one finds nothing due.
"""

import base64
import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import enums as case_enums
from halte.cases import timeline
from halte.cases.models import (
    Action,
    Case,
    FollowUp,
    Involvement,
    Person,
    SeverityAssessment,
    Transition,
    Triage,
)
from halte.cases.people import name_key
from halte.cases.severity import Criteria, assess
from halte.cases.targets import CELL_MEETING, FOLLOW_UP, targets
from halte.core.models import Counter
from halte.directory.importer import DEFAULT_DIRECTORY, import_schools
from halte.directory.models import School, SchoolKind, Sector, fold
from halte.interventions.models import Measure, MeasureCategory, MeasureKind
from halte.meetings.models import AgendaItem, Meeting
from halte.reports import enums as report_enums
from halte.reports.models import Report, ReportedPupil

SEED = 20260
CHUNK = 5_000
PASSWORD = "Banc-d-essai-2026"  # noqa: S105 - synthetic accounts of a throwaway database
DOMAIN = "banc.halte.test"
TIMELINE_EVENTS = 500
AUTHOR_POOL = 50_000
LATE = 0.02  # open cases behind their clocks

P = case_enums.Priority
S = case_enums.State
PRIORITIES = [(P.P1, 5), (P.P2, 20), (P.P3, 45), (P.P4, 30)]
OPEN_STATES = [(S.TRIAGED, 25), (S.IN_INTERVENTION, 45), (S.MONITORING, 22), (S.REOPENED, 5), (S.NEW, 3)]
QUALIFICATIONS = [
    (case_enums.Qualification.BULLYING, 60),
    (case_enums.Qualification.INTIMIDATION, 20),
    (case_enums.Qualification.CONFLICT, 15),
    (case_enums.Qualification.OTHER_OFFENCE, 5),
]
FIRST_NAMES = (  # noqa: SIM905 - read as a sentence
    "Léa Emma Chloé Inès Manon Jade Louise Alice Lina Rose Anna Mila Ambre Julia Zoé Lou Nina Sarah Léna Eva "
    "Lucas Hugo Louis Nathan Gabriel Jules Arthur Adam Raphaël Tom Noah Ethan Paul Sacha Mohamed Timéo Enzo "
    "Maël Nolan Rayan Yanis Kylian Mathis Théo Axel Liam Aaron Noé Malo Évan"
).split()
LAST_NAMES = (  # noqa: SIM905 - read as a sentence
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
    "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet "
    "François Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas Perrin "
    "Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen "
    "Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Pérez Marchand "
    "Dufour Blanchard Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud "
    "Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Leclercq"
).split()
STORIES = [
    "Depuis la rentrée, des élèves de sa classe l’insultent tous les jours et la bousculent dans les couloirs.",
    "Il reçoit des messages moqueurs sur Snapchat le soir, une photo de lui circule dans un groupe.",
    "Elle est mise à l’écart à la cantine et dans la cour, on se moque de ses vêtements.",
    "Un groupe lui prend ses affaires et le menace à la sortie du collège.",
    "Des rumeurs circulent sur elle, elle ne veut plus aller en cours de sport.",
]
CHANNELS = [
    (report_enums.Channel.PUBLIC_FORM, 40),
    (report_enums.Channel.SCHOOL, 25),
    (report_enums.Channel.PHONE, 10),
    (report_enums.Channel.STOP_HARCELEMENT, 10),
    (report_enums.Channel.EMAIL, 8),
    (report_enums.Channel.API, 4),
    (report_enums.Channel.PARQUET, 3),
]


def totp_key(email: str) -> str:
    """A stable TOTP key (hex, as django-otp stores it) for a bench account."""
    return hashlib.sha256(f"halte-bench-totp:{email}".encode()).hexdigest()[:40]


def base32(hex_key: str) -> str:
    return base64.b32encode(bytes.fromhex(hex_key)).decode("ascii")


@dataclass
class Cast:
    """The accounts the benchmarks log in as, and the objects they look at."""

    coordinator: Membership
    school_staff: Membership
    timeline_case: Case
    bench_school: School


@dataclass
class LoadStats:
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def add(self, name: str, count: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + count


def _weighted(rng: random.Random, table):
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def _account(email: str, first: str, last: str, organisation: Organisation, role: str, password: str) -> Membership:
    user = User.objects.create(email=email, first_name=first, last_name=last, password=password)
    TOTPDevice.objects.create(user=user, name="Banc d’essai", confirmed=True, key=totp_key(email))
    return Membership.objects.create(user=user, organisation=organisation, role=role)


def _synthetic_schools(count: int, rng: random.Random) -> list[School]:
    kinds = [(SchoolKind.ECOLE, 60), (SchoolKind.COLLEGE, 25), (SchoolKind.LYCEE, 13), (SchoolKind.EREA, 2)]
    schools = []
    for number in range(count):
        departement = f"{rng.choice([2, 60, 62, 59, 76]):03d}"
        commune = f"Commune {number % 700:03d}"
        school = School(
            uai=f"9{number:06d}{chr(65 + number % 26)}",
            name=f"Établissement synthétique {number}",
            kind=_weighted(rng, kinds),
            sector=Sector.PUBLIC if rng.random() < 0.8 else Sector.PRIVATE,
            postcode=f"{departement[1:]}{number % 1000:03d}",
            commune=commune,
            commune_code=f"{departement[1:]}{number % 700:03d}",
            departement=departement,
            academie="Synthétique",
        )
        # bulk_create skips save(): the derived column is filled as School.save() fills it.
        school.search_text = fold(f"{school.name} {school.commune} {school.postcode} {school.uai}")
        schools.append(school)
    return School.objects.bulk_create(schools, batch_size=CHUNK)


def _assessments() -> dict[str, tuple[dict, Any, str]]:
    """For each priority, criteria that the real rules assess at that priority (or the nearest one)."""
    candidates = [
        Criteria(repeated=True, frequency_daily=True, self_harm_or_suicidal=True),
        Criteria(repeated=True, frequency_daily=True, duration_months=True, author_count=3, threats=True),
        Criteria(repeated=True, duration_months=True, author_count=2),
        Criteria(repeated=True),
        Criteria(),
    ]
    found: dict[str, tuple[dict, Any, str]] = {}
    for criteria in candidates:
        result = assess(criteria, case_enums.Qualification.BULLYING)
        found.setdefault(str(result.priority), (criteria.to_dict(), result.fired_rules_json(), str(result.priority)))
    return found


def load(cases: int, *, stdout=None) -> tuple[Cast, LoadStats]:
    """Build the population in the current (empty, migrated) database. Returns who logs in, and the counts."""
    started = time.perf_counter()
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, reproducible on purpose
    stats = LoadStats()
    say = stdout.write if stdout else (lambda _text: None)
    now = timezone.now()

    # --- Directory, organisations, accounts ----------------------------------------------------------
    import_schools(DEFAULT_DIRECTORY)
    somme = list(School.objects.order_by("uai"))
    synthetic = _synthetic_schools(max(1_000, cases // 200), rng)
    stats.add("schools", len(somme) + len(synthetic))
    bench_school = somme[0]

    dsden = Organisation.objects.create(name="DSDEN de la Somme (banc d’essai)", kind=OrganisationKind.EDUCATION)
    school_org = Organisation.objects.create(
        name=bench_school.name, kind=OrganisationKind.SCHOOL, school=bench_school, departement="080"
    )
    # The hashing is the slow part of an account: once for every account, as the login checks it anyway.
    password = make_password(PASSWORD)
    coordinator = _account(f"coordination@{DOMAIN}", "Claire", "Banc", dsden, Role.COORDINATOR, password)
    staff = _account(f"cpe@{DOMAIN}", "Nadia", "Banc", school_org, Role.SCHOOL_STAFF, password)
    colleagues = [
        _account(f"coordination{n}@{DOMAIN}", "Coordination", f"N{n}", dsden, Role.COORDINATOR, password)
        for n in range(1, 4)
    ]
    leads = [coordinator, *colleagues]
    stats.add("accounts", 2 + len(colleagues))

    assessments = _assessments()
    references: dict[tuple[str, int], int] = {}

    def reference(name: str, prefix: str, at: datetime) -> str:
        year = timezone.localtime(at).year
        references[(name, year)] = references.get((name, year), 0) + 1
        return f"{prefix}-{year}-{references[(name, year)]:06d}"

    # Cases concentrated on the Somme schools (the bench school most of all), the rest spread out.
    def pick_school() -> School:
        draw = rng.random()
        if draw < 0.02:
            return bench_school
        if draw < 0.6:
            return rng.choice(somme)
        return rng.choice(synthetic)

    span = timedelta(days=3 * 365)
    repeat_authors: list[Person] = []
    done = 0
    while done < cases:
        size = min(CHUNK, cases - done)
        with transaction.atomic():
            _load_chunk(
                size,
                rng=rng,
                now=now,
                span=span,
                leads=leads,
                dsden=dsden,
                school_org=school_org,
                bench_school=bench_school,
                pick_school=pick_school,
                reference=reference,
                assessments=assessments,
                repeat_authors=repeat_authors,
                stats=stats,
            )
        done += size
        say(f"  {done} / {cases} dossiers\n")

    with transaction.atomic():
        timeline_case = _timeline_case(now, coordinator, bench_school, reference, assessments, stats)
        _queue_reports(max(10, cases * 3 // 100), rng, now, pick_school, reference, stats)
        _meetings(rng, now, span, coordinator, stats)
        for (name, year), value in references.items():
            Counter.objects.update_or_create(name=name, year=year, defaults={"value": value})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE") if connection.vendor == "postgresql" else None
    stats.seconds = time.perf_counter() - started
    cast = Cast(coordinator=coordinator, school_staff=staff, timeline_case=timeline_case, bench_school=bench_school)
    return cast, stats


def _load_chunk(
    size,
    *,
    rng,
    now,
    span,
    leads,
    dsden,
    school_org,
    bench_school,
    pick_school,
    reference,
    assessments,
    repeat_authors,
    stats,
):
    cases: list[Case] = []
    for _ in range(size):
        closed = rng.random() < 0.7
        priority = _weighted(rng, PRIORITIES)
        if closed:
            opened_at = now - timedelta(seconds=rng.uniform(20 * 86400, span.total_seconds()))
            state = S.CLOSED
        else:
            state = _weighted(rng, OPEN_STATES)
            # A new case is triaged within the hour: older ones have moved on.
            age = rng.uniform(60, 3600) if state == S.NEW else rng.uniform(3600, 150 * 86400)
            opened_at = now - timedelta(seconds=age)
        school = pick_school()
        taken = opened_at + timedelta(hours=rng.uniform(1, 96)) if state != S.NEW else None
        closed_at = min(opened_at + timedelta(days=rng.uniform(10, 180)), now - timedelta(days=1)) if closed else None
        cases.append(
            Case(
                reference=reference("case", "HS", opened_at),
                state=state,
                priority=priority,
                qualification=_weighted(rng, QUALIFICATIONS),
                summary=rng.choice(STORIES),
                school=school,
                lead=rng.choice(leads) if state != S.NEW else None,
                opened_at=opened_at,
                taken_in_charge_at=taken,
                first_measure_at=opened_at + timedelta(days=rng.uniform(0.2, 3)) if state != S.NEW else None,
                cell_meeting_at=opened_at + timedelta(hours=rng.uniform(2, 20))
                if targets(priority)[CELL_MEETING] and state != S.NEW
                else None,
                closed_at=closed_at,
                closure_outcome=rng.choice(case_enums.ClosureOutcome.values) if closed else "",
                watch_until=(closed_at + timedelta(days=90)).date() if closed_at else None,
            )
        )
    Case.objects.bulk_create(cases, batch_size=CHUNK)
    stats.add("cases", len(cases))
    _case_rows(
        cases,
        rng=rng,
        now=now,
        leads=leads,
        dsden=dsden,
        school_org=school_org,
        bench_school=bench_school,
        reference=reference,
        assessments=assessments,
        repeat_authors=repeat_authors,
        stats=stats,
    )


def _person(rng: random.Random, kind: str, school: School | None, born: date | None) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    person = Person(kind=kind, first_name=first, last_name=last, birth_date=born, school=school)
    person.name_key = name_key(first, last)  # what Person.save() derives
    return person


def _case_rows(
    cases, *, rng, now, leads, dsden, school_org, bench_school, reference, assessments, repeat_authors, stats
):
    reports, pupils, triages, persons, assessed, transitions = [], [], [], [], [], []
    events: list[tuple] = []
    actions, follow_ups, measures, audit = [], [], [], []
    involvement_plan: list[tuple[Case, int, Person]] = []
    for case in cases:
        actor = case.lead or leads[0]
        received_at = case.opened_at - timedelta(hours=rng.uniform(0.5, 72))
        report = Report(
            reference=reference("report", "SIG", received_at),
            channel=_weighted(rng, CHANNELS),
            received_at=received_at,
            status=report_enums.Status.CLOSED if case.state == S.CLOSED else report_enums.Status.IN_PROGRESS,
            reporter_kind=rng.choice(report_enums.ReporterKind.values),
            school=case.school,
            forms=rng.sample(report_enums.Form.values, 2),
            description=case.summary,
            proposed_priority=case.priority,
            first_read_at=received_at + timedelta(minutes=rng.uniform(5, 600)),
            first_read_by=actor,
            case=case,
        )
        reports.append(report)
        criteria, fired, computed = assessments.get(case.priority) or next(iter(assessments.values()))
        assessed.append(
            SeverityAssessment(
                case=case,
                version=1,
                criteria=criteria,
                computed_priority=computed,
                fired_rules=fired,
                priority=case.priority,
                override_reason="" if computed == case.priority else "Éléments recueillis lors de l’appel.",
                assessed_by=actor,
                assessed_at=case.opened_at,
            )
        )
        born = date(2008, 1, 1) + timedelta(days=rng.randrange(3650))
        victim = _person(rng, case_enums.PersonKind.PUPIL, case.school, born)
        persons.append(victim)
        involvement_plan.append((case, 0, victim))
        if repeat_authors and rng.random() < 0.75:
            involvement_plan.append((case, 1, rng.choice(repeat_authors)))
        else:
            author = _person(
                rng, case_enums.PersonKind.PUPIL, case.school, born + timedelta(days=rng.randrange(-400, 400))
            )
            persons.append(author)
            involvement_plan.append((case, 1, author))
            # A bounded pool of authors who may come back in later cases.
            if len(repeat_authors) < AUTHOR_POOL:
                repeat_authors.append(author)
            else:
                repeat_authors[rng.randrange(AUTHOR_POOL)] = author
        events.append((case, actor, case_enums.EventKind.OPENED, "Dossier ouvert.", case.opened_at))
        events.append((case, actor, case_enums.EventKind.ASSESSED, f"Gravité {case.priority}.", case.opened_at))
        path = [(S.NEW, S.TRIAGED, "triage")]
        if case.state in (S.IN_INTERVENTION, S.MONITORING, S.CLOSED, S.REOPENED):
            path.append((S.TRIAGED, S.IN_INTERVENTION, "start_intervention"))
        if case.state in (S.MONITORING, S.CLOSED):
            path.append((S.IN_INTERVENTION, S.MONITORING, "start_monitoring"))
        if case.state == S.CLOSED:
            path.append((S.MONITORING, S.CLOSED, "close"))
        if case.state == S.REOPENED:
            path += [(S.IN_INTERVENTION, S.CLOSED, "close"), (S.CLOSED, S.REOPENED, "reopen")]
        if case.state == S.NEW:
            path = []
        end = case.closed_at or now
        for step, (before, after, name) in enumerate(path):
            at = case.opened_at + (end - case.opened_at) * (step + 1) / (len(path) + 1)
            transitions.append(Transition(case=case, name=name, from_state=before, to_state=after, actor=actor, at=at))
            events.append((case, actor, case_enums.EventKind.TRANSITION, f"{before} → {after}", at))
        open_case = case.state != S.CLOSED
        # The steady state of a cell whose periodic pass runs every minute: what was due was done or
        # reminded long ago; LATE of the open cases are behind (an action overdue, a follow-up missed).
        late = open_case and rng.random() < LATE
        if open_case:
            due = now + timedelta(days=rng.uniform(-10, -1) if late else rng.uniform(1, 30))
        else:
            due = case.opened_at + timedelta(days=10)
        actions.append(
            Action(
                case=case,
                title="Entretien avec l’élève et sa famille",
                owner_organisation=school_org if case.school_id == bench_school.pk else dsden,
                owner=actor if rng.random() < 0.5 else None,
                due_at=due,
                status=case_enums.ActionStatus.OPEN if open_case else case_enums.ActionStatus.DONE,
                completion_note="" if open_case else "Entretien mené.",
                created_by=actor,
                created_at=case.opened_at,
                done_at=None if open_case else due,
                done_by=None if open_case else actor,
            )
        )
        for day in targets(case.priority)[FOLLOW_UP]:
            due_on = timezone.localtime(case.opened_at).date() + timedelta(days=day)
            finished = case.state == S.CLOSED or (due_on <= timezone.localdate(now) and not late)
            follow_ups.append(
                FollowUp(
                    case=case,
                    day=day,
                    due_on=due_on,
                    done_at=timezone.make_aware(datetime.combine(due_on, datetime.min.time())) if finished else None,
                    victim_view=rng.choice(FollowUp.View.values) if finished else "",
                    wellbeing=rng.randint(1, 5) if finished else None,
                    decision=FollowUp.Decision.CONTINUE if finished else "",
                    recorded_by=actor if finished else None,
                )
            )
        if rng.random() < 0.4:
            measures.append(
                Measure(
                    case=case,
                    category=MeasureCategory.PROTECTIVE,
                    kind=MeasureKind.ADULT_REFERENT,
                    person=victim,
                    starts_on=timezone.localtime(case.opened_at).date() + timedelta(days=2),
                    status=Measure.Status.ENDED if case.state == S.CLOSED else Measure.Status.ACTIVE,
                    created_by=actor,
                    created_at=case.opened_at,
                )
            )
        audit.append(
            AuditEvent(
                at=case.opened_at,
                actor_id=actor.user_id,
                membership=actor,
                action=AuditAction.CASE_OPENED,
                target_type="cases.case",
                target_id=str(case.public_id),
                target_label=case.reference,
                detail={"priority": case.priority},
            )
        )
    Report.objects.bulk_create(reports, batch_size=CHUNK)
    for report, case in zip(reports, cases, strict=True):
        pupils.append(ReportedPupil(report=report, first_name=rng.choice(FIRST_NAMES), role="victim"))
        pupils.append(ReportedPupil(report=report, first_name=rng.choice(FIRST_NAMES), role="alleged_author"))
        triages.append(
            Triage(
                report=report,
                outcome=case_enums.TriageOutcome.OPEN_CASE,
                qualification=case.qualification,
                case=case,
                decided_by=report.first_read_by,
                decided_at=case.opened_at,
            )
        )
    Person.objects.bulk_create(persons, batch_size=CHUNK)
    involvements = []
    for case, role, person in involvement_plan:
        involvements.append(
            Involvement(
                case=case,
                person=person,
                role=case_enums.Role.VICTIM if role == 0 else case_enums.Role.ALLEGED_AUTHOR,
                added_at=case.opened_at,
            )
        )
    batches: tuple[tuple[Any, list], ...] = (
        (ReportedPupil, pupils),
        (Triage, triages),
        (Involvement, involvements),
        (SeverityAssessment, assessed),
        (Transition, transitions),
        (Action, actions),
        (FollowUp, follow_ups),
        (Measure, measures),
    )
    timeline.write_many(events)  # each line's compartment decided by the access policy
    stats.add("event", len(events))
    for model, rows in batches:
        model.objects.bulk_create(rows, batch_size=CHUNK)
        stats.add(model._meta.model_name or "", len(rows))
    AuditEvent.objects.bulk_create(audit, batch_size=CHUNK)
    stats.add("reports", len(reports))
    stats.add("persons", len(persons))
    stats.add("auditevent", len(audit))


def _timeline_case(now, coordinator, school, reference, assessments, stats) -> Case:
    opened_at = now - timedelta(days=60)
    case = Case.objects.create(
        reference=reference("case", "HS", opened_at),
        state=S.IN_INTERVENTION,
        priority=P.P2,
        qualification=case_enums.Qualification.BULLYING,
        summary=STORIES[0],
        school=school,
        lead=coordinator,
        opened_at=opened_at,
        taken_in_charge_at=opened_at + timedelta(hours=2),
    )
    criteria, fired, computed = assessments.get(P.P2) or next(iter(assessments.values()))
    SeverityAssessment.objects.create(
        case=case,
        version=1,
        criteria=criteria,
        computed_priority=computed,
        fired_rules=fired,
        priority=P.P2,
        override_reason="" if computed == P.P2 else "Éléments recueillis lors de l’appel.",
        assessed_by=coordinator,
    )
    kinds = [case_enums.EventKind.NOTE, case_enums.EventKind.FOLLOW_UP, case_enums.EventKind.ACTION]
    timeline.write_many(
        (
            case,
            coordinator,
            kinds[n % len(kinds)],
            f"Ligne {n + 1} du suivi : échange avec l’équipe éducative.",
            opened_at + timedelta(minutes=100 * n),
            case_enums.Compartment.CORE,  # what a note or an action of the core records
        )
        for n in range(TIMELINE_EVENTS)
    )
    stats.add("cases", 1)
    stats.add("event", TIMELINE_EVENTS)
    return case


def _queue_reports(count, rng, now, pick_school, reference, stats) -> None:
    """Reports not triaged yet: the coordinator's queue (a few nobody has opened)."""
    reports = []
    for n in range(count):
        unread = n % 10 == 0
        # Nobody has opened a report only for minutes: the safety net escalates it within the hour.
        minutes = rng.uniform(1, 30) if unread else rng.uniform(60, 60 * 24 * 20)
        received_at = now - timedelta(minutes=minutes)
        reports.append(
            Report(
                reference=reference("report", "SIG", received_at),
                channel=_weighted(rng, CHANNELS),
                received_at=received_at,
                reporter_kind=rng.choice(report_enums.ReporterKind.values),
                school=pick_school(),
                forms=rng.sample(report_enums.Form.values, 2),
                description=rng.choice(STORIES),
                proposed_priority=_weighted(rng, PRIORITIES),
                is_worrying=rng.random() < 0.05,
                first_read_at=None if unread else received_at + timedelta(minutes=30),
            )
        )
    Report.objects.bulk_create(reports, batch_size=CHUNK)
    stats.add("reports", len(reports))


def _meetings(rng, now, span, coordinator, stats) -> None:
    weeks = int(span.days / 7)
    meetings = [
        Meeting(
            title="Réunion de la cellule",
            starts_at=now - timedelta(days=7 * week),
            place="DSDEN, salle 2",
            status=Meeting.Status.HELD if week else Meeting.Status.PLANNED,
            organiser=coordinator,
            held_at=now - timedelta(days=7 * week) if week else None,
        )
        for week in range(weeks)
    ]
    Meeting.objects.bulk_create(meetings)
    items = []
    for meeting in meetings:
        window = (meeting.starts_at - timedelta(days=14), meeting.starts_at)
        chosen = list(
            Case.objects.filter(opened_at__range=window, priority__in=[P.P1, P.P2]).values_list("pk", flat=True)[:3]
        )
        for position, case_id in enumerate(chosen):
            items.append(
                AgendaItem(meeting=meeting, case_id=case_id, position=position, reason=AgendaItem.Reason.NEW_URGENT)
            )
    AgendaItem.objects.bulk_create(items)
    stats.add("meeting", len(meetings))
    stats.add("agendaitem", len(items))
